"""Enrolling existing trainees into a project and withdrawing them, over JSON."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from backend.admin.api.blueprint import bp
from backend.admin.auth import current_admin, require_permission
from backend.api import MAX_ID, RequestModel, ResponseModel, endpoint
from backend.caller import client_address
from backend.extensions import db
from backend.kernel.permissions import Permission
from backend.kernel.scope import get_scoped
from backend.models import Project, Trainee
from backend.services.roster import enrolling


class EnrolIn(RequestModel):
    """Trainees of the project's enterprise to enrol."""

    trainee_ids: Annotated[
        list[Annotated[int, Field(ge=1, le=MAX_ID)]],
        Field(min_length=1, max_length=enrolling.MAX_BULK),
    ]


class EnrolOut(ResponseModel):
    """How many were enrolled now and how many already were."""

    enrolled: int
    already: int


class WithdrawOut(ResponseModel):
    """``removed`` (no records in the project) or ``withdrawn`` (records kept, 已退出)."""

    trainee_id: int
    result: Literal["removed", "withdrawn"]


@bp.post("/projects/<id:project_id>/enrolments")
@require_permission(Permission.IMPORT_ROSTER)
@endpoint(
    summary="为项目报名本企业已有学员", body=EnrolIn, response=EnrolOut, status=201, auth=None
)
def enrol_trainees(project_id: int, body: EnrolIn):
    project = get_scoped(Project, project_id, current_admin())
    done = enrolling.enrol(
        current_admin(), project, body.trainee_ids, client_address=client_address()
    )
    db.session.commit()
    return EnrolOut(enrolled=done.enrolled, already=done.already)


@bp.delete("/projects/<id:project_id>/enrolments/<id:trainee_id>")
@require_permission(Permission.IMPORT_ROSTER)
@endpoint(summary="学员退出培训项目（无学习记录则移除）", response=WithdrawOut, auth=None)
def withdraw_trainee(project_id: int, trainee_id: int):
    admin = current_admin()
    project = get_scoped(Project, project_id, admin)
    trainee = get_scoped(Trainee, trainee_id, admin)
    result = enrolling.withdraw(admin, project, trainee, client_address=client_address())
    db.session.commit()
    return WithdrawOut(trainee_id=trainee.id, result=result)
