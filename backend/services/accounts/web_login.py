"""Scan sign-in on a computer (扫码登录): a ticket shown as a mini-program code, confirmed by
the trainee's signed-in mini-program, exchanged once for a token by the page that asked for it.

A ticket lives in Redis under a hash of its value (a dump hands out nothing) as
``"<expires_s>:pending"`` or ``"<expires_s>:confirmed:<trainee_id>"``; its life is measured on
the server clock. The token is issued only when the page reads the confirmation, so no token
ever sits in Redis in clear, and a trainee deactivated in between gets none.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from flask import current_app

from backend import audit
from backend.clock import now
from backend.extensions import db, redis_store
from backend.kernel.errors import DomainError, register
from backend.models import Trainee
from backend.services import rate_limit
from backend.services.accounts import tokens, wxacode

register("ticket_expired", 410, "二维码已失效，请刷新二维码后重新扫码")

# ``"wl=" + ticket``: WeChat's scene holds at most 32 characters.
SCENE_PREFIX = "wl="
TICKET_PATTERN = r"^[A-Za-z0-9_-]{20,40}$"

_CONFIRM = """
local v = redis.call('GET', KEYS[1])
if not v then return 0 end
local exp, state = string.match(v, '^(%d+):(%a+)')
if state ~= 'pending' or tonumber(exp) < tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[2] .. ':confirmed:' .. ARGV[3], 'EX', ARGV[4])
return 1
"""


@dataclass(frozen=True)
class Ticket:
    """A new ticket and how long it lives."""

    ticket: str
    expires_in: int


@dataclass(frozen=True)
class Confirmed:
    """The token a confirmed ticket was exchanged for."""

    token: str
    expires_in: int
    trainee: Trainee


def _ttl_s() -> int:
    return int(current_app.config["WEB_LOGIN_TICKET_TTL_S"])


def _key(ticket: str) -> str:
    return redis_store.key("web-login", hashlib.sha256(ticket.encode()).hexdigest())


def _now_s() -> int:
    return int(now().timestamp())


def _expired() -> DomainError:
    return DomainError("ticket_expired")


def issue(client_address: str) -> Ticket:
    """A new ticket for the computer at ``client_address`` (rate-limited per address)."""
    config = current_app.config
    rate_limit.hit(
        [("web-login", client_address)],
        limit=int(config["WEB_LOGIN_RATE_LIMIT"]),
        window_s=int(config["WEB_LOGIN_RATE_WINDOW_S"]),
    )
    ttl = _ttl_s()
    ticket = secrets.token_urlsafe(21)  # 28 characters, 168 random bits
    # Redis forgets it a while after the server clock says it expired (a backstop only).
    redis_store.client.set(_key(ticket), f"{_now_s() + ttl}:pending", ex=2 * ttl)
    return Ticket(ticket, ttl)


def _state(ticket: str) -> tuple[int, str, int | None]:
    """(expires_s, "pending" | "confirmed", trainee id) of a live ticket; 410 otherwise."""
    raw = redis_store.client.get(_key(ticket))
    if raw is None:
        raise _expired()
    parts = raw.split(":")
    expires_s = int(parts[0])
    if expires_s < _now_s():
        raise _expired()
    return expires_s, parts[1], int(parts[2]) if len(parts) > 2 else None


def code_image(ticket: str) -> bytes:
    """The mini-program code of a pending ticket (PNG drawn by WeChat)."""
    expires_s, state, _ = _state(ticket)
    if state != "pending":
        raise _expired()
    return wxacode.image(wxacode.WEB_LOGIN_PAGE, SCENE_PREFIX + ticket, expires_s - _now_s())


def confirm(trainee: Trainee, ticket: str, client_address: str) -> None:
    """The trainee's mini-program confirms a pending ticket; 410 if unknown, expired or used."""
    # The confirmation stays readable for a full ticket life, however late in the first it came.
    ttl = _ttl_s()
    at = _now_s()
    done = redis_store.client.eval(_CONFIRM, 1, _key(ticket), at, at + ttl, trainee.id, 2 * ttl)
    if not done:
        raise _expired()
    audit.record(
        "trainee.web_login",
        audit.trainee(trainee, client_address),
        object_type="trainee",
        object_id=trainee.id,
        enterprise_id=trainee.enterprise_id,
    )


def poll(ticket: str) -> Confirmed | None:
    """None while pending; the token at the first read after confirmation; 410 after that."""
    _, state, trainee_id = _state(ticket)
    if state == "pending":
        return None
    # GETDEL: of two pages reading at once, one gets the token.
    if redis_store.client.getdel(_key(ticket)) is None:
        raise _expired()
    trainee = db.session.get(Trainee, trainee_id)
    if trainee is None:
        raise _expired()
    if not trainee.active:
        raise DomainError("account_disabled")
    token, ttl = tokens.issue_token(trainee.id)
    return Confirmed(token, ttl, trainee)
