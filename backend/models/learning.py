"""Learning sessions, their credited spans and attention checks: the evidence behind every hour."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from backend.clock import now
from backend.extensions import db
from backend.models.types import UTCDateTime, enum_column


class SessionStatus(enum.StrEnum):
    """Why a learning session is or is no longer open."""

    ACTIVE = "active"
    ENDED = "ended"  # the trainee checked out
    SUPERSEDED = "superseded"  # the trainee checked in elsewhere
    ABANDONED = "abandoned"  # closed by the sweep at its last accepted beat
    PROJECT_CLOSED = "project_closed"  # closed at its last accepted beat when the project closed


class LearningSession(db.Model):
    """One check-in to a lesson on one device (学习会话)."""

    __tablename__ = "learning_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    trainee_id: Mapped[int] = mapped_column(sa.ForeignKey("trainee.id"))
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("project.id"), index=True)
    lesson_id: Mapped[int] = mapped_column(sa.ForeignKey("lesson.id"))
    device: Mapped[str] = mapped_column(sa.String(120), default="")
    # The mini-program's per-installation id: tells phones of one model apart (integrity flags).
    device_id: Mapped[str] = mapped_column(sa.String(64), default="", server_default="")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    # Server time minus the client's clock at check-in, used to place offline beats.
    client_offset_ms: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    last_beat_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    last_seq: Mapped[int] = mapped_column(default=0)
    last_playing: Mapped[bool] = mapped_column(default=True)
    last_position_s: Mapped[int] = mapped_column(default=0)
    status: Mapped[SessionStatus] = mapped_column(
        enum_column(SessionStatus), default=SessionStatus.ACTIVE
    )
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Credit the drain has written to the database so far (the sum of the session's spans).
    credited_s: Mapped[int] = mapped_column(default=0)

    __table_args__ = (
        sa.Index("ix_learning_session_trainee_status", "trainee_id", "status"),
        sa.Index("ix_learning_session_trainee_lesson", "trainee_id", "lesson_id"),
        # One active device at a time: the database refuses a second open session of a trainee.
        sa.Index(
            "uq_learning_session_one_active",
            "trainee_id",
            unique=True,
            postgresql_where=sa.text("status = 'active'"),
            sqlite_where=sa.text("status = 'active'"),
        ),
    )


class CreditedSpan(db.Model):
    """A stretch of wall-clock time credited to a trainee; spans of one trainee never overlap."""

    # Seconds are whole wall-clock seconds [start_at, end_at); a span never crosses a China-time
    # midnight, so date windows and calendar years select whole spans.
    __tablename__ = "credited_span"

    id: Mapped[int] = mapped_column(primary_key=True)
    trainee_id: Mapped[int] = mapped_column(sa.ForeignKey("trainee.id"))
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("learning_session.id"), index=True)
    lesson_id: Mapped[int] = mapped_column(sa.ForeignKey("lesson.id"))
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("project.id"))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    seconds: Mapped[int]
    device: Mapped[str] = mapped_column(sa.String(120), default="")
    # The passed face check that covers the span (None when the project asks for none).
    face_check_id: Mapped[int | None] = mapped_column(sa.ForeignKey("face_check.id"))
    # Link of the project's hash chain: sha256 of the previous link and this span's fields.
    # None while the span is open: the drain extends an open span as its session's credit
    # comes in and seals it (links it onto the chain, never to change again) when the session
    # ends, a face check or a China-time midnight cuts it, or 15 minutes after it opened.
    chain_hash: Mapped[str | None] = mapped_column(sa.String(64))
    # The span's place in its project's chain (1, 2, ...), given when it is sealed.
    chain_seq: Mapped[int | None]

    __table_args__ = (
        # Spans of one trainee never overlap, so no two share a start: a doubled write fails.
        sa.Index("uq_credited_span_trainee_start", "trainee_id", "start_at", unique=True),
        # Per-project sums and the running totals that date each earned class hour; with the
        # seconds included they read the index alone, never the table's scattered rows.
        sa.Index(
            "ix_credited_span_project_trainee",
            "project_id",
            "trainee_id",
            "start_at",
            postgresql_include=["seconds"],
        ),
        sa.CheckConstraint("seconds > 0 AND end_at > start_at", name="span_positive"),
        # The open spans (one per trainee learning now, at most): what the drain seals.
        sa.Index(
            "ix_credited_span_open",
            "trainee_id",
            postgresql_where=sa.text("chain_hash IS NULL"),
            sqlite_where=sa.text("chain_hash IS NULL"),
        ),
    )


class CheckKind(enum.StrEnum):
    """What an attention check asks."""

    QUESTION = "question"
    CODE = "code"


class CheckOutcome(enum.StrEnum):
    """How an attention check ended."""

    PENDING = "pending"
    PASSED = "passed"
    FAILED = "failed"
    EXPIRED = "expired"


class AttentionCheck(db.Model):
    """A random attention check (随机弹题) shown during a session, and its answer."""

    __tablename__ = "attention_check"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("learning_session.id"), index=True)
    trainee_id: Mapped[int] = mapped_column(sa.ForeignKey("trainee.id"), index=True)
    kind: Mapped[CheckKind] = mapped_column(enum_column(CheckKind))
    question_id: Mapped[int | None] = mapped_column(sa.ForeignKey("question.id"))
    expected: Mapped[str] = mapped_column(sa.String(64))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answer: Mapped[str | None] = mapped_column(sa.String(64))
    outcome: Mapped[CheckOutcome] = mapped_column(
        enum_column(CheckOutcome), default=CheckOutcome.PENDING
    )


# The drain updates a learning session's totals and extends its open span with every batch
# (about every beat): pages left this much free keep the new row versions beside the old ones,
# so the session's update is heap-only (none of the columns it sets is indexed) and the span's
# new version costs no second page (bench/drain_cost.py). Created by the migration too
# (f3b8d2a6c4e1); SQLAlchemy has no table option for it.
FILLFACTOR = {"learning_session": 80, "credited_span": 80}
for _table, _fill in FILLFACTOR.items():
    sa.event.listen(
        db.metadata.tables[_table],
        "after_create",
        sa.DDL(f"ALTER TABLE {_table} SET (fillfactor = {_fill})").execute_if(dialect="postgresql"),
    )
