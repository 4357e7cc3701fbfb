"""A claim's review: the enterprise submits, the bureau's reviewer approves or returns it with a
comment, and a returned claim may be submitted again; every step is an event and audit-logged."""

from __future__ import annotations

from sqlalchemy import select

from backend import audit
from backend.clock import now
from backend.extensions import db
from backend.kernel.errors import DomainError, register
from backend.kernel.lifecycle import Activity, ClaimAction, ensure, ensure_claim
from backend.models import AdminUser, Claim, ClaimEvent, ClaimStatus

register("claim_comment_required", 422, "退回补贴申领时请填写审核意见")
register("claim_decision_invalid", 422, "请选择通过或退回")

ACTION_NAMES = {
    "close": "结束项目并冻结数据",
    "submit": "提交申领",
    "approve": "审核通过",
    "return": "退回",
}


def _step(
    claim: Claim,
    action: str,
    actor: AdminUser,
    client_address: str,
    comment: str | None = None,
) -> None:
    at = now()
    db.session.add(
        ClaimEvent(claim_id=claim.id, action=action, actor_id=actor.id, at=at, comment=comment)
    )
    audit.record(
        f"claim.{action}",
        audit.admin(actor, client_address),
        object_type="claim",
        object_id=claim.id,
        enterprise_id=claim.project.enterprise_id,
        project_id=claim.project_id,
        digest=claim.digest,
        comment=comment,
    )


def submit_claim(claim: Claim, actor: AdminUser, *, client_address: str) -> None:
    """Submit a frozen or returned claim to the bureau."""
    ensure(claim.project, Activity.CLAIM)
    ensure_claim(claim, ClaimAction.SUBMIT)
    claim.status = ClaimStatus.SUBMITTED
    claim.submitted_at = now()
    _step(claim, "submit", actor, client_address)


def review_claim(
    claim: Claim, decision: str, comment: str | None, actor: AdminUser, *, client_address: str
) -> None:
    """Approve a submitted claim, or return it with a comment."""
    ensure_claim(claim, ClaimAction.REVIEW)
    comment = (comment or "").strip() or None
    if decision not in ("approved", "returned"):
        raise DomainError("claim_decision_invalid")
    if decision == "returned" and comment is None:
        raise DomainError("claim_comment_required")
    claim.status = ClaimStatus(decision)
    claim.reviewed_at = now()
    claim.review_comment = comment
    _step(claim, "approve" if decision == "approved" else "return", actor, client_address, comment)


def events_of(claim: Claim) -> list[ClaimEvent]:
    """The claim's steps, oldest first."""
    query = select(ClaimEvent).where(ClaimEvent.claim_id == claim.id).order_by(ClaimEvent.id)
    return list(db.session.scalars(query))
