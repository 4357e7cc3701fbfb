"""Roster import pages: upload → preview (errors or a clean summary) → confirm."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from backend.admin.auth import current_admin, require_permission
from backend.admin.roster_import import commit_import
from backend.admin.scope import get_project_or_404
from backend.admin.uploads import read_upload, too_large
from backend.kernel.errors import DomainError
from backend.kernel.permissions import Permission
from backend.services.roster.importer import preview_import

bp = Blueprint("admin_roster", __name__, url_prefix="/admin")


def _form(project, error: DomainError | None = None):
    status = error.status if error else 200
    message = error.message if error else None
    return render_template("admin/roster/import.html", project=project, error=message), status


@bp.errorhandler(413)
def upload_too_large(_exc):
    """The body was refused before the view ran (over the request size limit)."""
    error = too_large()
    return render_template("error.html", status=413, code=error.code, message=error.message), 413


@bp.get("/projects/<id:project_id>/roster/import")
@require_permission(Permission.IMPORT_ROSTER)
def import_form(project_id: int):
    """The upload form."""
    return _form(get_project_or_404(project_id, current_admin()))


@bp.post("/projects/<id:project_id>/roster/import")
@require_permission(Permission.IMPORT_ROSTER)
def import_preview(project_id: int):
    """Validate the upload and show its errors, or a clean summary to confirm."""
    admin = current_admin()
    project = get_project_or_404(project_id, admin)
    try:
        filename, data = read_upload()
        result = preview_import(admin, project, filename, data)
    except DomainError as exc:
        return _form(project, exc)
    status = 200 if result.ok else 422
    return render_template("admin/roster/preview.html", project=project, result=result), status


@bp.post("/roster/imports/<import_id>/confirm")
@require_permission(Permission.IMPORT_ROSTER)
def import_confirm(import_id: str):
    """Create the previewed trainees in one transaction."""
    accepted = [int(v) for v in request.form.getlist("accept_row") if v.isdigit()]
    result = commit_import(current_admin(), import_id, accepted)
    message = f"已导入 {result.created} 名学员并报名该培训项目"
    if result.enrolled or result.already:
        message += f"；名册中已有的 {result.enrolled} 人已报名，{result.already} 人此前已报名"
    if result.updated:
        message += f"；按名册更新了 {result.updated} 人的信息"
    flash(message, "success")
    return redirect(url_for("admin_exports.project_exports", project_id=result.project_id))
