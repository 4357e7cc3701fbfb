"""Admin JSON API for closing a project and its subsidy claim: close, read, submit, review."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from backend.admin.api.blueprint import bp
from backend.admin.auth import current_admin, require_permission
from backend.api import RequestModel, ResponseModel, endpoint
from backend.caller import client_address
from backend.extensions import db
from backend.kernel.errors import NotFoundError
from backend.kernel.permissions import Permission
from backend.kernel.scope import get_scoped
from backend.models import Claim, ClaimStatus, Project
from backend.services.claims import review
from backend.services.claims.closing import claim_of, close_project
from backend.services.claims.snapshot import REASONS
from backend.services.plain_text import optional_text, user_text


class CloseIn(RequestModel):
    """Why the project closes before its end date (required then, optional after)."""

    reason: optional_text(500) | None = None


class ReviewIn(RequestModel):
    """The reviewer's decision; a return needs a comment."""

    decision: Literal["approved", "returned"]
    comment: user_text(1000) | None = None


class YearOut(ResponseModel):
    """Per calendar year: trainees paid, class hours, subsidy."""

    year: int
    trainees: int
    class_hours: int
    subsidizable_hours: int
    subsidy_fen: int


class LineOut(ResponseModel):
    """One trainee's frozen figures."""

    seq: int
    trainee_id: int
    name: str
    credited_s: int
    class_hours: int
    subsidizable_hours: int
    subsidy_fen: int
    assessment: str
    qualifies: bool
    reason: str | None
    reason_text: str | None
    face_check_percent: int | None


class EventOut(ResponseModel):
    """A step of the claim's review."""

    action: str
    actor_id: int | None
    at: datetime
    comment: str | None


class ClaimOut(ResponseModel):
    """A project's claim: status, digest, totals, per-year summary, lines and steps."""

    id: int
    project_id: int
    status: ClaimStatus
    closed_at: datetime
    close_reason: str | None
    policy_id: str
    digest: str
    received_affected_subsidy: bool
    review_comment: str | None
    trainees: int
    qualifying_trainees: int
    class_hours: int
    subsidy_fen: int
    years: list[YearOut]
    lines: list[LineOut]
    events: list[EventOut]


def claim_body(claim: Claim) -> dict:
    """The claim as ClaimOut data."""
    from backend.services.claims.summary import summary

    totals = summary(claim)
    return {
        "id": claim.id,
        "project_id": claim.project_id,
        "status": claim.status,
        "closed_at": claim.closed_at,
        "close_reason": claim.close_reason,
        "policy_id": claim.policy_id,
        "digest": claim.digest,
        "received_affected_subsidy": claim.received_affected_subsidy,
        "review_comment": claim.review_comment,
        "trainees": totals.trainees,
        "qualifying_trainees": totals.qualifying,
        "class_hours": totals.class_hours,
        "subsidy_fen": totals.subsidy_fen,
        "years": [vars(year) for year in totals.years],
        "lines": [
            {
                **{k: getattr(line, k) for k in LineOut.model_fields if hasattr(line, k)},
                "reason_text": REASONS.get(line.reason) if line.reason else None,
            }
            for line in claim.lines
        ],
        "events": review.events_of(claim),
    }


def _claim(project_id: int) -> Claim:
    project = get_scoped(Project, project_id, current_admin())
    claim = claim_of(project)
    if claim is None:
        raise NotFoundError("该培训项目尚未结束，还没有补贴申领")
    return claim


@bp.post("/projects/<id:project_id>/close")
@require_permission(Permission.CLOSE_PROJECT)
@endpoint(summary="结束培训项目并冻结补贴数据", body=CloseIn, response=ClaimOut, auth=None)
def admin_project_close(project_id: int, body: CloseIn):
    admin = current_admin()
    project = get_scoped(Project, project_id, admin)
    claim = close_project(project, admin, body.reason, client_address=client_address())
    db.session.commit()
    return claim_body(claim)


@bp.get("/projects/<id:project_id>/claim")
@require_permission(Permission.VIEW_PROJECT)
@endpoint(summary="补贴申领（结项时冻结的数据）", response=ClaimOut, auth=None)
def admin_project_claim(project_id: int):
    return claim_body(_claim(project_id))


@bp.post("/projects/<id:project_id>/claim/submit")
@require_permission(Permission.SUBMIT_CLAIM)
@endpoint(summary="提交补贴申领", response=ClaimOut, auth=None)
def admin_claim_submit(project_id: int):
    claim = _claim(project_id)
    review.submit_claim(claim, current_admin(), client_address=client_address())
    db.session.commit()
    return claim_body(claim)


@bp.post("/projects/<id:project_id>/claim/review")
@require_permission(Permission.REVIEW_CLAIM)
@endpoint(summary="审核补贴申领：通过，或填写意见退回", body=ReviewIn, response=ClaimOut, auth=None)
def admin_claim_review(project_id: int, body: ReviewIn):
    claim = _claim(project_id)
    review.review_claim(
        claim, body.decision, body.comment, current_admin(), client_address=client_address()
    )
    db.session.commit()
    return claim_body(claim)
