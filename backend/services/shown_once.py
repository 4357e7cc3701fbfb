"""Secrets shown once after a POST: kept briefly in Redis and read by the redirect's GET.

POST-redirect-GET: the POST creates the secret and stashes it under a random id bound to the
admin; the GET takes it (GETDEL), so reloading the page never issues another one and shows
the secret no more.
"""

from __future__ import annotations

import json
import secrets

from backend import pii
from backend.extensions import redis_store

TTL_S = 300


def _key(admin_id: int, token: str) -> str:
    return redis_store.key("shown-once", admin_id, token)


def put(admin_id: int, payload: dict) -> str:
    """Stash ``payload`` (encrypted) for ``admin_id``; return the id for the redirect URL."""
    token = secrets.token_urlsafe(16)
    sealed = pii.cipher().encrypt(json.dumps(payload, ensure_ascii=False))
    redis_store.client.set(_key(admin_id, token), sealed, ex=TTL_S)
    return token


def take(admin_id: int, token: str) -> dict | None:
    """The stashed payload, once; None when already shown, expired or someone else's."""
    sealed = redis_store.client.getdel(_key(admin_id, token))
    if sealed is None:
        return None
    if isinstance(sealed, bytes):
        sealed = sealed.decode()
    return json.loads(pii.cipher().decrypt(sealed))
