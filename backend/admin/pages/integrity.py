"""A project's integrity flags (诚信提示) with their evidence, and its record chain's state."""

from __future__ import annotations

from flask import render_template

from backend.admin.auth import current_admin, require_permission
from backend.admin.forms import ActionForm
from backend.admin.pages.base import bp
from backend.kernel.permissions import Permission
from backend.kernel.scope import get_scoped
from backend.models import Project
from backend.services.learning import integrity_flags, record_chain


@bp.get("/projects/<id:project_id>/integrity")
@require_permission(Permission.VIEW_INTEGRITY)
def project_integrity(project_id: int):
    """Flags such as one device used by several trainees, each with its evidence."""
    return _integrity_page(project_id, verdict=None)


@bp.post("/projects/<id:project_id>/integrity/verify")
@require_permission(Permission.VIEW_INTEGRITY)
def project_integrity_verify(project_id: int):
    """Recompute the record chain (what `flask verify-records` does) and show the verdict."""
    # The form's CSRF token is checked for every POST (CSRFProtect): a stale one is a 400.
    project = get_scoped(Project, project_id, current_admin())
    return _integrity_page(project_id, verdict=record_chain.verify(project.id))


def _integrity_page(project_id: int, verdict):
    project = get_scoped(Project, project_id, current_admin())
    head, count = record_chain.head_digest(project.id)
    return render_template(
        "admin/integrity.html",
        project=project,
        flags=integrity_flags.project_flags(project),
        chain_head=head,
        chain_count=count,
        verdict=verdict,
        form=ActionForm(),
    )
