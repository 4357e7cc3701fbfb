"""Roster import over JSON: upload a file for a preview, then confirm the clean preview."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from backend.admin.api.blueprint import bp
from backend.admin.auth import current_admin, require_permission
from backend.admin.roster_import import commit_import
from backend.admin.scope import get_project_or_404
from backend.admin.uploads import read_upload
from backend.api import RequestModel, ResponseModel, endpoint
from backend.kernel.permissions import Permission
from backend.services.roster.importer import preview_import


class RowErrorOut(ResponseModel):
    """One problem: sheet row number, column header and a Chinese message."""

    row: int | None
    column: str | None
    message: str


class PreviewRowOut(ResponseModel):
    """A clean row as previewed (ID number and mobile masked)."""

    row: int
    name: str
    gender: str
    id_number: str
    mobile: str
    account: str


class DifferenceOut(ResponseModel):
    """Where the file differs from the record of someone already on the roster (masked)."""

    row: int
    trainee_id: int
    column: str
    current: str
    incoming: str


class PreviewOut(ResponseModel):
    """The preview: errors, or a clean summary with the id to confirm it by."""

    ok: bool
    project_id: int
    filename: str
    row_count: int
    error_count: int
    errors: list[RowErrorOut]
    import_id: str | None
    male: int
    female: int
    elsewhere: int
    existing: int = Field(description="已在本企业名册中的人数：不新建，直接报名")
    already_enrolled: int = Field(description="其中已报名本项目的人数")
    differences: list[DifferenceOut]
    sample: list[PreviewRowOut]
    expires_in_s: int


class ConfirmIn(RequestModel):
    """Rows (sheet row numbers) whose differing name, mobile or account the admin accepts."""

    accept_rows: Annotated[
        list[Annotated[int, Field(ge=1, le=1_000_000)]],
        Field(default_factory=list, max_length=20_000),
    ]


class ConfirmedOut(ResponseModel):
    """The import done."""

    project_id: int
    created: int
    trainee_ids: list[int]
    enrolled: int = Field(description="已在名册中、本次新报名的人数")
    already: int = Field(description="已在名册中且已报名本项目的人数")
    updated: int = Field(description="按名册更新了姓名、手机号码或账号的人数")


@bp.post("/projects/<id:project_id>/roster-imports")
@require_permission(Permission.IMPORT_ROSTER)
@endpoint(summary="上传学员名册并预览（multipart，字段 file）", response=PreviewOut, auth=None)
def admin_roster_preview(project_id: int):
    admin = current_admin()
    project = get_project_or_404(project_id, admin)
    filename, data = read_upload()
    result = preview_import(admin, project, filename, data)
    return PreviewOut(ok=result.ok, **_fields(result))


@bp.post("/roster-imports/<import_id>/confirm")
@require_permission(Permission.IMPORT_ROSTER)
@endpoint(
    summary="确认导入已通过校验的学员名册",
    body=ConfirmIn,
    response=ConfirmedOut,
    status=201,
    auth=None,
)
def admin_roster_confirm(import_id: str, body: ConfirmIn):
    return commit_import(current_admin(), import_id, body.accept_rows)


def _fields(result) -> dict:
    return {k: v for k, v in vars(result).items() if k != "ok"}
