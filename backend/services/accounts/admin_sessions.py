"""Server-side ids of admin sessions: a signed cookie counts only while its id lives in Redis."""

from __future__ import annotations

import hashlib
import secrets

from flask import current_app

from backend.extensions import redis_store


def _key(session_id: str) -> str:
    # Only a hash of the id is stored, so a Redis dump does not hand out sessions.
    return redis_store.key("admin-sess", hashlib.sha256(session_id.encode()).hexdigest())


def _lifetime_s() -> int:
    return int(current_app.config["PERMANENT_SESSION_LIFETIME"].total_seconds())


def _of_admin(admin_id: int) -> str:
    return redis_store.key("admin-sess-of", admin_id)


def start(admin_id: int) -> str:
    """Open a session for an admin who just signed in; return its id for the cookie."""
    session_id = secrets.token_urlsafe(32)
    pipe = redis_store.client.pipeline()
    pipe.set(_key(session_id), admin_id, ex=_lifetime_s())
    # Every session of an admin, so disabling the account or resetting its password ends them.
    pipe.sadd(_of_admin(admin_id), _key(session_id))
    pipe.expire(_of_admin(admin_id), _lifetime_s())
    pipe.execute()
    return session_id


def admin_of(session_id: str | None) -> int | None:
    """The admin a live session belongs to, or None; each use extends its life like the cookie's."""
    if not session_id:
        return None
    value = redis_store.client.getex(_key(session_id), ex=_lifetime_s())
    return int(value) if value is not None else None


def end(session_id: str | None) -> None:
    """End a session (sign-out): its cookie is refused from now on, wherever it was copied to."""
    if session_id:
        redis_store.client.delete(_key(session_id))


def end_all(admin_id: int, keep: str | None = None) -> None:
    """End every session of an admin (``keep``: the caller's own, e.g. after changing one's
    own password)."""
    kept = _key(keep) if keep else None
    keys = [
        k.decode() if isinstance(k, bytes) else k
        for k in redis_store.client.smembers(_of_admin(admin_id))
    ]
    doomed = [k for k in keys if k != kept]
    pipe = redis_store.client.pipeline(transaction=False)
    if doomed:
        for key in doomed:  # one key a command: a Redis Cluster keeps them in several slots
            pipe.delete(key)
        pipe.srem(_of_admin(admin_id), *doomed)
    pipe.execute()
