"""培训情况记录: every learning session with its credited spans, face checks and attention checks,
and every quiz attempt, of a project's trainees, for audit."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import select

from backend.clock import LOCAL_TZ
from backend.extensions import db
from backend.models import (
    AttentionCheck,
    CheckOutcome,
    CreditedSpan,
    FaceCheck,
    FaceCheckOutcome,
    FaceCheckTrigger,
    LearningSession,
    Lesson,
    Project,
    Quiz,
    QuizAttempt,
    QuizKind,
    SessionStatus,
    Trainee,
)
from backend.services.exports.cells import Column, Kind
from backend.services.exports.writers import Table
from backend.services.learning import record_chain

TITLE = "企业职工线上适岗技能提升培训情况记录"
COLUMNS = (
    Column("姓名", Kind.TEXT, 10),
    Column("平台登录账号", Kind.TEXT, 16),
    Column("记录类型", Kind.TEXT, 10),
    Column("会话编号", Kind.INT, 10),
    Column("课节", Kind.TEXT, 24),
    Column("设备", Kind.TEXT, 16),
    Column("开始时间（北京时间）", Kind.TEXT, 20),
    Column("结束时间（北京时间）", Kind.TEXT, 20),
    Column("计入时长（秒）", Kind.INT, 10),
    Column("状态", Kind.TEXT, 14),
    Column("说明", Kind.TEXT, 30),
)
SESSION, SPAN, FACE, ATTENTION = "学习会话", "计入时段", "人脸核身", "随机弹题"
STATUS_LABELS = {
    SessionStatus.ACTIVE: "进行中",
    SessionStatus.ENDED: "已结束",
    SessionStatus.SUPERSEDED: "被新会话取代",
    SessionStatus.ABANDONED: "超时关闭",
    SessionStatus.PROJECT_CLOSED: "项目结束时关闭",
}
FACE_LABELS = {
    FaceCheckOutcome.PENDING: "待完成",
    FaceCheckOutcome.PASSED: "通过",
    FaceCheckOutcome.MISMATCH: "人脸与身份不符",
    FaceCheckOutcome.CANCELLED: "取消或未完成",
    FaceCheckOutcome.EXPIRED: "超时",
    FaceCheckOutcome.REFUSED: "微信未返回结果",
}
FACE_TRIGGERS = {
    FaceCheckTrigger.CHECK_IN: "签到时",
    FaceCheckTrigger.RANDOM: "学习中随机",
    FaceCheckTrigger.RETRY: "上次未通过后重新核身",
}
ATTENTION_LABELS = {
    CheckOutcome.PENDING: "待作答",
    CheckOutcome.PASSED: "答对",
    CheckOutcome.FAILED: "答错",
    CheckOutcome.EXPIRED: "超时",
}
QUIZ_LABELS = {QuizKind.PRACTICE: "练习", QuizKind.ASSESSMENT: "考核"}
BATCH = 2000


def _local(at: datetime | None) -> str:
    return at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M:%S") if at else ""


def _query(project_id: int):
    # One ordered pass: each session followed by its spans, streamed from a server-side cursor.
    return (
        select(
            Trainee.id,
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
            CreditedSpan.face_check_id,
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


def _checks_by_session(project_id: int) -> dict[int, list[tuple[datetime, list]]]:
    """Face and attention check rows of the project's sessions: (issued, row tail) by session."""
    found: dict[int, list[tuple[datetime, list]]] = defaultdict(list)
    for check in db.session.scalars(select(FaceCheck).where(FaceCheck.project_id == project_id)):
        note = FACE_TRIGGERS[check.trigger] + (f"；{check.reason}" if check.reason else "")
        if check.verify_ret is not None:
            note += f"（微信 verify_ret {check.verify_ret}）"
        row = [FACE, check.session_id, "", check.device, _local(check.issued_at)]
        row += [_local(check.resolved_at), None, FACE_LABELS[check.outcome], f"#{check.id} {note}"]
        found[check.session_id].append((check.issued_at, row))
    attention = (
        select(AttentionCheck)
        .join(LearningSession, LearningSession.id == AttentionCheck.session_id)
        .where(LearningSession.project_id == project_id)
    )
    for check in db.session.scalars(attention):
        row = [ATTENTION, check.session_id, "", "", _local(check.issued_at)]
        note = (
            f"#{check.id} {'题目' if check.question_id else '验证码'}；作答：{check.answer or ''}"
        )
        row += [_local(check.answered_at), None, ATTENTION_LABELS[check.outcome], note]
        found[check.session_id].append((check.issued_at, row))
    for rows in found.values():
        rows.sort(key=lambda item: item[0])
    return found


