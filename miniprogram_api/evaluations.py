"""The trainee's evaluation of a project's training (评价)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from flask import g
from pydantic import Field

from backend.api import RequestModel, ResponseModel, endpoint
from backend.extensions import db
from backend.services.plain_text import optional_text
from backend.services.practice import evaluations
from miniprogram_api.blueprint import bp

Rating = Annotated[int, Field(ge=1, le=5)]
MAX_COMMENT = 500


class EvaluationIn(RequestModel):
    """Ratings from 1 (poor) to 5 (excellent) and an optional comment."""

    overall: Rating
    content: Rating
    teaching: Rating
    platform: Rating
    comment: optional_text(MAX_COMMENT) = ""


class EvaluationOut(ResponseModel):
    """The trainee's evaluation."""

    project_id: int
    overall: int
    content: int
    teaching: int
    platform: int
    comment: str
    created: bool = False
    created_at: datetime
    updated_at: datetime


@bp.post("/projects/<id:project_id>/evaluation")
@endpoint(
    summary="评价培训（每人每项目一份，项目结束前可修改）",
    body=EvaluationIn,
    response=EvaluationOut,
    tags=("evaluation",),
)
def save_evaluation(project_id: int, body: EvaluationIn):
    ratings = evaluations.Ratings(**body.model_dump())
    evaluation, created = evaluations.save_evaluation(g.trainee, project_id, ratings)
    out = EvaluationOut.model_validate(evaluation).model_copy(update={"created": created})
    db.session.commit()
    return out


@bp.get("/projects/<id:project_id>/evaluation")
@endpoint(summary="我的评价", response=EvaluationOut, tags=("evaluation",))
def get_evaluation(project_id: int):
    return evaluations.evaluation_for_trainee(g.trainee, project_id)
