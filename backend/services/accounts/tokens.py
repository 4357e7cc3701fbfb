"""Opaque trainee tokens kept in Redis with a TTL, revocable one by one or all at once."""

from __future__ import annotations

import hashlib
import secrets

from flask import current_app

from backend.extensions import redis_store


def token_partition(token: str) -> int:
    """The partition a token names: that of its trainee (``"<partition>.<random>"``), so that a
    beat finds the token's key in the slot of the trainee's live state; 0 for a token that
    names none (no such token was issued: it is refused as unknown)."""
    head, dot, _ = token.partition(".")
    if dot and head.isdigit() and len(head) <= 6:
        return int(head)
    return 0


def token_digest(token: str) -> str:
    """What a token's key names it by: only a hash of the token is stored, so a Redis dump
    does not hand out sessions."""
    return hashlib.sha256(token.encode()).hexdigest()


def _token_key(token: str) -> str:
    return redis_store.tagged(token_partition(token), "tok", token_digest(token))


def token_key(token: str) -> str:
    """The Redis key holding a live token's trainee id (for scripts that check it atomically)."""
    return _token_key(token)


def _trainee_set_key(trainee_id: int) -> str:
    return redis_store.key("tok-of", trainee_id)


def issue_token(trainee_id: int) -> tuple[str, int]:
    """Create a token for a trainee; return it and its lifetime in seconds."""
    ttl = int(current_app.config["TOKEN_TTL_S"])
    token = f"{redis_store.partition_of(trainee_id)}.{secrets.token_urlsafe(32)}"
    key = _token_key(token)
    pipe = redis_store.client.pipeline(transaction=False)
    pipe.set(key, trainee_id, ex=ttl)
    pipe.sadd(_trainee_set_key(trainee_id), key)
    pipe.expire(_trainee_set_key(trainee_id), ttl)
    pipe.execute()
    return token, ttl


def resolve_token(token: str) -> int | None:
    """The trainee id a live token belongs to, or None."""
    value = redis_store.client.get(_token_key(token))
    return int(value) if value is not None else None


def revoke_token(token: str) -> None:
    """Revoke one token."""
    key = _token_key(token)
    trainee_id = redis_store.client.get(key)
    pipe = redis_store.client.pipeline(transaction=False)
    pipe.delete(key)
    if trainee_id is not None:
        pipe.srem(_trainee_set_key(int(trainee_id)), key)
    pipe.execute()


def _revoked_key(token_key: str) -> str:
    return redis_store.key("tok-revoked", token_key.rsplit(":", 1)[-1])


def revoke_all(trainee_id: int) -> None:
    """Revoke every token of a trainee (on unbind or deactivation)."""
    set_key = _trainee_set_key(trainee_id)
    keys = [k.decode() if isinstance(k, bytes) else k for k in redis_store.client.smembers(set_key)]
    ttl = int(current_app.config["TOKEN_TTL_S"])
    pipe = redis_store.client.pipeline(transaction=False)
    for key in [set_key, *keys]:  # one key a command: a cluster keeps them in several slots
        pipe.delete(key)
    for key in keys:
        # Who a revoked token belonged to, for as long as it could have lived: its next use
        # can then say "account disabled" instead of a bare "signed out".
        pipe.set(_revoked_key(key), trainee_id, ex=ttl)
    pipe.execute()


def revoked_owner(token: str) -> int | None:
    """The trainee a token belonged to before revoke_all revoked it, or None."""
    value = redis_store.client.get(_revoked_key(_token_key(token)))
    return int(value) if value is not None else None
