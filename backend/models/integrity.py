"""Face checks (人脸核身) and the per-project hash chain over credited spans."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from backend.extensions import db
from backend.models.types import UTCDateTime, enum_column


class FaceCheckAt(enum.StrEnum):
    """When a check-in needs a face check."""

    EVERY_SESSION = "every_session"
    FIRST_OF_DAY = "first_of_day"  # the first check-in of the China-time day in the project
    NEVER = "never"


class FaceCheckTrigger(enum.StrEnum):
    """Why a face check was issued."""

    CHECK_IN = "check_in"
    RANDOM = "random"  # at a random moment during learning
    RETRY = "retry"  # the previous one failed or expired


class FaceCheckOutcome(enum.StrEnum):
    """How a face check ended."""

    PENDING = "pending"
    PASSED = "passed"  # verify_ret 10000
    MISMATCH = "mismatch"  # verify_ret 1000x: not the person of the ID number
    CANCELLED = "cancelled"  # verify_ret 9xxxx: cancelled, no camera, device or network error
    EXPIRED = "expired"  # not finished within the window (or WeChat's verify_id expired)
    REFUSED = "refused"  # WeChat answered an errcode for the query


class FaceCheck(db.Model):
    """One face verification asked of a trainee during a learning session, and its result."""

    __tablename__ = "face_check"

    id: Mapped[int] = mapped_column(primary_key=True)
    trainee_id: Mapped[int] = mapped_column(sa.ForeignKey("trainee.id"), index=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("project.id"), index=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("learning_session.id"), index=True)
    trigger: Mapped[FaceCheckTrigger] = mapped_column(enum_column(FaceCheckTrigger))
    # Our serial number at WeChat (unique per app id) and WeChat's session id.
    out_seq_no: Mapped[str] = mapped_column(sa.String(32), unique=True)
    verify_id: Mapped[str] = mapped_column(sa.String(256))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[FaceCheckOutcome] = mapped_column(
        enum_column(FaceCheckOutcome), default=FaceCheckOutcome.PENDING
    )
    verify_ret: Mapped[int | None]
    errcode: Mapped[int | None]
    # Said to the trainee when the check did not pass.
    reason: Mapped[str | None] = mapped_column(sa.String(200))
    device: Mapped[str] = mapped_column(sa.String(120), default="")


class RecordChainHead(db.Model):
    """The newest link of a project's hash chain over its credited spans."""

    # Span writers lock this row (SELECT ... FOR UPDATE), so a project's links form one line.
    __tablename__ = "record_chain_head"

    project_id: Mapped[int] = mapped_column(sa.ForeignKey("project.id"), primary_key=True)
    span_count: Mapped[int] = mapped_column(default=0)
    head_hash: Mapped[str] = mapped_column(sa.String(64))
