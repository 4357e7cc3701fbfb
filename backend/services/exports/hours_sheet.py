"""The hours and subsidy sheet: one row a trainee, a totals row, numbers from the hours engine."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import IO

from backend import pii
from backend.models import AdminUser, Project
from backend.services.exports.assessment import NO_ASSESSMENT, assessment_results
from backend.services.exports.cells import Column, Kind, yuan
from backend.services.exports.hours_source import NO_HOURS, TraineeHours, project_hours
from backend.services.exports.roster import enrolled_trainees
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


def _totals_row(figures: dict[int, TraineeHours]) -> list:
    # Minutes are summed from seconds, not from the rounded rows, so they stay exact.
    lines = figures.values()
    return [
        None,
        TOTAL_LABEL,
        f"{len(lines)} 人",
        None,
        sum(line.credited_s for line in lines) // 60,
        sum(line.class_hours for line in lines),
        sum(line.subsidizable_hours for line in lines),
        yuan(sum(line.subsidy_fen for line in lines)),
        None,
    ]


def hours_rows(
    admin: AdminUser, project: Project, figures: dict[int, TraineeHours], *, full_ids=False
) -> Iterator[list]:
    """One row a trainee; full ID numbers only when asked for (and audit-logged per reveal)."""
    results = assessment_results(project.id)
    purpose = f"课时及补贴明细导出（项目 {project.id}）"
    cipher = pii.cipher()
    for seq, trainee in enumerate(enrolled_trainees(project.id), start=1):
        hours = figures.get(trainee.id, NO_HOURS)
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
            hours.credited_s // 60,
            hours.class_hours,
            hours.subsidizable_hours,
            yuan(hours.subsidy_fen),
            results.get(trainee.id, NO_ASSESSMENT),
        ]


def _sheet(admin, project, full_ids) -> tuple[Iterator[list], Callable[[], list]]:
    # Every enrolled trainee has a line, so the totals are the sums over all of them.
    figures = project_hours(project)
    return hours_rows(admin, project, figures, full_ids=full_ids), lambda: _totals_row(figures)


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
        landscape=True,
    )


def write_hours_csv(stream: IO[str], admin: AdminUser, project: Project, *, full_ids=False) -> int:
    """The sheet as CSV with a totals line."""
    rows, footer = _sheet(admin, project, full_ids)
    return write_table_csv(stream, columns=COLUMNS, rows=rows, footer=footer)
