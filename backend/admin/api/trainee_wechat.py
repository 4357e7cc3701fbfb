"""A trainee's WeChat binding: unbind it, or issue a one-time activation code."""

from __future__ import annotations

from datetime import datetime

from backend.admin.api.blueprint import bp
from backend.admin.auth import current_admin, require_permission
from backend.admin.scope import get_trainee_or_404
from backend.api import ResponseModel, endpoint
from backend.caller import client_address
from backend.extensions import db
from backend.kernel.permissions import Permission
from backend.services.accounts import binding


class TraineeWechatOut(ResponseModel):
    """The trainee's binding after the change."""

    trainee_id: int
    wx_bound: bool
    bound_at: datetime | None


class ActivationCodeOut(ResponseModel):
    """The new code, shown once: only its hash is stored."""

    trainee_id: int
    activation_code: str
    expires_at: datetime


@bp.post("/trainees/<id:trainee_id>/wechat/unbind")
@require_permission(Permission.MANAGE_TRAINEES)
@endpoint(summary="解绑学员微信", response=TraineeWechatOut, auth=None)
def unbind_trainee_wechat(trainee_id: int):
    trainee = get_trainee_or_404(trainee_id, current_admin())
    binding.unbind_wechat(trainee, current_admin(), client_address=client_address())
    db.session.commit()
    return TraineeWechatOut(trainee_id=trainee.id, wx_bound=False, bound_at=None)


@bp.post("/trainees/<id:trainee_id>/activation-codes")
@require_permission(Permission.MANAGE_TRAINEES)
@endpoint(summary="生成微信绑定激活码", response=ActivationCodeOut, status=201, auth=None)
def issue_activation_code(trainee_id: int):
    trainee = get_trainee_or_404(trainee_id, current_admin())
    code, expires_at = binding.issue_activation_code(
        trainee, current_admin(), client_address=client_address()
    )
    db.session.commit()
    return ActivationCodeOut(trainee_id=trainee.id, activation_code=code, expires_at=expires_at)
