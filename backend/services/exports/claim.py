"""The claim package (补贴申领): the claim roster and the summary sheet, from the snapshot frozen
at close, printable on A4 like 附件1/附件2, every page footed with the snapshot's digest."""

from __future__ import annotations

import xlsxwriter
from sqlalchemy import select

from backend import audit, pii
from backend.clock import local_date
from backend.extensions import db
from backend.kernel.errors import DomainError
from backend.models import AdminUser, Claim, Project, Trainee
from backend.services.claims.closing import claim_of
from backend.services.claims.snapshot import REASONS
from backend.services.claims.summary import summary
from backend.services.exports.cells import as_text, yuan
from backend.services.exports.roster import shows_full_numbers
from backend.services.exports.writers import print_setup
from backend.services.exports.xlsx_stream import row_height

ROSTER_TITLE = "企业职工线上适岗技能提升培训补贴申领人员名册"
SUMMARY_TITLE = "企业职工线上适岗技能提升培训补贴申领汇总表"
ROSTER_HEADERS = ("序号", "姓名", "身份证号码", "课时", "可补贴课时", "补贴金额（元）", "考核结果")
APART_HEADERS = ("序号", "姓名", "身份证号码", "课时", "可补贴课时", "补贴金额（元）", "原因")
WIDTHS = (6, 12, 22, 8, 11, 14, 26)
SUMMARY_HEADERS = ("年度", "人数", "课时", "可补贴课时", "补贴金额（元）")
SIGNATURES = (
    "企业负责人（签字）：                经办人（签字）：                企业（盖章）",
    "填报日期：        年    月    日",
    "人力资源社会保障部门审核意见：                                        （盖章）",
    "审核日期：        年    月    日",
)


def footer(claim: Claim) -> str:
    """The page footer: the snapshot's digest left, the page number right."""
    return f"&L&8数据摘要（SHA-256）：{claim.digest}&R&8第 &P 页，共 &N 页"


class _Formats:
    def __init__(self, workbook: xlsxwriter.Workbook) -> None:
        cell = {"border": 1, "valign": "vcenter", "font_size": 10}
        self.title = workbook.add_format({"bold": True, "font_size": 16, "align": "center"})
        self.plain = workbook.add_format({"font_size": 10})
        self.wrapped = workbook.add_format({"font_size": 10, "text_wrap": 1, "valign": "top"})
        self.header = workbook.add_format({**cell, "bold": True, "align": "center", "text_wrap": 1})
        self.text = workbook.add_format({**cell, "num_format": "@"})
        self.int = workbook.add_format({**cell, "num_format": "0"})
        self.money = workbook.add_format({**cell, "num_format": "0.00"})
        self.section = workbook.add_format({"bold": True, "font_size": 11})


def _sheet(workbook, name: str, claim: Claim, widths) -> object:
    sheet = workbook.add_worksheet(name)
    print_setup(sheet)
    sheet.set_footer(footer(claim))
    for col, width in enumerate(widths):
        sheet.set_column(col, col, width)
    return sheet


def _head(sheet, f: _Formats, title: str, lines: list[str], last_col: int) -> int:
    sheet.merge_range(0, 0, 0, last_col, title, f.title)
    sheet.set_row(0, 30)
    for row, line in enumerate(lines, start=1):
        wraps = "\n" in line
        sheet.merge_range(row, 0, row, last_col, as_text(line), f.wrapped if wraps else f.plain)
        if wraps:
            sheet.set_row(row, row_height(line.count("\n") + 1))
    return len(lines) + 1


def _cells(sheet, f: _Formats, row: int, values, kinds: str) -> None:
    for col, (value, kind) in enumerate(zip(values, kinds, strict=True)):
        if value is None:
            sheet.write_blank(row, col, None, f.text)
        elif kind == "t":
            sheet.write_string(row, col, as_text(value), f.text)
        elif kind == "m":
            sheet.write_number(row, col, float(yuan(value)), f.money)
        else:
            sheet.write_number(row, col, value, f.int)


def _id_numbers(
    admin: AdminUser, project: Project, claim: Claim, client_address: str
) -> dict[int, str]:
    """Per trainee of the claim: the full ID number (enterprise's own admin, each reveal
    audit-logged) or the masked one."""
    rows = db.session.execute(
        select(Trainee.id, Trainee.enterprise_id, Trainee.id_number_enc).where(
            Trainee.id.in_([line.trainee_id for line in claim.lines])
        )
    ).all()
    full = shows_full_numbers(admin, project)
    purpose = f"补贴申领名册导出（项目 {project.id}）"
    cipher = pii.cipher()
    if full:
        reader = audit.admin(admin, client_address)
        return {row.id: pii.reveal_id_number(row, reader, purpose=purpose) for row in rows}
    return {row.id: pii.masked_id_number(row, cipher) for row in rows}


