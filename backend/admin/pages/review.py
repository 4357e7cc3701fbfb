"""Filing review: reviewers approve a filed project or return it with a comment."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select

from backend.admin.auth import current_admin, require_permission
from backend.admin.forms import ReviewForm
from backend.admin.pages.base import bp, show_field_error
from backend.admin.scope import get_project_or_404
from backend.caller import client_address
from backend.extensions import db
from backend.kernel.lifecycle import Activity, statuses_allowing
from backend.kernel.permissions import Permission
from backend.kernel.scope import scope_query
from backend.models import Claim, ClaimStatus, Project
from backend.services.projects import filing, filing_document


@bp.get("/review")
@require_permission(Permission.REVIEW_FILING)
def review_queue():
    """Filings and subsidy claims waiting for review, and filings reviewed lately."""
    admin = current_admin()
    # A reviewer bound to cities sees only those cities' filings (kernel/scope.py).
    waiting = db.session.scalars(
        scope_query(
            select(Project)
            .where(Project.status.in_(statuses_allowing(Activity.REVIEW)))
            .order_by(Project.created_at, Project.id),
            Project,
            admin,
        )
    )
    reviewed = db.session.scalars(
        scope_query(
            select(Project)
            .where(Project.reviewed_at.is_not(None))
            .order_by(Project.reviewed_at.desc())
            .limit(20),
            Project,
            admin,
        )
    )
    # Submitted subsidy claims wait for the same reviewer (kernel/scope.py: via the project).
    claims = db.session.scalars(
        scope_query(
            select(Claim)
            .where(Claim.status == ClaimStatus.SUBMITTED)
            .order_by(Claim.submitted_at, Claim.id),
            Claim,
            admin,
        )
    )
    return render_template(
        "admin/review_queue.html",
        waiting=list(waiting),
        reviewed=list(reviewed),
        claims=list(claims),
    )


@bp.route("/review/<id:project_id>", methods=["GET", "POST"])
@require_permission(Permission.REVIEW_FILING)
def review_project(project_id: int):
    """A filing with the reviewer's decision form."""
    project = get_project_or_404(project_id, current_admin())
    form = ReviewForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            filing.review_filing(
                project,
                form.decision.data,
                form.comment.data,
                current_admin(),
                client_address=client_address(),
            )
            db.session.commit()
        except filing.FieldError as exc:
            db.session.rollback()
            show_field_error(form, exc)
        else:
            flash("审核结果已保存", "success")
            return redirect(url_for("admin_pages.review_queue"))
    status = 422 if form.errors else 200
    shown = filing_document.shown_filing(project)
    return render_template("admin/review.html", project=project, form=form, shown=shown), status
