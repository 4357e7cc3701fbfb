"""培训情况记录: every learning session and credited span of a project's trainees, for audit."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import IO

from sqlalchemy import select

from backend.clock import LOCAL_TZ
from backend.extensions import db
from backend.models import CreditedSpan, LearningSession, Lesson, Project, SessionStatus, Trainee
from backend.services.exports.cells import Column, Kind
from backend.services.exports.writers import write_table_csv, write_table_xlsx

TITLE = "企业职工线上适岗技能提升培训情况记录"
COLUMNS = (
    Column("姓名", Kind.TEXT, 10),
    Column("平台登录账号", Kind.TEXT, 16),
    Column("记录类型", Kind.TEXT, 10),
    Column("会话编号", Kind.INT, 10),
    Column("课节", Kind.TEXT, 24),
    Column("设备", Kind.TEXT, 16),
    Column("开始时间", Kind.TEXT, 20),
    Column("结束时间", Kind.TEXT, 20),
    Column("计入时长（秒）", Kind.INT, 10),
    Column("状态", Kind.TEXT, 10),
)
SESSION, SPAN = "学习会话", "计入时段"
STATUS_LABELS = {
    SessionStatus.ACTIVE: "进行中",
    SessionStatus.ENDED: "已结束",
    SessionStatus.SUPERSEDED: "被新会话取代",
    SessionStatus.ABANDONED: "超时关闭",
    SessionStatus.PROJECT_CLOSED: "项目结束时关闭",
}
BATCH = 2000


def _local(at: datetime | None) -> str:
    return at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M:%S") if at else ""


def _query(project_id: int):
    # One ordered pass: each session followed by its spans, streamed from a server-side cursor.
    return (
        select(
            Trainee.name,
            Trainee.account,
            LearningSession.id,
            Lesson.title,
            LearningSession.device,
            LearningSession.started_at,
            LearningSession.ended_at,
            LearningSession.credited_s,
            LearningSession.status,
            CreditedSpan.start_at,
            CreditedSpan.end_at,
            CreditedSpan.seconds,
            CreditedSpan.device,
        )
        .join(Trainee, Trainee.id == LearningSession.trainee_id)
        .join(Lesson, Lesson.id == LearningSession.lesson_id)
        .outerjoin(CreditedSpan, CreditedSpan.session_id == LearningSession.id)
        .where(LearningSession.project_id == project_id)
        .order_by(
            Trainee.roster_seq,
            Trainee.id,
            LearningSession.started_at,
            LearningSession.id,
            CreditedSpan.start_at,
        )
        .execution_options(yield_per=BATCH)
    )


def record_rows(project: Project) -> Iterator[list]:
    """Session rows, each followed by the spans credited within it."""
    current = None
    for row in db.session.execute(_query(project.id)):
        (name, account, session_id, lesson, device, started, ended, credited, status) = row[:9]
        span_start, span_end, span_seconds, span_device = row[9:]
        if session_id != current:
            current = session_id
            yield [
                name,
                account,
                SESSION,
                session_id,
                lesson,
                device,
                _local(started),
                _local(ended),
                credited,
                STATUS_LABELS.get(status, str(status)),
            ]
        if span_start is not None:
            yield [
                name,
                account,
                SPAN,
                session_id,
                lesson,
                span_device,
                _local(span_start),
                _local(span_end),
                span_seconds,
                "",
            ]


def write_records_xlsx(path: str, project: Project) -> int:
    """The records as xlsx."""
    return write_table_xlsx(
        path,
        sheet_name="培训情况记录",
        title=TITLE,
        subtitle_lines=[f"企业名称：{project.enterprise.name}", f"培训项目：{project.name}"],
        columns=COLUMNS,
        rows=record_rows(project),
        landscape=True,
    )


def write_records_csv(stream: IO[str], project: Project) -> int:
    """The records as CSV."""
    return write_table_csv(stream, columns=COLUMNS, rows=record_rows(project))
