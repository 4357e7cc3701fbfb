"""The hours and subsidy sheet: one row a trainee, a totals row, numbers from the hours engine."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import IO

from backend import pii
from backend.models import AdminUser, Project, Trainee
from backend.services import record_chain
from backend.services.exports.assessment import NO_ASSESSMENT, assessment_results
from backend.services.exports.cells import Column, Kind, yuan
from backend.services.exports.hours_source import trainees_with_hours
from backend.services.exports.roster import ROSTER_ORDER
from backend.services.exports.writers import write_table_csv, write_table_xlsx

TITLE = "企业职工线上适岗技能提升培训课时及补贴明细表"
COLUMNS = (
    Column("序号", Kind.INT, 6),
    Column("姓名", Kind.TEXT, 12),
    Column("平台登录账号", Kind.TEXT, 18),
    Column("身份证号码", Kind.TEXT, 21),
    Column("计入学习时长（分钟）", Kind.INT, 12),
    Column("课时", Kind.INT, 8),
    Column("可补贴课时", Kind.INT, 10),
    Column("补贴金额（元）", Kind.MONEY, 12),
    Column("考核结果", Kind.TEXT, 10),
)
TOTAL_LABEL = "合计"


# What each row needs of the trainee (backend.pii reads id, enterprise_id and id_number_enc).
TRAINEE_COLUMNS = (
    Trainee.id,
    Trainee.enterprise_id,
    Trainee.name,
    Trainee.account,
    Trainee.id_number_enc,
)


class _Totals:
    """Sums of the rows written, for the totals row."""

    def __init__(self) -> None:
        self.trainees = self.credited_s = self.class_hours = self.paid = self.fen = 0

    def row(self) -> list:
        # Minutes are summed from seconds, not from the rounded rows, so they stay exact.
        return [
            None,
            TOTAL_LABEL,
            f"{self.trainees} 人",
            None,
            self.credited_s // 60,
            self.class_hours,
            self.paid,
            yuan(self.fen),
            None,
        ]


def hours_rows(
    admin: AdminUser, project: Project, totals: _Totals, *, full_ids: bool = False
) -> Iterator[list]:
    """One row a trainee; full ID numbers only when asked for (and audit-logged per reveal)."""
    results = assessment_results(project.id)
    purpose = f"课时及补贴明细导出（项目 {project.id}）"
    cipher = pii.cipher()
    rows = trainees_with_hours(project, TRAINEE_COLUMNS, ROSTER_ORDER)
    for seq, (trainee, hours) in enumerate(rows, start=1):
        credited_s, class_hours, paid, fen = hours
        totals.trainees = seq
        totals.credited_s += credited_s
        totals.class_hours += class_hours
        totals.paid += paid
        totals.fen += fen
        if full_ids:
            id_number = pii.reveal_id_number(
                trainee, actor_kind="admin", actor_id=admin.id, purpose=purpose
            )
        else:
            id_number = pii.masked_id_number(trainee, cipher)
        yield [
            seq,
            trainee.name,
            trainee.account,
            id_number,
            credited_s // 60,
            class_hours,
            paid,
            yuan(fen),
            results.get(trainee.id, NO_ASSESSMENT),
        ]


def _sheet(admin, project, full_ids) -> tuple[Iterator[list], Callable[[], list]]:
    totals = _Totals()
    return hours_rows(admin, project, totals, full_ids=full_ids), totals.row


def write_hours_xlsx(path: str, admin: AdminUser, project: Project, *, full_ids=False) -> int:
    """The sheet as a printable xlsx with a totals row."""
    rows, footer = _sheet(admin, project, full_ids)
    return write_table_xlsx(
        path,
        sheet_name="课时及补贴",
        title=TITLE,
        subtitle_lines=[f"企业名称：{project.enterprise.name}", f"培训项目：{project.name}"],
        columns=COLUMNS,
        rows=rows,
        footer=footer,
        closing_lines=[record_chain.digest_line(project.id)],
        landscape=True,
    )


def write_hours_csv(stream: IO[str], admin: AdminUser, project: Project, *, full_ids=False) -> int:
    """The sheet as CSV with a totals line."""
    rows, footer = _sheet(admin, project, full_ids)
    digest = [record_chain.digest_line(project.id)]
    return write_table_csv(stream, columns=COLUMNS, rows=rows, footer=footer, closing_lines=digest)
