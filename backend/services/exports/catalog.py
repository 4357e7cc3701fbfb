"""Every export declared once: its kind, label, file name, formats, who may have it and where its
table comes from. The runner (``run.py``), the exports page and the admin API read this list;
a tabular export's xlsx and CSV are both written from the one ``Table`` its module builds."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from backend.kernel.permissions import Permission
from backend.models import AdminUser, Project
from backend.services.exports import claim, filing, hours_sheet, integrity, records, roster
from backend.services.exports.writers import FORMATS, Table


@dataclass(frozen=True)
class ExportRequest:
    """Who asked for an export of which project, and how."""

    admin: AdminUser
    project: Project
    client_address: str
    full_ids: bool = False


@dataclass(frozen=True)
class Export:
    """One export: a table written as xlsx or CSV, or a form laid out as an xlsx workbook."""

    kind: str
    label: str  # on the exports page
    stem: str  # of the file name
    table: Callable[[ExportRequest], Table] | None = None
    workbook: Callable[[str, ExportRequest], int] | None = None  # writes the file, returns rows
    permission: Permission | None = None  # needed beyond viewing the project
    refused: str = ""  # the message when that permission is missing
    full_ids: bool = False  # the enterprise's own admin may ask for full ID numbers
    reveals: bool = False  # shows the enterprise's own admin full numbers anyway

    @property
    def formats(self) -> tuple[str, ...]:
        return FORMATS if self.table is not None else ("xlsx",)


def _filing(path: str, request: ExportRequest) -> int:
    filing.write_filing_xlsx(path, request.admin, request.project, request.client_address)
    return 1


EXPORTS: dict[str, Export] = {
    export.kind: export
    for export in (
        Export(
            "filing",
            "附件1 企业职工线上适岗技能提升培训备案表",
            "附件1_备案表",
            workbook=_filing,
            reveals=True,
        ),
        Export(
            "roster",
            "附件2 企业职工线上适岗技能提升培训人员名册",
            "附件2_学员名册",
            table=lambda r: roster.table(r.admin, r.project, r.client_address),
            reveals=True,
        ),
        Export(
            "hours",
            "课时及补贴明细表",
            "课时及补贴明细",
            table=lambda r: hours_sheet.table(r.admin, r.project, r.client_address, r.full_ids),
            full_ids=True,
        ),
        Export(
            "records",
            "培训情况记录（学习会话、计入时段、人脸核身、随机弹题、测验）",
            "培训情况记录",
            table=lambda r: records.table(r.project),
        ),
        Export(
            "integrity",
            "诚信提示（疑似代学、刷课的迹象及证据）",
            "诚信提示",
            table=lambda r: integrity.table(r.project),
            permission=Permission.VIEW_INTEGRITY,
            refused="没有权限查看诚信提示",
        ),
        Export(
            "claim",
            "补贴申领名册及汇总表（项目结束后，按结项时冻结的数据）",
            "补贴申领名册及汇总",
            workbook=lambda path, r: claim.write_claim(path, r.admin, r.project, r.client_address),
            reveals=True,
        ),
    )
}
