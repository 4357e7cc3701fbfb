"""Subsidy claims: the figures frozen per trainee when a project closes, their yearly cap
allocations, the claim's review steps, and the API keys bureaus read them with."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.clock import now
from backend.extensions import db
from backend.models.project import Project
from backend.models.types import UTCDateTime, enum_column


class ClaimStatus(enum.StrEnum):
    """Where a claim stands in the bureau's review."""

    FROZEN = "frozen"  # closed and frozen, not submitted yet
    SUBMITTED = "submitted"
    RETURNED = "returned"
    APPROVED = "approved"


class Claim(db.Model):
    """A closed project's subsidy claim (补贴申领): one per project, frozen at close."""

    __tablename__ = "claim"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("project.id"), unique=True)
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, index=True)
    closed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("admin_user.id"))
    close_reason: Mapped[str | None] = mapped_column(sa.Text)
    policy_id: Mapped[str] = mapped_column(sa.String(64))
    # The filing's 是否已领取受影响企业培训补助 answer at close.
    received_affected_subsidy: Mapped[bool] = mapped_column(default=False)
    # SHA-256 of the frozen figures (services.claims.snapshot.digest): printed on every page.
    digest: Mapped[str] = mapped_column(sa.String(64))
    status: Mapped[ClaimStatus] = mapped_column(
        enum_column(ClaimStatus), default=ClaimStatus.FROZEN
    )
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    review_comment: Mapped[str | None] = mapped_column(sa.Text)

    project: Mapped[Project] = relationship()
    lines: Mapped[list[ClaimLine]] = relationship(
        back_populates="claim", order_by="ClaimLine.seq", cascade="all, delete-orphan"
    )


class ClaimLine(db.Model):
    """One trainee's frozen figures in a claim."""

    __tablename__ = "claim_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(sa.ForeignKey("claim.id"), index=True)
    trainee_id: Mapped[int] = mapped_column(sa.ForeignKey("trainee.id"))
    seq: Mapped[int]  # roster order at close
    name: Mapped[str] = mapped_column(sa.String(100))  # as on the roster at close
    credited_s: Mapped[int]
    class_hours: Mapped[int]
    subsidizable_hours: Mapped[int]
    subsidy_fen: Mapped[int]
    assessment: Mapped[str] = mapped_column(sa.String(16))  # 合格 / 不合格 / 未参加 / 无考核
    qualifies: Mapped[bool]
    # Why the trainee does not qualify (services.claims.snapshot.REASONS), None when they do.
    reason: Mapped[str | None] = mapped_column(sa.String(32))
    # Share of face checks passed, in percent; None until face checks exist for the project.
    face_check_percent: Mapped[int | None]

    claim: Mapped[Claim] = relationship(back_populates="lines")

    __table_args__ = (sa.UniqueConstraint("claim_id", "trainee_id"),)


class ClaimAllocation(db.Model):
    """The part of one person's yearly cap a claim line took, recorded at close.

    A later close of another project of the same person subtracts these, so the cap is shared
    in the order projects closed and no later learning changes an earlier claim."""

    __tablename__ = "claim_allocation"

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(sa.ForeignKey("claim.id"), index=True)
    line_id: Mapped[int] = mapped_column(sa.ForeignKey("claim_line.id"), index=True)
    id_number_hash: Mapped[str] = mapped_column(sa.String(64))
    year: Mapped[int]
    class_hours: Mapped[int]
    subsidizable_hours: Mapped[int]
    subsidy_fen: Mapped[int]

    __table_args__ = (sa.Index("ix_claim_allocation_person_year", "id_number_hash", "year"),)


class ClaimEvent(db.Model):
    """A step of a claim's review (submit, approve, return), shown on the project."""

    __tablename__ = "claim_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(sa.ForeignKey("claim.id"), index=True)
    action: Mapped[str] = mapped_column(sa.String(16))  # close, submit, approve, return
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("admin_user.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    comment: Mapped[str | None] = mapped_column(sa.Text)


class BureauApiKey(db.Model):
    """A bureau's key to the supervision API; only a hash of the key is stored."""

    __tablename__ = "bureau_api_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    bureau: Mapped[str] = mapped_column(sa.String(100))
    key_prefix: Mapped[str] = mapped_column(sa.String(16))  # shown in lists to tell keys apart
    key_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    cities: Mapped[list] = mapped_column(sa.JSON)  # city codes (services.regions.CITIES)
    full_numbers: Mapped[bool] = mapped_column(default=False)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("admin_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
