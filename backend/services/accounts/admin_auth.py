"""Admin sign-in: password check and lockout after repeated failures (kept in Redis)."""

from __future__ import annotations

from urllib.parse import quote

from flask import current_app
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from backend import audit
from backend.clock import now
from backend.extensions import db, redis_store
from backend.kernel.errors import DomainError
from backend.models import AdminUser

# Checked against when the username is unknown, so both cases cost the same time.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


def _user_part(username: str) -> str:
    # Quoted so that no username can contain the ":" that separates it from the IP in a key.
    return quote(username.lower(), safe="")


def _pair_key(username: str, ip: str) -> str:
    return redis_store.key("admin-login-fail", _user_part(username), ip)


def _user_key(username: str) -> str:
    return redis_store.key("admin-login-fail-all", _user_part(username))


def is_locked(username: str, ip: str) -> bool:
    """Whether sign-in as ``username`` from ``ip`` is locked after too many failures."""
    # Per (username, IP), so a stranger who knows a username cannot lock its owner out; the
    # much higher per-username ceiling still stops guessing spread over many addresses.
    # Two GETs in one round trip (not MGET: a Redis Cluster keeps the keys in two slots).
    pipe = redis_store.client.pipeline(transaction=False)
    pipe.get(_pair_key(username, ip))
    pipe.get(_user_key(username))
    pair, everywhere = pipe.execute()
    config = current_app.config
    return (
        int(pair or 0) >= config["LOGIN_LOCKOUT_ATTEMPTS"]
        or int(everywhere or 0) >= config["LOGIN_LOCKOUT_USER_ATTEMPTS"]
    )


def _count_failure(username: str, ip: str) -> tuple[int, int]:
    window = current_app.config["LOGIN_LOCKOUT_S"]
    pipe = redis_store.client.pipeline()
    for key in (_pair_key(username, ip), _user_key(username)):
        pipe.incr(key)
        pipe.expire(key, window)
    pair, _, everywhere, _ = pipe.execute()
    return pair, everywhere


def authenticate(username: str, password: str, ip: str) -> AdminUser:
    """Return the active admin with these credentials, counting failures towards a lockout."""
    username = (username or "").strip()
    if is_locked(username, ip):
        raise DomainError("account_locked")
    admin = db.session.scalar(select(AdminUser).where(AdminUser.username == username))
    ok = check_password_hash(admin.password_hash if admin else _DUMMY_HASH, password or "")
    if not (admin and ok and admin.active):
        failures, username_failures = _count_failure(username, ip)
        audit.record(
            "admin.login_failed",
            audit.admin(admin, ip),
            username=username[:64],
            failures=failures,
            username_failures=username_failures,
        )
        raise DomainError("invalid_credentials")
    # Only this address's count: clearing the per-username one would let a distributed guesser
    # start afresh every time the owner signs in.
    redis_store.client.delete(_pair_key(username, ip))
    admin.last_login_at = now()
    audit.record("admin.login", audit.admin(admin, ip))
    return admin


def signed_out(admin: AdminUser, ip: str) -> None:
    """Record a sign-out (the caller commits, then ends the server-side session)."""
    audit.record("admin.logout", audit.admin(admin, ip))
