"""Roster import over JSON: upload a file for a preview, then confirm the clean preview."""

from __future__ import annotations

from flask import Blueprint
from sqlalchemy.exc import IntegrityError

from backend.admin.auth import current_admin, require_permission
from backend.admin.scope import get_project_or_404
from backend.admin.uploads import read_upload
from backend.api import ResponseModel, endpoint
from backend.errors import ApiError
from backend.extensions import db
from backend.kernel.permissions import Permission
from backend.services.roster.importer import confirm_import, preview_import


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
    sample: list[PreviewRowOut]
    expires_in_s: int


class ConfirmedOut(ResponseModel):
    """The import done."""

    project_id: int
    created: int
    trainee_ids: list[int]


def commit_import(admin, import_id: str):
    """Confirm an import and commit it, turning a lost uniqueness race into a 409."""
    result = confirm_import(admin, import_id, get_project_or_404)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise ApiError(
            409, "roster_conflict", "导入时平台数据已变化（账号或身份证号码重复），请重新上传名册"
        ) from None
    return result


def register(bp: Blueprint) -> None:
    """Attach the routes."""

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
    @endpoint(summary="确认导入已通过校验的学员名册", response=ConfirmedOut, status=201, auth=None)
    def admin_roster_confirm(import_id: str):
        return commit_import(current_admin(), import_id)


def _fields(result) -> dict:
    return {k: v for k, v in vars(result).items() if k != "ok"}
