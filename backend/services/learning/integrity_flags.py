"""Integrity flags (代学、刷课 signs) of a project, each with the evidence that raised it.

Flags are signs for a reviewer to look at, not verdicts; thresholds are policy data.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from backend.clock import LOCAL_TZ
from backend.extensions import db
from backend.models import (
    CreditedSpan,
    Enrolment,
    FaceCheck,
    FaceCheckOutcome,
    LearningSession,
    Project,
    Quiz,
    QuizAttempt,
    QuizKind,
    Trainee,
)
from backend.policy import policy_for

SHARED_DEVICE = "shared_device"
FACE_FAILURES = "face_failures"
DAILY_CAP_DAYS = "daily_cap_days"
FAST_ASSESSMENT = "fast_assessment"
KIND_LABELS = {
    SHARED_DEVICE: "多名学员使用同一设备",
    FACE_FAILURES: "人脸核身多次未通过",
    DAILY_CAP_DAYS: "多日学时达到每日上限",
    FAST_ASSESSMENT: "考核用时过短",
}
FAILED = (
    FaceCheckOutcome.MISMATCH,
    FaceCheckOutcome.CANCELLED,
    FaceCheckOutcome.EXPIRED,
    FaceCheckOutcome.REFUSED,
)
FACE_LABELS = {
    FaceCheckOutcome.MISMATCH: "人脸与身份不符",
    FaceCheckOutcome.CANCELLED: "取消或未完成",
    FaceCheckOutcome.EXPIRED: "超时",
    FaceCheckOutcome.REFUSED: "微信未返回结果",
}


@dataclass
class Flag:
    """One sign, the trainees it concerns and the facts behind it."""

    kind: str
    summary: str
    trainees: list[tuple[int, str]]  # (id, name)
    evidence: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        """The flag's name in Chinese."""
        return KIND_LABELS[self.kind]


def _local(at: datetime) -> str:
    return at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M:%S")


def _enrolled(project_id: int):
    return sa.select(Enrolment.trainee_id).where(Enrolment.project_id == project_id)


def shared_devices(project: Project) -> list[Flag]:
    """Devices (the mini-program's per-installation id) that learnt for several of the
    project's trainees, in this project or elsewhere."""
    rows = db.session.execute(
        sa.select(
            LearningSession.device_id,
            Trainee.id,
            Trainee.name,
            sa.func.count(LearningSession.id),
            sa.func.min(LearningSession.started_at),
            sa.func.max(LearningSession.started_at),
            sa.func.max(LearningSession.device),
        )
        .join(Trainee, Trainee.id == LearningSession.trainee_id)
        .where(
            LearningSession.device_id != "",
            LearningSession.trainee_id.in_(_enrolled(project.id)),
        )
        .group_by(LearningSession.device_id, Trainee.id, Trainee.name)
        .order_by(LearningSession.device_id, Trainee.id)
    ).all()
    by_device: dict[str, list] = defaultdict(list)
    for row in rows:
        by_device[row[0]].append(row)
    flags = []
    for device_id, users in by_device.items():
        if len(users) < 2:
            continue
        evidence = [
            f"{name}：{count} 次学习会话（{model or '未知型号'}），"
            f"{_local(first)} 至 {_local(last)}（北京时间）"
            for _, _, name, count, first, last, model in users
        ]
        summary = f"同一设备（标识 {device_id}）被 {len(users)} 名学员用于学习"
        trainees = [(tid, name) for _, tid, name, *_ in users]
        flags.append(Flag(SHARED_DEVICE, summary, trainees, evidence))
    return flags


