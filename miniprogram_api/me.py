"""The signed-in trainee's own profile, enterprise and projects."""

from __future__ import annotations

from datetime import date, datetime

from flask import g

from backend import pii
from backend.api import ResponseModel, endpoint
from backend.services.accounts import trainee_profile
from miniprogram_api.blueprint import bp
from miniprogram_api.schemas import EnterpriseOut


class ProfileOut(ResponseModel):
    """The trainee as on the roster; ID number and mobile masked."""

    id: int
    name: str
    gender: str
    account: str
    id_number_masked: str
    mobile_masked: str
    wx_bound_at: datetime | None


class ProjectBriefOut(ResponseModel):
    """A project the trainee is enrolled in."""

    id: int
    name: str
    training_type: str
    start_date: date
    end_date: date
    planned_class_hours: int
    status: str


class MeOut(ResponseModel):
    """The trainee's profile, enterprise and projects."""

    trainee: ProfileOut
    enterprise: EnterpriseOut
    projects: list[ProjectBriefOut]


@bp.get("/me")
@endpoint(summary="我的信息", response=MeOut, tags=("me",))
def me():
    trainee = g.trainee
    profile = ProfileOut(
        id=trainee.id,
        name=trainee.name,
        gender=trainee.gender.value,
        account=trainee.account,
        id_number_masked=pii.masked_id_number(trainee),
        mobile_masked=pii.masked_mobile(trainee),
        wx_bound_at=trainee.bound_at,
    )
    projects = [
        ProjectBriefOut(
            id=p.id,
            name=p.name,
            training_type=p.training_type.value,
            start_date=p.start_date,
            end_date=p.end_date,
            planned_class_hours=p.planned_class_hours,
            status=p.status.value,
        )
        for p in trainee_profile.enrolled_projects(trainee)
    ]
    return MeOut(
        trainee=profile,
        enterprise=EnterpriseOut.model_validate(trainee.enterprise),
        projects=projects,
    )
