"""Export downloads over the admin API: 附件1, 附件2, hours and subsidy, training records."""

from __future__ import annotations

from typing import Literal

from backend.admin.api.blueprint import bp
from backend.admin.auth import require_permission
from backend.admin.downloads import export_response
from backend.api import RequestModel, endpoint
from backend.kernel.permissions import Permission


class ExportQuery(RequestModel):
    """The file format; full ID numbers only for the enterprise's own hours sheet."""

    format: Literal["xlsx", "csv"] = "xlsx"
    full_ids: bool = False


@bp.get("/projects/<id:project_id>/exports/<kind>")
@require_permission(Permission.VIEW_PROJECT)
@endpoint(
    summary="导出文件（kind: filing 附件1、roster 附件2、hours 课时补贴、records 培训记录）",
    query=ExportQuery,
    auth=None,
)
def admin_project_export(project_id: int, kind: str, query: ExportQuery):
    return export_response(kind, project_id, query.format, query.full_ids)
