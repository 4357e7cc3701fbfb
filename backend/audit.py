"""The audit log: every access to full personal data and every sensitive change."""

from __future__ import annotations

from flask import has_request_context, request

from backend.extensions import db
from backend.models import AuditLog


def record(
    action: str,
    *,
    actor_kind: str,
    actor_id: int | None,
    object_type: str = "",
    object_id: int | None = None,
    enterprise_id: int | None = None,
    **detail,
) -> AuditLog:
    """Add an audit entry to the current transaction (committed with the act it records)."""
    ip = request.remote_addr or "" if has_request_context() else ""
    entry = AuditLog(
        action=action,
        actor_kind=actor_kind,
        actor_id=actor_id,
        object_type=object_type,
        object_id=object_id,
        enterprise_id=enterprise_id,
        ip=ip,
        detail=detail,
    )
    db.session.add(entry)
    return entry