def _attempts_by_trainee(project_id: int) -> dict[int, list[list]]:
    found: dict[int, list[list]] = defaultdict(list)
    rows = db.session.execute(
        select(QuizAttempt, Quiz.title, Quiz.kind)
        .join(Quiz, Quiz.id == QuizAttempt.quiz_id)
        .where(Quiz.project_id == project_id)
        .order_by(QuizAttempt.started_at, QuizAttempt.id)
    )
    for attempt, title, kind in rows:
        if attempt.submitted_at is None:
            status = "未交卷"
        else:
            status = "合格" if attempt.passed else "不合格"
        score = "" if attempt.score is None else f"得分 {attempt.score}"
        used = ""
        if attempt.submitted_at is not None:
            minutes, seconds = divmod(
                int((attempt.submitted_at - attempt.started_at).total_seconds()), 60
            )
            used = f"；用时 {minutes} 分 {seconds} 秒"
        found[attempt.trainee_id].append(
            [
                QUIZ_LABELS[kind],
                None,
                title,
                "",
                _local(attempt.started_at),
                _local(attempt.submitted_at),
                None,
                status,
                f"#{attempt.id} {score}{used}",
            ]
        )
    return found


def record_rows(project: Project) -> Iterator[list]:
    """Per trainee: sessions, each with its spans then its checks; then the quiz attempts."""
    checks = _checks_by_session(project.id)
    attempts = _attempts_by_trainee(project.id)
    current_session = current_trainee = None
    who: list = []
    for row in db.session.execute(_query(project.id)):
        trainee_id, name, account, session_id, lesson, device = row[:6]
        started, ended, credited, status = row[6:10]
        span_start, span_end, span_seconds, span_device, face_check_id = row[10:]
        if session_id != current_session:
            if current_session is not None:
                yield from (who + tail for _, tail in checks.pop(current_session, []))
            if trainee_id != current_trainee:
                if current_trainee is not None:
                    yield from (who + tail for tail in attempts.pop(current_trainee, []))
                current_trainee = trainee_id
            current_session, who = session_id, [name, account]
            yield (
                [
                    *who,
                    SESSION,
                    session_id,
                    lesson,
                    device,
                    _local(started),
                    _local(ended),
                    credited,
                    STATUS_LABELS.get(status, str(status)),
                    "",
                ]
            )
        if span_start is not None:
            covered = f"人脸核身 #{face_check_id}" if face_check_id else ""
            yield (
                [
                    *who,
                    SPAN,
                    session_id,
                    lesson,
                    span_device,
                    _local(span_start),
                    _local(span_end),
                    span_seconds,
                    "",
                    covered,
                ]
            )
    if current_session is not None:
        yield from (who + tail for _, tail in checks.pop(current_session, []))
        yield from (who + tail for tail in attempts.pop(current_trainee, []))
    # Trainees who took quizzes but never learnt.
    for trainee_id, tails in attempts.items():
        trainee = db.session.get(Trainee, trainee_id)
        yield from ([trainee.name, trainee.account, *tail] for tail in tails)


def table(project: Project) -> Table:
    """Every session, span, check and attempt of the project, for audit."""
    return Table(
        sheet_name="培训情况记录",
        title=TITLE,
        head_lines=[f"企业名称：{project.enterprise.name}", f"培训项目：{project.name}"],
        columns=COLUMNS,
        rows=record_rows(project),
        closing_lines=["时间均为北京时间（UTC+8）。", record_chain.digest_line(project.id)],
        landscape=True,
        csv_heading=False,
    )
