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
from backend.kernel.permissions import Permission, can
from backend.models import AdminUser, Project, Role
from backend.services.exports import claim as claim_export
from backend.services.exports import filing, hours_sheet, integrity, records, roster
from backend.services.exports.writers import CSV_MIME, FORMATS, XLSX_MIME

# kind -> (file name stem, formats offered)
KINDS = {
    "filing": ("附件1_备案表", ("xlsx",)),
    "roster": ("附件2_学员名册", FORMATS),
    "hours": ("课时及补贴明细", FORMATS),
    "records": ("培训情况记录", FORMATS),
    "integrity": ("诚信提示", FORMATS),
    "claim": ("补贴申领名册及汇总", ("xlsx",)),
}


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
    if kind not in KINDS:
        raise DomainError("not_found", "没有这种导出")
    stem, formats = KINDS[kind]
    if fmt not in formats:
        raise DomainError("not_found", f"该导出只提供 {'、'.join(formats)} 格式")
    if kind == "integrity" and not can(admin, Permission.VIEW_INTEGRITY):
        raise DomainError("forbidden", "没有权限查看诚信提示")
    if full_ids and not (kind == "hours" and roster.shows_full_numbers(admin, project)):
        raise DomainError("forbidden", "只有本企业管理员可以导出完整身份证号码")
    fd, path = tempfile.mkstemp(prefix="shigang-export-", suffix="." + fmt)
    try:
        with collector_paused():
            if fmt == "xlsx":
                os.close(fd)
                count = _write_xlsx(kind, path, admin, project, full_ids, client_address)
            else:
                with open(fd, "w", encoding="utf-8-sig", newline="") as stream:
                    count = _write_csv(kind, stream, admin, project, full_ids, client_address)
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
        full_numbers=full_ids
        or (kind in ("roster", "claim") and roster.shows_full_numbers(admin, project)),
        role=Role(admin.role).value,
    )
    name = f"{stem}_{project.id}.{fmt}"
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


def _write_xlsx(kind, path, admin, project, full_ids, client_address) -> int:
    if kind == "claim":
        from backend.services.claims.closing import claim_of

        claim = claim_of(project)
        if claim is None:
            raise DomainError("not_found", "培训项目结束后才有补贴申领名册")
        return claim_export.write_claim_xlsx(
            path, admin, project, claim, client_address=client_address
        )
    if kind == "filing":
        filing.write_filing_xlsx(path, project)
        return 1
    if kind == "roster":
        return roster.write_roster_xlsx(path, admin, project, client_address=client_address)
    if kind == "hours":
        return hours_sheet.write_hours_xlsx(
            path, admin, project, client_address=client_address, full_ids=full_ids
        )
    if kind == "integrity":
        return integrity.write_integrity_xlsx(path, project)
    return records.write_records_xlsx(path, project)


def _write_csv(kind, stream, admin, project, full_ids, client_address) -> int:
    if kind == "roster":
        return roster.write_roster_csv(stream, admin, project, client_address=client_address)
    if kind == "hours":
        return hours_sheet.write_hours_csv(
            stream, admin, project, client_address=client_address, full_ids=full_ids
        )
    if kind == "integrity":
        return integrity.write_integrity_csv(stream, project)
    return records.write_records_csv(stream, project)
