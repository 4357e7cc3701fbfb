"""Run one export into a temporary file and audit it; the view streams the file back."""

from __future__ import annotations

import gc
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from backend import audit
from backend.kernel.errors import DomainError
from backend.kernel.permissions import can
from backend.models import AdminUser, Project, Role
from backend.services.exports import roster
from backend.services.exports.catalog import EXPORTS, ExportRequest
from backend.services.exports.writers import CSV_MIME, XLSX_MIME, write_csv, write_xlsx


@dataclass
class ExportFile:
    """A finished export on disk."""

    path: str
    download_name: str
    mimetype: str
    rows: int
    # For clients that cannot read the UTF-8 name: distinct per kind, so that `curl -OJ` of
    # the hours sheet and the training records never overwrite each other.
    ascii_name: str = ""


def run_export(
    kind: str,
    fmt: str,
    admin: AdminUser,
    project: Project,
    *,
    client_address: str,
    full_ids: bool = False,
) -> ExportFile:
    """Write the export to a temporary file and add its audit entry (the view commits)."""
    export = EXPORTS.get(kind)
    if export is None:
        raise DomainError("not_found", "没有这种导出")
    if fmt not in export.formats:
        raise DomainError("not_found", f"该导出只提供 {'、'.join(export.formats)} 格式")
    if export.permission is not None and not can(admin, export.permission):
        raise DomainError("forbidden", export.refused)
    if full_ids and not (export.full_ids and roster.shows_full_numbers(admin, project)):
        raise DomainError("forbidden", "只有本企业管理员可以导出完整身份证号码")
    request = ExportRequest(admin, project, client_address, full_ids)
    fd, path = tempfile.mkstemp(prefix="shigang-export-", suffix="." + fmt)
    try:
        with collector_paused():
            if fmt == "xlsx":
                os.close(fd)
                if export.table is None:
                    count = export.workbook(path, request)
                else:
                    count = write_xlsx(path, export.table(request))
            else:
                with open(fd, "w", encoding="utf-8-sig", newline="") as stream:
                    count = write_csv(stream, export.table(request))
    except BaseException:
        os.unlink(path)
        raise
    audit.record(
        f"export.{kind}",
        audit.admin(admin, client_address),
        object_type="project",
        object_id=project.id,
        enterprise_id=project.enterprise_id,
        format=fmt,
        rows=count,
        full_numbers=full_ids or (export.reveals and roster.shows_full_numbers(admin, project)),
        role=Role(admin.role).value,
    )
    name = f"{export.stem}_{project.id}.{fmt}"
    ascii_name = f"shigang-{kind}-{project.id}.{fmt}"
    return ExportFile(path, name, XLSX_MIME if fmt == "xlsx" else CSV_MIME, count, ascii_name)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while one export runs."""
    # An export allocates tens of thousands of acyclic objects, which reference counting frees;
    # meanwhile the collector would walk the app's long-lived objects again and again, a cost
    # the report benchmark sees. Whoever paused it resumes it.
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()
