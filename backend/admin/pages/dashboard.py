"""The project dashboard: headline figures; the charts load their data from the admin API."""

from __future__ import annotations

from flask import render_template

from backend.admin.auth import current_admin, require_permission
from backend.admin.forms import ActionForm
from backend.admin.pages.base import bp
from backend.admin.scope import get_project_or_404
from backend.kernel.permissions import Permission
from backend.services.people import dashboard


@bp.get("/projects/<id:project_id>")
@require_permission(Permission.VIEW_PROJECT)
def project_dashboard(project_id: int):
    """A project's dashboard."""
    project = get_project_or_404(project_id, current_admin())
    return render_template(
        "admin/dashboard.html",
        project=project,
        summary=dashboard.project_summary(project),
        action_form=ActionForm(),
    )
