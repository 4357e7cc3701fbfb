"""Export pages: the list of downloads of a project and the download links themselves."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from backend.admin.auth import current_admin, require_permission
from backend.admin.downloads import export_response
from backend.admin.scope import get_project_or_404
from backend.kernel.permissions import Permission, can
from backend.services.claims.closing import claim_of
from backend.services.exports.catalog import EXPORTS
from backend.services.exports.roster import shows_full_numbers

bp = Blueprint("admin_exports", __name__, url_prefix="/admin")


@bp.get("/projects/<id:project_id>/exports")
@require_permission(Permission.VIEW_PROJECT)
def project_exports(project_id: int):
    """The downloads of a project (linked from the dashboard)."""
    admin = current_admin()
    project = get_project_or_404(project_id, admin)
    return render_template(
        "admin/exports/index.html",
        project=project,
        exports=EXPORTS.values(),
        full_numbers=shows_full_numbers(admin, project),
        can_import=can(admin, Permission.IMPORT_ROSTER),
        # The claim exists from the project's close on: before that there is nothing to download.
        has_claim=claim_of(project) is not None,
    )


@bp.get("/projects/<id:project_id>/exports/<kind>.<fmt>")
@require_permission(Permission.VIEW_PROJECT)
def download(project_id: int, kind: str, fmt: str):
    """Download one export; ``?full_ids=1`` only for the enterprise's own hours sheet."""
    # The same spellings the JSON API's boolean accepts, so no link silently falls back to masked.
    full_ids = request.args.get("full_ids", "").lower() in ("1", "true", "yes", "on")
    return export_response(kind, project_id, fmt, full_ids)
