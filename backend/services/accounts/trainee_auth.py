"""Who a trainee's bearer token stands for, telling a deactivated account from a lapsed token."""

from __future__ import annotations

from backend.extensions import db
from backend.kernel.errors import DomainError
from backend.models import Trainee
from backend.services.accounts import tokens


def invalid_token() -> DomainError:
    """401: the token is unknown, expired or revoked."""
    return DomainError("invalid_token", headers={"WWW-Authenticate": "Bearer"})


def account_disabled() -> DomainError:
    """403: the trainee's account has been deactivated by an admin."""
    return DomainError("account_disabled")


def trainee_for_token(token: str) -> Trainee:
    """The active trainee of a live token; 403 account_disabled, else 401 invalid_token."""
    trainee_id = tokens.resolve_token(token)
    if trainee_id is None:
        # Deactivation revokes the tokens at once; their next use says why.
        owner = tokens.revoked_owner(token)
        trainee = db.session.get(Trainee, owner) if owner is not None else None
        if trainee is not None and not trainee.active:
            raise account_disabled()
        raise invalid_token()
    trainee = db.session.get(Trainee, trainee_id)
    if trainee is None:
        raise invalid_token()
    if not trainee.active:
        raise account_disabled()
    return trainee
