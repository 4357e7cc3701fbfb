"""Bearer-token authentication of trainees."""

from __future__ import annotations

from flask import Blueprint, g, request

from backend.api import set_auth_hook
from backend.kernel.errors import DomainError
from backend.services.accounts import trainee_auth


def bearer_token() -> str | None:
    """The token from ``Authorization: Bearer ...``, if any."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def authenticate_trainee() -> None:
    """Load the signed-in trainee into ``g.trainee`` or answer 401."""
    token = bearer_token()
    if token is None:
        raise DomainError("unauthorized", headers={"WWW-Authenticate": "Bearer"})
    g.trainee = trainee_auth.trainee_for_token(token)
    g.token = token


def require_bearer() -> None:
    """Put the bearer token in ``g.token`` or answer 401, leaving its check to the operation."""
    # For the heartbeat hot path: the live-session script checks the token against the
    # session's owner in the same Redis round trip as the beat, with no database work.
    # Deactivating or unbinding a trainee revokes their tokens (tokens.revoke_all).
    token = bearer_token()
    if token is None:
        raise DomainError("unauthorized", headers={"WWW-Authenticate": "Bearer"})
    g.token = token


def install(bp: Blueprint) -> None:
    """Register the authenticators of ``endpoint(auth="trainee")`` and ``auth="bearer"``."""
    set_auth_hook("trainee", authenticate_trainee)
    set_auth_hook("bearer", require_bearer)
