"""A project's end: closing it, its frozen claim, submitting it and the bureau's review."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from backend.admin.auth import current_admin, require_permission
from backend.admin.forms import ActionForm, ReviewForm
from backend.admin.pages.base import bp
from backend.caller import client_address
from backend.extensions import db
from backend.kernel.errors import DomainError
from backend.kernel.lifecycle import (
    CLAIM_STATUS_NAMES,
    Activity,
    ClaimAction,
    allows,
    claim_allows,
)
from backend.kernel.permissions import Permission, can
from backend.kernel.scope import get_scoped
from backend.models import Project
from backend.services.certificates import reads
from backend.services.claims import review
from backend.services.claims.closing import claim_of, close_project
from backend.services.claims.snapshot import REASONS
from backend.services.claims.summary import summary


def _back(project_id: int):
    return redirect(url_for("admin_pages.project_claim", project_id=project_id))


def _act(project_id: int, action) -> object:
    """Run one change with the CSRF-checked form; a refusal is flashed, nothing half-done."""
    if not ActionForm().validate_on_submit():
        flash("页面已过期，请重试", "error")
        return _back(project_id)
    try:
        action(current_admin())
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    return _back(project_id)


@bp.get("/projects/<id:project_id>/claim")
@require_permission(Permission.VIEW_PROJECT)
def project_claim(project_id: int):
    """The project's end: the close form, or the frozen claim with its review steps."""
    project = get_scoped(Project, project_id, current_admin())
    claim = claim_of(project)
    return render_template(
        "admin/claim.html",
        project=project,
        claim=claim,
        totals=summary(claim) if claim else None,
        events=review.events_of(claim) if claim else [],
        can_close=allows(project, Activity.CLOSE),
        reasons=REASONS,
        status_names=CLAIM_STATUS_NAMES,
        action_names=review.ACTION_NAMES,
        may_submit=bool(claim) and claim_allows(claim, ClaimAction.SUBMIT),
        may_review=bool(claim) and claim_allows(claim, ClaimAction.REVIEW),
        form=ActionForm(),
        review_form=ReviewForm(),
        certificates=reads.of_project(project)
        if claim and can(current_admin(), Permission.VIEW_CERTIFICATES)
        else [],
    )


@bp.post("/projects/<id:project_id>/close")
@require_permission(Permission.CLOSE_PROJECT)
def project_close(project_id: int):
    """Close the project (before its end date only with a reason)."""
    project = get_scoped(Project, project_id, current_admin())
    reason = request.form.get("reason", "")
    return _act(
        project_id,
        lambda admin: close_project(project, admin, reason, client_address=client_address()),
    )


@bp.post("/projects/<id:project_id>/claim/submit")
@require_permission(Permission.SUBMIT_CLAIM)
def project_claim_submit(project_id: int):
    """Submit the claim to the bureau."""
    claim = claim_of(get_scoped(Project, project_id, current_admin()))
    if claim is None:
        raise DomainError("not_found")
    return _act(
        project_id,
        lambda admin: review.submit_claim(claim, admin, client_address=client_address()),
    )


@bp.post("/projects/<id:project_id>/claim/review")
@require_permission(Permission.REVIEW_CLAIM)
def project_claim_review(project_id: int):
    """Approve the claim, or return it with a comment."""
    claim = claim_of(get_scoped(Project, project_id, current_admin()))
    if claim is None:
        raise DomainError("not_found")
    decision, comment = request.form.get("decision", ""), request.form.get("comment", "")
    return _act(
        project_id,
        lambda admin: review.review_claim(
            claim, decision, comment, admin, client_address=client_address()
        ),
    )