def face_failures(project: Project) -> list[Flag]:
    """Trainees whose face checks failed, were cancelled or expired repeatedly (or mismatched)."""
    threshold = policy_for(project).flag_face_failures
    rows = db.session.execute(
        sa.select(FaceCheck, Trainee.name)
        .join(Trainee, Trainee.id == FaceCheck.trainee_id)
        .where(FaceCheck.project_id == project.id, FaceCheck.outcome.in_(FAILED))
        .order_by(FaceCheck.trainee_id, FaceCheck.issued_at)
    ).all()
    by_trainee: dict[tuple[int, str], list[FaceCheck]] = defaultdict(list)
    for check, name in rows:
        by_trainee[(check.trainee_id, name)].append(check)
    flags = []
    for (trainee_id, name), checks in by_trainee.items():
        mismatches = sum(1 for c in checks if c.outcome is FaceCheckOutcome.MISMATCH)
        if len(checks) < threshold and not mismatches:
            continue
        evidence = [
            f"#{c.id} {_local(c.issued_at)}（北京时间）{FACE_LABELS[c.outcome]}"
            + (f"，verify_ret {c.verify_ret}" if c.verify_ret is not None else "")
            + (f"，设备 {c.device}" if c.device else "")
            for c in checks
        ]
        summary = f"{name} 有 {len(checks)} 次人脸核身未通过（其中人脸与身份不符 {mismatches} 次）"
        flags.append(Flag(FACE_FAILURES, summary, [(trainee_id, name)], evidence))
    return flags


def daily_cap_days(project: Project) -> list[Flag]:
    """Trainees credited the daily maximum on many China-time days."""
    policy = policy_for(project)
    day = sa.func.date(sa.func.timezone("Asia/Shanghai", CreditedSpan.start_at))
    if db.engine.dialect.name != "postgresql":  # development on SQLite: UTC+8, no DST
        day = sa.func.date(CreditedSpan.start_at, "+8 hours")
    per_day = (
        sa.select(
            CreditedSpan.trainee_id.label("trainee_id"),
            day.label("day"),
            sa.func.sum(CreditedSpan.seconds).label("seconds"),
        )
        .where(CreditedSpan.trainee_id.in_(_enrolled(project.id)))
        .group_by(CreditedSpan.trainee_id, day)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(per_day.c.trainee_id, Trainee.name, per_day.c.day, per_day.c.seconds)
        .join(Trainee, Trainee.id == per_day.c.trainee_id)
        .where(per_day.c.seconds >= policy.daily_credit_cap_s)
        .order_by(per_day.c.trainee_id, per_day.c.day)
    ).all()
    by_trainee: dict[tuple[int, str], list[str]] = defaultdict(list)
    for trainee_id, name, on, seconds in rows:
        by_trainee[(trainee_id, name)].append(f"{on}：计入 {int(seconds) // 60} 分钟")
    cap_h = policy.daily_credit_cap_s / 3600
    return [
        Flag(
            DAILY_CAP_DAYS,
            f"{name} 有 {len(days)} 天学时达到每日上限（{cap_h:g} 小时）",
            [(tid, name)],
            days,
        )
        for (tid, name), days in by_trainee.items()
        if len(days) >= policy.flag_cap_days
    ]


def fast_assessments(project: Project) -> list[Flag]:
    """Assessments passed in less time than reading the questions takes."""
    per_question = policy_for(project).flag_assessment_s_per_question
    rows = db.session.execute(
        sa.select(QuizAttempt, Quiz.title, Trainee.name)
        .join(Quiz, Quiz.id == QuizAttempt.quiz_id)
        .join(Trainee, Trainee.id == QuizAttempt.trainee_id)
        .where(
            Quiz.project_id == project.id,
            Quiz.kind == QuizKind.ASSESSMENT,
            QuizAttempt.passed.is_(True),
            QuizAttempt.submitted_at.is_not(None),
        )
        .order_by(QuizAttempt.id)
    ).all()
    flags = []
    for attempt, title, name in rows:
        used = int((attempt.submitted_at - attempt.started_at).total_seconds())
        questions = len(attempt.question_ids or [])
        if questions and used < per_question * questions:
            evidence = [
                f"考核“{title}”#{attempt.id}：{questions} 题，用时 {used} 秒，"
                f"得分 {attempt.score}，{_local(attempt.started_at)} 开始（北京时间）"
            ]
            summary = f"{name} 用 {used} 秒通过 {questions} 题的考核"
            flags.append(Flag(FAST_ASSESSMENT, summary, [(attempt.trainee_id, name)], evidence))
    return flags


def project_flags(project: Project) -> list[Flag]:
    """Every flag of a project."""
    return [
        *shared_devices(project),
        *face_failures(project),
        *daily_cap_days(project),
        *fast_assessments(project),
    ]
