"""Admin sign-in: password check and lockout after repeated failures (kept in Redis)."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from backend import audit
from backend.clock import now
from backend.errors import ApiError
from backend.extensions import db, redis_store
from backend.models import AdminUser

# Checked against when the username is unknown, so both cases cost the same time.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


def _fail_key(username: str) -> str:
    return redis_store.key("admin-login-fail", username.lower())


def is_locked(username: str) -> bool:
    """Whether sign-in for ``username`` is locked after too many failures."""
    failures = redis_store.client.get(_fail_key(username))
    return int(failures or 0) >= current_app.config["LOGIN_LOCKOUT_ATTEMPTS"]


def authenticate(username: str, password: str) -> AdminUser:
    """Return the active admin with these credentials, counting failures towards a lockout."""
    username = (username or "").strip()
    if is_locked(username):
        raise ApiError(429, "account_locked", "登录失败次数过多，账号已临时锁定，请稍后再试")
    admin = db.session.scalar(select(AdminUser).where(AdminUser.username == username))
    ok = check_password_hash(admin.password_hash if admin else _DUMMY_HASH, password or "")
    if not (admin and ok and admin.active):
        pipe = redis_store.client.pipeline()
        pipe.incr(_fail_key(username))
        pipe.expire(_fail_key(username), current_app.config["LOGIN_LOCKOUT_S"])
        failures, _ = pipe.execute()
        audit.record(
            "admin.login_failed",
            actor_kind="admin",
            actor_id=admin.id if admin else None,
            username=username[:64],
            failures=failures,
        )
        raise ApiError(401, "invalid_credentials", "用户名或密码不正确")
    redis_store.client.delete(_fail_key(username))
    admin.last_login_at = now()
    audit.record("admin.login", actor_kind="admin", actor_id=admin.id)
    return admin
