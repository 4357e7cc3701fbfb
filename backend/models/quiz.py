"""Question banks, practice and assessment quizzes, evaluations and support threads."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from backend.clock import now
from backend.extensions import db
from backend.models.types import UTCDateTime, enum_column


class QuestionKind(enum.StrEnum):
    """题型."""

    SINGLE = "single"
    MULTIPLE = "multiple"
    TRUE_FALSE = "true_false"


class Question(db.Model):
    """A question in a course's bank; the answer key never leaves the server to trainees."""

    __tablename__ = "question"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("course.id"), index=True)
    kind: Mapped[QuestionKind] = mapped_column(enum_column(QuestionKind))
    stem: Mapped[str] = mapped_column(sa.Text)
    options: Mapped[list[str]] = mapped_column(sa.JSON)
    # Letters of the correct options in bank order, e.g. "B" or "ACD".
    answer: Mapped[str] = mapped_column(sa.String(8))
    explanation: Mapped[str] = mapped_column(sa.Text, default="")
    difficulty: Mapped[int] = mapped_column(default=1)
    position: Mapped[int] = mapped_column(default=0)
    # A retired question is drawn no more but stays in the attempts that drew it.
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Kept for attention checks (随机弹题): practice and quizzes never show these questions, so
    # their answers cannot be learnt there.
    attention_pool: Mapped[bool] = mapped_column(default=False, server_default=sa.false())


class QuizKind(enum.StrEnum):
    """练习 or 考核."""

    PRACTICE = "practice"
    ASSESSMENT = "assessment"


class Quiz(db.Model):
    """A practice or assessment quiz attached to a course or to the whole project."""

    __tablename__ = "quiz"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("project.id"), index=True)
    course_id: Mapped[int | None] = mapped_column(sa.ForeignKey("course.id"))
    title: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[QuizKind] = mapped_column(enum_column(QuizKind))
    attempt_limit: Mapped[int | None]
    time_limit_s: Mapped[int | None]
    pass_score: Mapped[int] = mapped_column(default=60)
    question_count: Mapped[int] = mapped_column(default=10)
    shuffle_options: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    # A retired quiz takes no new attempts and leaves the trainee's list; its results stay.
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class QuizAttempt(db.Model):
    """One trainee's attempt at a quiz, with the questions drawn for it."""

    __tablename__ = "quiz_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(sa.ForeignKey("quiz.id"))
    trainee_id: Mapped[int] = mapped_column(sa.ForeignKey("trainee.id"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    question_ids: Mapped[list[int]] = mapped_column(sa.JSON)
    # Per question id, the permutation of bank option indexes shown to the trainee.
    option_orders: Mapped[dict[str, list[int]]] = mapped_column(sa.JSON)
    score: Mapped[int | None]
    passed: Mapped[bool | None]

    __table_args__ = (sa.Index("ix_quiz_attempt_quiz_trainee", "quiz_id", "trainee_id"),)


class AttemptAnswer(db.Model):
    """A saved answer within an attempt, in bank letters."""

    __tablename__ = "attempt_answer"

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(sa.ForeignKey("quiz_attempt.id"), index=True)
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("question.id"))
    answer: Mapped[str] = mapped_column(sa.String(8))
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    correct: Mapped[bool | None]

    __table_args__ = (sa.UniqueConstraint("attempt_id", "question_id"),)


class Evaluation(db.Model):
    """A trainee's evaluation of a project's training (评价)."""

    __tablename__ = "evaluation"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("project.id"), index=True)
    trainee_id: Mapped[int] = mapped_column(sa.ForeignKey("trainee.id"))
    overall: Mapped[int]
    content: Mapped[int]
    teaching: Mapped[int]
    platform: Mapped[int]
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    __table_args__ = (sa.UniqueConstraint("project_id", "trainee_id"),)


class SupportThread(db.Model):
    """A trainee's support request (在线支持服务)."""

    __tablename__ = "support_thread"

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(sa.ForeignKey("enterprise.id"), index=True)
    trainee_id: Mapped[int] = mapped_column(sa.ForeignKey("trainee.id"), index=True)
    subject: Mapped[str] = mapped_column(sa.String(200))
    status: Mapped[str] = mapped_column(sa.String(16), default="open")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class SupportMessage(db.Model):
    """A message in a support thread, from the trainee or an admin."""

    __tablename__ = "support_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(sa.ForeignKey("support_thread.id"), index=True)
    author_kind: Mapped[str] = mapped_column(sa.String(16))
    admin_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("admin_user.id"))
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    # The WeChat subscribe message telling the trainee of an admin's reply: None (not an admin
    # reply), "pending", "sent", "failed" (retried later) or "skipped" (no WeChat bound).
    notify_status: Mapped[str | None] = mapped_column(sa.String(16))
    notify_attempts: Mapped[int] = mapped_column(default=0)
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