def write_claim(path: str, admin: AdminUser, project: Project, client_address: str) -> int:
    """The claim package of a closed project (404 before it is closed)."""
    claim = claim_of(project)
    if claim is None:
        raise DomainError("not_found", "培训项目结束后才有补贴申领名册")
    return write_claim_xlsx(path, admin, project, claim, client_address=client_address)


def write_claim_xlsx(
    path: str, admin: AdminUser, project: Project, claim: Claim, *, client_address: str
) -> int:
    """The claim roster (qualifying trainees, totals, those apart with the reason, signature
    rows) and the summary sheet per year; returns the roster's lines."""
    workbook = xlsxwriter.Workbook(path, {"in_memory": False})
    f = _Formats(workbook)
    ids = _id_numbers(admin, project, claim, client_address)
    closed_on = local_date(claim.closed_at)
    lines = [
        f"企业名称（盖章）：{project.enterprise.name}",
        f"培训项目：{project.name}（{project.start_date} 至 {project.end_date}）",
        f"结项日期：{closed_on.isoformat()}",
        # The digest on a line of its own: it fits the narrow summary sheet too.
        f"数据摘要（SHA-256）：\n{claim.digest}",
    ]
    sheet = _sheet(workbook, "申领名册", claim, WIDTHS)
    row = _head(sheet, f, ROSTER_TITLE, lines, len(WIDTHS) - 1)
    for col, header in enumerate(ROSTER_HEADERS):
        sheet.write_string(row, col, header, f.header)
    sheet.repeat_rows(row)
    row += 1
    qualifying = [line for line in claim.lines if line.qualifies]
    apart = [line for line in claim.lines if not line.qualifies]
    totals = summary(claim)
    for seq, line in enumerate(qualifying, start=1):
        values = (
            seq,
            line.name,
            ids[line.trainee_id],
            line.class_hours,
            line.subsidizable_hours,
            line.subsidy_fen,
            line.assessment,
        )
        _cells(sheet, f, row, values, "ittiimt")
        row += 1
    total = (
        None,
        "合计",
        f"{len(qualifying)} 人",
        totals.class_hours,
        totals.subsidizable_hours,
        totals.subsidy_fen,
        None,
    )
    _cells(sheet, f, row, total, "tttiimt")
    row += 2
    if apart:
        sheet.write_string(row, 0, "不符合申领条件的学员（不计入合计）", f.section)
        row += 1
        for col, header in enumerate(APART_HEADERS):
            sheet.write_string(row, col, header, f.header)
        row += 1
        for seq, line in enumerate(apart, start=1):
            values = (
                seq,
                line.name,
                ids[line.trainee_id],
                line.class_hours,
                line.subsidizable_hours,
                0,
                REASONS.get(line.reason or "", line.reason),
            )
            _cells(sheet, f, row, values, "ittiimt")
            row += 1
        row += 1
    for text in SIGNATURES:
        sheet.merge_range(row, 0, row, len(WIDTHS) - 1, text, f.plain)
        sheet.set_row(row, 28)
        row += 1

    _write_summary(workbook, f, project, claim, totals, lines)
    workbook.close()
    return len(claim.lines)


def _write_summary(workbook, f: _Formats, project, claim, totals, lines) -> None:
    widths = (12, 10, 10, 12, 16)
    sheet = _sheet(workbook, "汇总", claim, widths)
    row = _head(sheet, f, SUMMARY_TITLE, lines, len(widths) - 1)
    for col, header in enumerate(SUMMARY_HEADERS):
        sheet.write_string(row, col, header, f.header)
    row += 1
    for year in totals.years:
        values = (
            f"{year.year} 年",
            year.trainees,
            year.class_hours,
            year.subsidizable_hours,
            year.subsidy_fen,
        )
        _cells(sheet, f, row, values, "tiiim")
        row += 1
    values = ("合计", totals.qualifying, totals.class_hours, totals.subsidizable_hours)
    _cells(sheet, f, row, (*values, totals.subsidy_fen), "tiiim")
    row += 2
    counts = (
        f"名册人数：{totals.trainees} 人；符合申领条件：{totals.qualifying} 人；"
        f"不符合：{totals.trainees - totals.qualifying} 人"
    )
    sheet.merge_range(row, 0, row, len(widths) - 1, counts, f.plain)
    row += 2
    for text in SIGNATURES[:2]:
        sheet.merge_range(row, 0, row, len(widths) - 1, text, f.plain)
        row += 1
