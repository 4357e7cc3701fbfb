"""Reading an uploaded file in an admin view, with readable errors for every bad upload."""

from __future__ import annotations

from flask import current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

from backend.kernel.errors import DomainError


def too_large() -> DomainError:
    """The error for a file over the roster size limit."""
    limit_mb = current_app.config["ROSTER_IMPORT_MAX_BYTES"] / (1024 * 1024)
    return DomainError("file_too_large", f"文件超过 {limit_mb:g} MB 上限，请删除多余内容或分批导入")


def read_upload(field: str = "file") -> tuple[str, bytes]:
    """The uploaded file's name and bytes; a missing or oversized file is a clear DomainError."""
    limit = current_app.config["ROSTER_IMPORT_MAX_BYTES"]
    try:
        upload = request.files.get(field)
    except RequestEntityTooLarge:
        raise too_large() from None
    if upload is None or not upload.filename:
        raise DomainError("file_missing", "请选择要上传的学员名册文件（.xlsx 或 .csv）")
    data = upload.stream.read(limit + 1)
    if len(data) > limit:
        raise too_large()
    return upload.filename, data
