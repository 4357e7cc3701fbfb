"""Admin accounts managed in the web: create, disable, reset a password, change one's own."""

from __future__ import annotations

import secrets

from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash
from zxcvbn import zxcvbn

from backend import audit
from backend.clock import now
from backend.extensions import db
from backend.kernel import permissions
from backend.kernel.errors import DomainError, register
from backend.models import AdminUser, Enterprise, Role
from backend.services.accounts import admin_sessions
from backend.services.plain_text import storable
from backend.validation import InvalidValue, validate_account

register("username_taken", 409, "该用户名已被使用")
register("weak_password", 422, "{message}")
register("wrong_password", 422, "当前密码不正确")
register("cannot_disable_self", 409, "不能停用自己的账号")

MIN_LENGTH = 10
MIN_SCORE = 3  # zxcvbn: 3 = "safely unguessable", ~10^8 guesses
TEMP_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"

# zxcvbn's English feedback, in the admins' language.
_FEEDBACK = {
    "Add another word or two. Uncommon words are better.": "再加一两个不常见的词",
    "Avoid repeated words and characters.": "避免重复的词和字符",
    "Avoid sequences.": "避免 abc、123 这样的连续字符",
    "Avoid recent years.": "避免使用近年的年份",
    "Avoid dates and years that are associated with you.": "避免使用与你相关的日期和年份",
}


def check_strength(password: str, *hints: str) -> None:
    """Refuse a password that is short or that zxcvbn estimates as guessable."""
    if len(password) < MIN_LENGTH:
        raise DomainError("weak_password", message=f"密码至少 {MIN_LENGTH} 位")
    if len(password) > 128:
        raise DomainError("weak_password", message="密码不能超过 128 位")
    result = zxcvbn(password, user_inputs=[h for h in hints if h])
    if result["score"] < MIN_SCORE:
        tips = [_FEEDBACK.get(s, "") for s in result["feedback"].get("suggestions", [])]
        tip = "；".join(t for t in tips if t) or "请使用更长、更不常见的组合"
        raise DomainError("weak_password", message=f"密码太容易被猜到：{tip}")


def temporary_password() -> str:
    """A random one-time password (about 94 bits) for a new or reset account."""
    return "".join(secrets.choice(TEMP_ALPHABET) for _ in range(16))


def create(
    actor: AdminUser,
    *,
    username: str,
    display_name: str,
    role: Role,
    enterprise_id: int | None,
    client_address: str,
) -> tuple[AdminUser, str]:
    """Create an enterprise admin or reviewer with a temporary password (returned once)."""
    if not permissions.creatable(role):
        raise DomainError("validation_error", "只能创建企业管理员或审核人员")
    try:
        username = validate_account(username)
    except InvalidValue as exc:
        raise DomainError("validation_error", "用户名：" + exc.message) from None
    display_name = (display_name or "").strip()[:100]
    if not storable(display_name):
        raise DomainError("validation_error", "姓名包含无法保存的字符")
    if permissions.belongs_to_an_enterprise(role):
        if enterprise_id is None or db.session.get(Enterprise, enterprise_id) is None:
            raise DomainError("validation_error", "企业管理员必须属于一个已登记的企业")
    else:
        enterprise_id = None
    taken = db.session.scalar(select(AdminUser.id).where(AdminUser.username == username))
    if taken is not None:
        raise DomainError("username_taken")
    password = temporary_password()
    admin = AdminUser(
        username=username,
        display_name=display_name or username,
        role=role,
        enterprise_id=enterprise_id,
        password_hash=generate_password_hash(password),
        must_change_password=True,
    )
    db.session.add(admin)
    db.session.flush()
    _audit("admin.created", actor, client_address, admin, role=role.value)
    return admin, password


def set_active(actor: AdminUser, admin: AdminUser, active: bool, *, client_address: str) -> None:
    """Disable (sessions end at once) or re-enable an admin account."""
    if admin.id == actor.id and not active:
        raise DomainError("cannot_disable_self")
    if admin.active == active:
        return
    admin.active = active
    if not active:
        admin_sessions.end_all(admin.id)
    _audit("admin.enabled" if active else "admin.disabled", actor, client_address, admin)


def reset_password(actor: AdminUser, admin: AdminUser, *, client_address: str) -> str:
    """A temporary password that must be changed at the next sign-in; sessions end."""
    password = temporary_password()
    admin.password_hash = generate_password_hash(password)
    admin.must_change_password = True
    admin.password_changed_at = now()
    admin_sessions.end_all(admin.id)
    _audit("admin.password_reset", actor, client_address, admin)
    return password


def change_own_password(
    admin: AdminUser, current: str, new: str, session_id: str | None, *, client_address: str
) -> None:
    """Change one's own password; the other sessions of the account end."""
    if not check_password_hash(admin.password_hash, current or ""):
        raise DomainError("wrong_password")
    if new == current:
        raise DomainError("weak_password", message="新密码不能与当前密码相同")
    check_strength(new, admin.username, admin.display_name)
    admin.password_hash = generate_password_hash(new)
    admin.must_change_password = False
    admin.password_changed_at = now()
    admin_sessions.end_all(admin.id, keep=session_id)
    _audit("admin.password_changed", admin, client_address, admin)


def _audit(action: str, actor: AdminUser, client_address: str, admin: AdminUser, **detail) -> None:
    # Never the password itself, not even a temporary one.
    audit.record(
        action,
        audit.admin(actor, client_address),
        object_type="admin_user",
        object_id=admin.id,
        enterprise_id=admin.enterprise_id,
        username=admin.username,
        **detail,
    )
