"""The hours and subsidy sheet: one row a trainee, a totals row, numbers from the hours engine."""

from __future__ import annotations

from collections.abc import Iterator

from backend import audit, clock, pii
from backend.models import AdminUser, Project, Trainee
from backend.policy import policy_for
from backend.services.exports.cells import Column, Kind, yuan
from backend.services.exports.hours_source import (
    project_years,
    trainees_with_hours,
    yearly_shares,
)
from backend.services.exports.roster import ROSTER_ORDER
from backend.services.exports.writers import Table
from backend.services.learning import face_checks, record_chain
from backend.services.practice.assessment import NO_ASSESSMENT, assessment_results

TITLE = "企业职工线上适岗技能提升培训课时及补贴明细表"
COLUMNS = (
    Column("序号", Kind.INT, 6),
    Column("姓名", Kind.TEXT, 12),
    Column("平台登录账号", Kind.TEXT, 18),
    Column("身份证号码", Kind.DIGITS, 21),
    Column("计入学习时长（分钟）", Kind.INT, 12),
    Column("课时", Kind.INT, 8),
    Column("可补贴课时", Kind.INT, 10),
    Column("补贴金额（元）", Kind.MONEY, 12),
    Column("考核结果", Kind.TEXT, 10),
    Column("人脸核身覆盖率", Kind.TEXT, 10),
)
TOTAL_LABEL = "合计"
YEAR_COLUMN = Column("年度", Kind.TEXT, 10)
SIGNATURE_LINES = (
    "经办人（签字）：                联系电话：",
    "企业（盖章）：                  年    月    日",
)


def _years(project: Project) -> list[int]:
    return project_years(project)


def columns_for(project: Project) -> tuple[Column, ...]:
    """The sheet's columns: a year column, and hours and subsidy per year across a new year."""
    years = _years(project)
    columns = (*COLUMNS[:4], YEAR_COLUMN, *COLUMNS[4:8])
    if len(years) > 1:
        for year in years:
            columns += (
                Column(f"{year}年可补贴课时", Kind.INT, 10),
                Column(f"{year}年补贴（元）", Kind.MONEY, 12),
            )
    return (*columns, *COLUMNS[8:])


def rules_line(project: Project) -> str:
    """How the figures are computed, in the project's policy numbers."""
    policy = policy_for(project)
    rate = f"{policy.fen_per_class_hour / 100:g}"
    cap = f"{policy.yearly_cap_fen_per_trainee / 100:g}"
    return (
        f"计算说明：培训日期内计入的学习时长每 {policy.minutes_per_class_hour} 分钟计 1 课时"
        "（不足不计）；"
        f"可补贴课时每人不超过计划课时 {project.planned_class_hours} 课时；补贴 {rate} 元/课时，"
        f"每人每个自然年（北京时间）最多 {cap} 元，同一人在多个项目的课时按取得先后合并计算。"
    )


def _head_lines(project: Project) -> list[str]:
    years = _years(project)
    span = f"{years[0]}年" if len(years) == 1 else f"{years[0]}–{years[-1]}年（跨年度，分年计补贴）"
    return [
        f"企业名称：{project.enterprise.name}",
        f"培训项目：{project.name}（{project.start_date} 至 {project.end_date}，{span}）",
        f"导出日期：{clock.today().isoformat()}",
    ]


def _closing_lines(project: Project) -> list[str]:
    return [rules_line(project), *SIGNATURE_LINES, record_chain.digest_line(project.id)]


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

    def __init__(self, years: list[int]) -> None:
        self.trainees = self.credited_s = self.class_hours = self.paid = self.fen = 0
        self.years = years
        self.by_year = {year: [0, 0] for year in years}

    def row(self) -> list:
        # Minutes are summed from seconds, not from the rounded rows, so they stay exact.
        row = [None, TOTAL_LABEL, f"{self.trainees} 人", None, _year_label(self.years)]
        row += [self.credited_s // 60, self.class_hours, self.paid, yuan(self.fen)]
        if len(self.years) > 1:
            for year in self.years:
                paid, fen = self.by_year[year]
                row += [paid, yuan(fen)]
        return [*row, None, None]


def _year_label(years: list[int]) -> str:
    return str(years[0]) if len(years) == 1 else f"{years[0]}–{years[-1]}"


def hours_rows(
    admin: AdminUser,
    project: Project,
    totals: _Totals,
    *,
    client_address: str,
    full_ids: bool = False,
) -> Iterator[list]:
    """One row a trainee; full ID numbers only when asked for (and audit-logged per reveal)."""
    results = assessment_results(project.id)
    # Share of credited time covered by a passed face check, blank where none was asked: its
    # sums come in the sheet's own pass over the spans (a second pass cost as much again).
    asked = face_checks.asked_any(project.id)
    purpose = f"课时及补贴明细导出（项目 {project.id}）"
    cipher = pii.cipher()
    years = totals.years
    # Across a new year each year's share after the person's yearly cap, from the engine.
    per_year = yearly_shares(project) if len(years) > 1 else {}
    rows = trainees_with_hours(
        project, TRAINEE_COLUMNS, ROSTER_ORDER, face_checks.coverage_sums() if asked else ()
    )
    year_label, by_year = _year_label(years), len(years) > 1
    for seq, (trainee, hours) in enumerate(rows, start=1):
        credited_s, class_hours, paid, fen = hours
        totals.trainees = seq
        totals.credited_s += credited_s
        totals.class_hours += class_hours
        totals.paid += paid
        totals.fen += fen
        if full_ids:
            id_number = pii.reveal_id_number(
                trainee, audit.admin(admin, client_address), purpose=purpose
            )
        else:
            id_number = pii.masked_id_number(trainee, cipher)
        row = [seq, trainee.name, trainee.account, id_number, year_label]
        row += [credited_s // 60, class_hours, paid, yuan(fen)]
        if by_year:
            shares = per_year.get(trainee.id, {})
            for year in years:
                share = shares.get(year)
                year_paid, year_fen = (
                    (share.subsidizable_hours, share.subsidy_fen) if share else (0, 0)
                )
                totals.by_year[year][0] += year_paid
                totals.by_year[year][1] += year_fen
                row += [year_paid, yuan(year_fen)]
        face = ""
        if asked and trainee.credited_all_s:
            face = f"{face_checks.percent(trainee.credited_all_s, trainee.covered_s)}%"
        yield [*row, results.get(trainee.id, NO_ASSESSMENT), face]


def table(admin: AdminUser, project: Project, client_address: str, full_ids: bool) -> Table:
    """The sheet with a totals row; full ID numbers only when asked for."""
    totals = _Totals(_years(project))
    return Table(
        sheet_name="课时及补贴",
        title=TITLE,
        head_lines=_head_lines(project),
        columns=columns_for(project),
        rows=hours_rows(admin, project, totals, client_address=client_address, full_ids=full_ids),
        footer=totals.row,
        closing_lines=_closing_lines(project),
        landscape=True,
    )
