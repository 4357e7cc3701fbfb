"""诚信提示: a project's integrity flags with their evidence, one line of evidence a row."""

from __future__ import annotations

from collections.abc import Iterator

from backend.models import Project
from backend.services.exports.cells import Column, Kind
from backend.services.exports.writers import Table
from backend.services.learning import record_chain
from backend.services.learning.integrity_flags import project_flags

TITLE = "培训诚信提示（疑似代学、刷课的迹象及证据）"
COLUMNS = (
    Column("序号", Kind.INT, 6),
    Column("提示", Kind.TEXT, 20),
    Column("涉及学员", Kind.TEXT, 20),
    Column("概述", Kind.TEXT, 36),
    Column("证据", Kind.TEXT, 60),
)


def flag_rows(project: Project) -> Iterator[list]:
    """One row per piece of evidence; the flag's columns repeat so each row stands alone."""
    for n, flag in enumerate(project_flags(project), start=1):
        names = "、".join(name for _, name in flag.trainees)
        for line in flag.evidence or [""]:
            yield [n, flag.label, names, flag.summary, line]


def table(project: Project) -> Table:
    """The flags with their evidence."""
    return Table(
        sheet_name="诚信提示",
        title=TITLE,
        head_lines=[f"企业名称：{project.enterprise.name}", f"培训项目：{project.name}"],
        columns=COLUMNS,
        rows=flag_rows(project),
        closing_lines=["提示只是需要核查的迹象，不是结论。", record_chain.digest_line(project.id)],
        landscape=True,
        csv_heading=False,
    )
