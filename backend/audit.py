"""The audit log: every access to full personal data and every sensitive change."""

from __future__ import annotations

from dataclasses import dataclass

from backend.extensions import db
from backend.models import AuditLog


@dataclass(frozen=True)
class Actor:
    """Who did an audited act and from which client address (the web layer knows both)."""

    kind: str  # "admin", "trainee", "bureau_key" or "system"
    id: int | None
    client_address: str


# The platform itself (a scheduled or internal step with no one asking).
SYSTEM = Actor("system", None, "")


def admin(user, client_address: str) -> Actor:
    """An admin user acting from ``client_address``."""
    return Actor("admin", user.id if user is not None else None, client_address)


def trainee(user, client_address: str) -> Actor:
    """A trainee (``None``: one not yet identified) acting from ``client_address``."""
    return Actor("trainee", user.id if user is not None else None, client_address)


def bureau_key(key, client_address: str) -> Actor:
    """A bureau's supervision API key used from ``client_address``."""
    return Actor("bureau_key", key.id, client_address)


def record(
    action: str,
    actor: Actor,
    *,
    object_type: str = "",
    object_id: int | None = None,
    enterprise_id: int | None = None,
    **detail,
) -> AuditLog:
    """Add an audit entry to the current transaction (committed with the act it records)."""
    entry = AuditLog(
        action=action,
        actor_kind=actor.kind,
        actor_id=actor.id,
        object_type=object_type,
        object_id=object_id,
        enterprise_id=enterprise_id,
        ip=actor.client_address,
        detail=detail,
    )
    db.session.add(entry)
    return entry
