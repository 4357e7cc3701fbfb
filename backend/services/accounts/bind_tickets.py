"""Bind tickets: short-lived, single-use proof that a WeChat user has just logged in."""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass

from flask import current_app

from backend.extensions import redis_store


@dataclass(frozen=True)
class BindTicket:
    """What wx-login learnt from WeChat; the session_key never leaves the server."""

    openid: str
    session_key: str
    unionid: str | None


def _key(ticket: str) -> str:
    # Only a hash of the ticket names the key, so a Redis dump cannot be replayed.
    return redis_store.key("bind-ticket", hashlib.sha256(ticket.encode()).hexdigest())


def issue(openid: str, session_key: str, unionid: str | None) -> tuple[str, int]:
    """Store a new ticket for this WeChat login; return it and its lifetime in seconds."""
    ttl = int(current_app.config["BIND_TICKET_TTL_S"])
    ticket = secrets.token_urlsafe(32)
    value = json.dumps({"openid": openid, "session_key": session_key, "unionid": unionid})
    redis_store.client.set(_key(ticket), value, ex=ttl)
    return ticket, ttl


def take(ticket: str) -> BindTicket | None:
    """Consume a ticket (GETDEL: usable once even under concurrent requests); None if unknown."""
    raw = redis_store.client.getdel(_key(ticket))
    if raw is None:
        return None
    data = json.loads(raw)
    return BindTicket(data["openid"], data["session_key"], data.get("unionid"))
