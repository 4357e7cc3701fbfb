"""Trainees' evaluation of a project (评价): one per trainee, editable until the project closes."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from backend import clock
from backend.extensions import db
from backend.kernel.errors import NotFoundError
from backend.kernel.lifecycle import Activity, ensure
from backend.kernel.scope import enrolment_for
from backend.models import Evaluation, Trainee

SCORES = ("overall", "content", "teaching", "platform")


@dataclass
class Ratings:
    """The four 1–5 ratings and a comment."""

    overall: int
    content: int
    teaching: int
    platform: int
    comment: str = ""


def save_evaluation(trainee: Trainee, project_id: int, ratings: Ratings) -> tuple[Evaluation, bool]:
    """Create or change the trainee's evaluation; True when it was created."""
    enrolment = enrolment_for(trainee, project_id, lock=True)
    ensure(enrolment.project, Activity.EVALUATE)
    evaluation = own_evaluation(trainee.id, project_id)
    created = evaluation is None
    if created:
        evaluation = Evaluation(project_id=project_id, trainee_id=trainee.id)
        db.session.add(evaluation)
    for name, value in vars(ratings).items():
        setattr(evaluation, name, value)
    evaluation.updated_at = clock.now()
    db.session.flush()
    return evaluation, created


def own_evaluation(trainee_id: int, project_id: int) -> Evaluation | None:
    """The trainee's evaluation of the project, if given."""
    return db.session.scalar(
        select(Evaluation).where(
            Evaluation.project_id == project_id, Evaluation.trainee_id == trainee_id
        )
    )


def evaluation_for_trainee(trainee: Trainee, project_id: int) -> Evaluation:
    """The trainee's own evaluation, else 404."""
    enrolment_for(trainee, project_id)
    evaluation = own_evaluation(trainee.id, project_id)
    if evaluation is None:
        raise NotFoundError("你还没有评价该培训项目")
    return evaluation


def evaluation_summary(project_id: int) -> dict:
    """How many trainees evaluated the project and the average of each rating (one decimal)."""
    columns = [func.avg(getattr(Evaluation, name)) for name in SCORES]
    row = db.session.execute(
        select(func.count(Evaluation.id), *columns).where(Evaluation.project_id == project_id)
    ).one()
    averages = {
        name: round(float(value), 1) if value is not None else None
        for name, value in zip(SCORES, row[1:], strict=True)
    }
    return {"count": row[0], "averages": averages}


def project_evaluations(project_id: int) -> list[Evaluation]:
    """Every evaluation of the project, newest first."""
    query = (
        select(Evaluation)
        .where(Evaluation.project_id == project_id)
        .order_by(Evaluation.updated_at.desc(), Evaluation.id.desc())
    )
    return list(db.session.scalars(query))


COMMENTS_PER_PAGE = 20


def rating_distribution(project_id: int) -> dict[str, list[int]]:
    """Per rating, how many trainees gave 1, 2, 3, 4 and 5."""
    out = {name: [0] * 5 for name in SCORES}
    for name in SCORES:
        column = getattr(Evaluation, name)
        rows = db.session.execute(
            select(column, func.count(Evaluation.id))
            .where(Evaluation.project_id == project_id)
            .group_by(column)
        )
        for value, count in rows:
            if 1 <= value <= 5:
                out[name][value - 1] = count
    return out


def comments_page(project_id: int, page: int) -> tuple[list[Evaluation], int]:
    """One page of the evaluations with a comment, newest first, and how many there are."""
    where = (Evaluation.project_id == project_id, func.length(func.trim(Evaluation.comment)) > 0)
    total = db.session.scalar(select(func.count(Evaluation.id)).where(*where))
    rows = db.session.scalars(
        select(Evaluation)
        .where(*where)
        .order_by(Evaluation.updated_at.desc(), Evaluation.id.desc())
        .offset((page - 1) * COMMENTS_PER_PAGE)
        .limit(COMMENTS_PER_PAGE)
    )
    return list(rows), total
