"""Linking a trainee to one WeChat user, undoing it, and the activation codes admins hand out.

The admin JSON API and the admin pages both call these; they never touch ``request`` and
never commit (the caller commits, so nothing is half-written on failure).
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from backend import audit, pii
from backend.clock import now
from backend.extensions import db
from backend.kernel.errors import DomainError
from backend.models import ActivationCode, AdminUser, Trainee
from backend.services.accounts import tokens

# No 0/O or 1/I: the code is read out over the phone or copied from a screen.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 12  # 60 bits; guessing is further limited by the bind rate limit


def account_already_bound() -> DomainError:
    """409: the roster account is bound to another WeChat user."""
    return DomainError("account_already_bound")


def wechat_already_bound() -> DomainError:
    """409: this WeChat user is already bound to another trainee."""
    return DomainError("wechat_already_bound")


def trainee_by_openid(openid: str) -> Trainee | None:
    """The trainee bound to this WeChat openid, if any."""
    return db.session.scalar(select(Trainee).where(Trainee.wx_openid == openid))


def bind_wechat(
    trainee: Trainee, openid: str, unionid: str | None, *, method: str, client_address: str
) -> None:
    """Bind ``openid`` to ``trainee`` (one each way); 409 when either side is already taken."""
    other = trainee_by_openid(openid)
    if other is not None and other.id != trainee.id:
        raise wechat_already_bound()
    if trainee.wx_openid == openid:
        return  # a second ticket of the same user: already done
    if trainee.wx_openid is not None:
        raise account_already_bound()
    # Conditional update: of two concurrent binds of one account only one can win.
    try:
        with db.session.begin_nested():
            result = db.session.execute(
                update(Trainee)
                .where(Trainee.id == trainee.id, Trainee.wx_openid.is_(None))
                .values(wx_openid=openid, wx_unionid=unionid, bound_at=now())
            )
    except IntegrityError:
        # The unique openid index: the same WeChat user won a race for another trainee (only
        # the savepoint is undone; the caller owns the transaction).
        raise wechat_already_bound() from None
    if result.rowcount != 1:
        raise account_already_bound()
    audit.record(
        "trainee.wechat_bound",
        audit.trainee(trainee, client_address),
        object_type="trainee",
        object_id=trainee.id,
        enterprise_id=trainee.enterprise_id,
        method=method,
    )


def unbind_wechat(trainee: Trainee, actor: AdminUser, *, client_address: str) -> None:
    """Remove the trainee's WeChat binding and revoke every token of the trainee."""
    if trainee.wx_openid is None:
        raise DomainError("wechat_not_bound", "该学员尚未绑定微信")
    trainee.wx_openid = None
    trainee.wx_unionid = None
    trainee.bound_at = None
    # Revoked before the commit on purpose: if the commit fails the trainee simply signs in
    # again, whereas the other order could leave a live token on an unbound account.
    tokens.revoke_all(trainee.id)
    audit.record(
        "trainee.wechat_unbound",
        audit.admin(actor, client_address),
        object_type="trainee",
        object_id=trainee.id,
        enterprise_id=trainee.enterprise_id,
    )


def normalize_code(code: str) -> str:
    """An activation code as typed ("abcd-efgh jkmn") in its canonical form ("ABCDEFGHJKMN")."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def format_code(code: str) -> str:
    """Group a canonical code in fours for reading: ABCD-EFGH-JKMN."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def _code_hash(code: str) -> str:
    # Keyed (HMAC) rather than a bare hash: 60 bits would not survive an offline search
    # of a leaked table otherwise.
    return pii.blind_index("activation-code:" + normalize_code(code))


def issue_activation_code(
    trainee: Trainee, actor: AdminUser, *, client_address: str
) -> tuple[str, datetime]:
    """A new one-time code for the trainee (earlier unused ones stop working); returned once."""
    if trainee.wx_openid is not None:
        raise DomainError("account_already_bound", "该学员已绑定微信，如需更换请先解绑再生成激活码")
    at = now()
    db.session.execute(
        update(ActivationCode)
        .where(
            ActivationCode.trainee_id == trainee.id,
            ActivationCode.used_at.is_(None),
            ActivationCode.expires_at > at,
        )
        .values(expires_at=at)
    )
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    expires_at = at + timedelta(seconds=int(current_app.config["ACTIVATION_CODE_TTL_S"]))
    row = ActivationCode(
        trainee_id=trainee.id,
        code_hash=_code_hash(code),
        created_by_id=actor.id,
        created_at=at,
        expires_at=expires_at,
    )
    db.session.add(row)
    db.session.flush()
    audit.record(
        "trainee.activation_code_issued",
        audit.admin(actor, client_address),
        object_type="trainee",
        object_id=trainee.id,
        enterprise_id=trainee.enterprise_id,
        activation_code_id=row.id,
        expires_at=expires_at.isoformat(),
    )
    return format_code(code), expires_at


def use_activation_code(trainee: Trainee, code: str) -> bool:
    """Spend a live code of this trainee; False if it is wrong, used, expired or superseded."""
    if not normalize_code(code):
        return False
    # One conditional UPDATE: two concurrent uses of a code cannot both succeed.
    result = db.session.execute(
        update(ActivationCode)
        .where(
            ActivationCode.code_hash == _code_hash(code),
            ActivationCode.trainee_id == trainee.id,
            ActivationCode.used_at.is_(None),
            ActivationCode.expires_at > now(),
        )
        .values(used_at=now())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1
