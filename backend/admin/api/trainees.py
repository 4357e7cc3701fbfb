"""A trainee's record over JSON: edit it, deactivate or reactivate the account."""

from __future__ import annotations

from pydantic import Field

from backend import pii
from backend.admin.api.blueprint import bp
from backend.admin.auth import current_admin, require_permission
from backend.api import RequestModel, ResponseModel, endpoint
from backend.caller import client_address
from backend.extensions import db
from backend.kernel.permissions import Permission
from backend.kernel.scope import get_scoped
from backend.models import Gender, Trainee
from backend.services.accounts import privacy
from backend.services.roster import trainee_accounts


class TraineeEditIn(RequestModel):
    """Fields to change (omitted ones stay); the ID number only by an operator, with a reason."""

    name: str | None = Field(None, max_length=100)
    gender: Gender | None = None
    mobile: str | None = Field(None, max_length=32)
    account: str | None = Field(None, max_length=64)
    id_number: str | None = Field(None, max_length=32)
    reason: str = Field("", max_length=500)


class TraineeOut(ResponseModel):
    """A trainee as admins see it (ID number and mobile masked)."""

    id: int
    name: str
    gender: Gender
    account: str
    id_number: str
    mobile: str
    active: bool


def _out(trainee: Trainee) -> TraineeOut:
    return TraineeOut(
        id=trainee.id,
        name=trainee.name,
        gender=trainee.gender,
        account=trainee.account,
        id_number=pii.masked_id_number(trainee),
        mobile=pii.masked_mobile(trainee),
        active=trainee.active,
    )


@bp.patch("/trainees/<id:trainee_id>")
@require_permission(Permission.MANAGE_TRAINEES)
@endpoint(summary="修改学员信息", body=TraineeEditIn, response=TraineeOut, auth=None)
def edit_trainee(trainee_id: int, body: TraineeEditIn):
    trainee = get_scoped(Trainee, trainee_id, current_admin())
    changes = trainee_accounts.Changes(
        name=body.name,
        gender=body.gender.value if body.gender else None,
        mobile=body.mobile,
        account=body.account,
        id_number=body.id_number,
        reason=body.reason,
    )
    trainee_accounts.edit(current_admin(), trainee, changes, client_address=client_address())
    db.session.commit()
    return _out(trainee)


@bp.post("/trainees/<id:trainee_id>/deactivate")
@require_permission(Permission.MANAGE_TRAINEES)
@endpoint(summary="停用学员账号（立即注销登录）", response=TraineeOut, auth=None)
def deactivate_trainee(trainee_id: int):
    trainee = get_scoped(Trainee, trainee_id, current_admin())
    trainee_accounts.deactivate(current_admin(), trainee, client_address=client_address())
    db.session.commit()
    return _out(trainee)


@bp.post("/trainees/<id:trainee_id>/reactivate")
@require_permission(Permission.MANAGE_TRAINEES)
@endpoint(summary="重新启用学员账号", response=TraineeOut, auth=None)
def reactivate_trainee(trainee_id: int):
    trainee = get_scoped(Trainee, trainee_id, current_admin())
    trainee_accounts.reactivate(current_admin(), trainee, client_address=client_address())
    db.session.commit()
    return _out(trainee)


@bp.post("/trainees/<id:trainee_id>/erase")
@require_permission(Permission.ERASE_PERSON)
@endpoint(
    summary="删除学员个人信息（保存期限届满后；学时记录保留）", response=TraineeOut, auth=None
)
def erase_trainee(trainee_id: int):
    trainee = get_scoped(Trainee, trainee_id, current_admin())
    privacy.erase(current_admin(), trainee, client_address=client_address())
    db.session.commit()
    return _out(trainee)
