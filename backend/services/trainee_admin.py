"""What an admin does to a trainee's sign-in from the trainee page: unbind WeChat, issue a code.

Stand-in seam: the sign-in engineer's ``backend/services/binding.py`` (issue 3) owns these rules.
When it lands on main these two functions delegate to it and the pages stay as they are.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from backend import audit
from backend.clock import now
from backend.errors import ApiError
from backend.extensions import db
from backend.models import ActivationCode, AdminUser, Role, Trainee
from backend.services import tokens

# No 0/O, 1/I/L: the code is read out over the phone and typed on a small keyboard.
_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8
CODE_TTL = timedelta(days=7)


def _require_manager(actor: AdminUser) -> None:
    if actor.role not in (Role.OPERATOR, Role.ENTERPRISE_ADMIN):
        raise ApiError(403, "forbidden", "没有权限执行此操作")


def unbind_wechat(trainee: Trainee, actor: AdminUser) -> None:
    """Unbind the trainee's WeChat and sign them out everywhere."""
    _require_manager(actor)
    if trainee.wx_openid is None:
        raise ApiError(409, "not_bound", "该学员尚未绑定微信")
    trainee.wx_openid = None
    trainee.wx_unionid = None
    trainee.bound_at = None
    audit.record(
        "trainee.unbind",
        actor_kind="admin",
        actor_id=actor.id,
        object_type="trainee",
        object_id=trainee.id,
        enterprise_id=trainee.enterprise_id,
    )
    db.session.flush()
    tokens.revoke_all(trainee.id)


def issue_activation_code(trainee: Trainee, actor: AdminUser) -> str:
    """Issue a one-time activation code for the trainee; returns the code (shown once)."""
    _require_manager(actor)
    code = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(CODE_LENGTH))
    entry = ActivationCode(
        trainee_id=trainee.id,
        code_hash=hashlib.sha256(code.encode()).hexdigest(),
        created_by_id=actor.id,
        expires_at=now() + CODE_TTL,
    )
    db.session.add(entry)
    db.session.flush()
    audit.record(
        "trainee.activation_code",
        actor_kind="admin",
        actor_id=actor.id,
        object_type="trainee",
        object_id=trainee.id,
        enterprise_id=trainee.enterprise_id,
        activation_code_id=entry.id,
    )
    return code
