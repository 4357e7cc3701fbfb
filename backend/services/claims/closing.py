"""Closing a project: its open sessions end at their last accepted beat, its figures freeze."""

from __future__ import annotations

import sqlalchemy as sa

from backend import audit
from backend.clock import now, today
from backend.extensions import db
from backend.kernel.errors import DomainError, register
from backend.kernel.lifecycle import Activity, ensure
from backend.models import AdminUser, Claim, Project, ProjectStatus, SessionStatus
from backend.policy import policy_for
from backend.services.certificates.issuing import issue_at_close
from backend.services.claims.snapshot import freeze
from backend.services.learning import credit_drain, sessions
from backend.services.learning.live import epoch_s

register("close_reason_required", 422, "培训项目尚未到结束日期，提前结束请填写理由")


def close_project(
    project: Project, actor: AdminUser, reason: str | None = None, *, client_address: str
) -> Claim:
    """Close a filed or approved project, freeze its claim and issue its certificates (the view
    commits)."""
    # The project row is locked: two closes of one project cannot both freeze it.
    db.session.execute(sa.select(Project.id).where(Project.id == project.id).with_for_update())
    db.session.refresh(project)
    ensure(project, Activity.CLOSE)
    reason = (reason or "").strip() or None
    if today() <= project.end_date and reason is None:
        raise DomainError("close_reason_required")
    at = now()
    closed_sessions = sessions.close_open_sessions(
        SessionStatus.PROJECT_CLOSED, epoch_s(at), project_id=project.id
    )
    # The freeze reads the database: first the credit still on its way there.
    credit_drain.write_pending(project.id)
    project.status = ProjectStatus.CLOSED
    claim = freeze(project, policy_for(project), actor, reason, at)
    # Certificates for the qualifying trainees, in the same transaction: no signing key (503),
    # no close.
    certificates_issued = issue_at_close(project, claim, actor, client_address=client_address)
    audit.record(
        "project.close",
        audit.admin(actor, client_address),
        object_type="project",
        object_id=project.id,
        enterprise_id=project.enterprise_id,
        reason=reason,
        early=today() <= project.end_date,
        sessions_closed=closed_sessions,
        digest=claim.digest,
        certificates=certificates_issued,
    )
    return claim


def claim_of(project: Project) -> Claim | None:
    """The project's claim, once it is closed."""
    return db.session.scalar(sa.select(Claim).where(Claim.project_id == project.id))
