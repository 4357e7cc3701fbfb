"""Export downloads over the admin API: 附件1, 附件2, hours and subsidy, training records."""

from __future__ import annotations

from typing import Literal

from flask import Blueprint

from backend.admin.auth import current_admin, require_permission
from backend.admin.downloads import stream_export
from backend.admin.scope import get_project_or_404
from backend.api import RequestModel, endpoint
from backend.caller import client_address
from backend.extensions import db
from backend.kernel.permissions import Permission
from backend.services.exports.run import run_export


class ExportQuery(RequestModel):
    """The file format; full ID numbers only for the enterprise's own hours sheet."""

    format: Literal["xlsx", "csv"] = "xlsx"
    full_ids: bool = False


def export_response(kind: str, project_id: int, fmt: str, full_ids: bool):
    """Run an export for the signed-in admin, commit its audit entries, stream the file."""
    admin = current_admin()
    project = get_project_or_404(project_id, admin)
    export = run_export(
        kind, fmt, admin, project, full_ids=full_ids, client_address=client_address()
    )
    db.session.commit()
    return stream_export(export)


def register(bp: Blueprint) -> None:
    """Attach the routes."""

    @bp.get("/projects/<id:project_id>/exports/<kind>")
    @require_permission(Permission.VIEW_PROJECT)
    @endpoint(
        summary="导出文件（kind: filing 附件1、roster 附件2、hours 课时补贴、records 培训记录）",
        query=ExportQuery,
        auth=None,
    )
    def admin_project_export(project_id: int, kind: str, query: ExportQuery):
        return export_response(kind, project_id, query.format, query.full_ids)
