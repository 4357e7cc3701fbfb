"""A trainee's learning record for the admin's trainee page: sessions, spans, checks, quizzes."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select

from backend.extensions import db
from backend.models import (
    AttentionCheck,
    CreditedSpan,
    Enrolment,
    Evaluation,
    FaceCheck,
    LearningSession,
    Lesson,
    Project,
    Quiz,
    QuizAttempt,
    Trainee,
)
from backend.services.practice import evaluations


@dataclass
class SessionEntry:
    """One learning session with its credited spans and attention checks."""

    session: LearningSession
    lesson_title: str
    spans: list[CreditedSpan] = field(default_factory=list)
    checks: list[AttentionCheck] = field(default_factory=list)
    face_checks: list[FaceCheck] = field(default_factory=list)

    @property
    def credited_s(self) -> int:
        """Seconds credited in this session's spans."""
        return sum(span.seconds for span in self.spans)


def projects_of(trainee: Trainee) -> list[Project]:
    """The projects the trainee is enrolled in, newest first."""
    query = (
        select(Project)
        .join(Enrolment, Enrolment.project_id == Project.id)
        .where(Enrolment.trainee_id == trainee.id)
        .order_by(Project.start_date.desc(), Project.id.desc())
    )
    return list(db.session.scalars(query))


def sessions(trainee: Trainee, project_id: int) -> list[SessionEntry]:
    """The trainee's sessions in a project, newest first, with their spans and checks."""
    rows = db.session.execute(
        select(LearningSession, Lesson.title)
        .join(Lesson, Lesson.id == LearningSession.lesson_id)
        .where(LearningSession.trainee_id == trainee.id, LearningSession.project_id == project_id)
        .order_by(LearningSession.started_at.desc(), LearningSession.id.desc())
    ).all()
    entries = {s.id: SessionEntry(s, title) for s, title in rows}
    if not entries:
        return []
    spans = db.session.scalars(
        select(CreditedSpan)
        .where(CreditedSpan.session_id.in_(entries))
        .order_by(CreditedSpan.start_at)
    )
    for span in spans:
        entries[span.session_id].spans.append(span)
    checks = db.session.scalars(
        select(AttentionCheck)
        .where(AttentionCheck.session_id.in_(entries))
        .order_by(AttentionCheck.issued_at)
    )
    for check in checks:
        entries[check.session_id].checks.append(check)
    faces = db.session.scalars(
        select(FaceCheck).where(FaceCheck.session_id.in_(entries)).order_by(FaceCheck.issued_at)
    )
    for face in faces:
        entries[face.session_id].face_checks.append(face)
    return list(entries.values())


def devices(entries: list[SessionEntry]) -> list[str]:
    """The distinct devices the trainee learned on, in order of first use."""
    seen: dict[str, None] = {}
    for entry in reversed(entries):
        if entry.session.device:
            seen.setdefault(entry.session.device, None)
    return list(seen)


def quiz_attempts(trainee: Trainee, project_id: int) -> list[tuple[QuizAttempt, Quiz]]:
    """The trainee's quiz attempts in a project, newest first."""
    query = (
        select(QuizAttempt, Quiz)
        .join(Quiz, Quiz.id == QuizAttempt.quiz_id)
        .where(QuizAttempt.trainee_id == trainee.id, Quiz.project_id == project_id)
        .order_by(QuizAttempt.started_at.desc(), QuizAttempt.id.desc())
    )
    return [(attempt, quiz) for attempt, quiz in db.session.execute(query)]


def evaluation(trainee: Trainee, project_id: int) -> Evaluation | None:
    """The trainee's evaluation of the project, if any."""
    return evaluations.own_evaluation(trainee.id, project_id)


def checks_summary(entries: list[SessionEntry]) -> dict[str, int]:
    """How the trainee's attention checks ended, counted by outcome."""
    counts: dict[str, int] = defaultdict(int)
    for entry in entries:
        for check in entry.checks:
            counts[check.outcome.value] += 1
    return dict(counts)
