"""Trainees on the roster (附件2), their enrolments and activation codes."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.clock import now
from backend.extensions import db
from backend.models.org import Enterprise
from backend.models.project import Project
from backend.models.types import UTCDateTime, enum_column


class Gender(enum.StrEnum):
    """性别."""

    MALE = "male"
    FEMALE = "female"


class Trainee(db.Model):
    """A trainee on an enterprise's roster (学员); ID number and mobile encrypted at rest."""

    __tablename__ = "trainee"

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(sa.ForeignKey("enterprise.id"))
    roster_seq: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(sa.String(100))
    gender: Mapped[Gender] = mapped_column(enum_column(Gender))
    # AES-GCM ciphertext plus an HMAC blind index for exact lookups; never the plain value.
    id_number_enc: Mapped[str] = mapped_column(sa.Text)
    id_number_hash: Mapped[str] = mapped_column(sa.String(64), index=True)
    mobile_enc: Mapped[str] = mapped_column(sa.Text)
    mobile_hash: Mapped[str] = mapped_column(sa.String(64), index=True)
    account: Mapped[str] = mapped_column(sa.String(64), unique=True)
    wx_openid: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    wx_unionid: Mapped[str | None] = mapped_column(sa.String(64))
    bound_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    # The privacy notice version the trainee accepted at their first bind (PIPL consent).
    privacy_version: Mapped[str | None] = mapped_column(sa.String(32))
    privacy_accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when an operator erased the person's data: the row stays for the figures it carries.
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    enterprise: Mapped[Enterprise] = relationship()

    __table_args__ = (
        # One person appears once per enterprise; across enterprises the subsidy cap joins them.
        sa.UniqueConstraint("enterprise_id", "id_number_hash"),
        # The roster in its order: a table's first page reads just its rows (and it serves
        # every lookup by enterprise).
        sa.Index("ix_trainee_enterprise_seq", "enterprise_id", "roster_seq", "id"),
    )


class Enrolment(db.Model):
    """A trainee enrolled in a project (报名)."""

    __tablename__ = "enrolment"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("project.id"), index=True)
    trainee_id: Mapped[int] = mapped_column(sa.ForeignKey("trainee.id"), index=True)
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    # Withdrawn (已退出) after earning credit: no more learning, the figures stay.
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    project: Mapped[Project] = relationship()
    trainee: Mapped[Trainee] = relationship()

    __table_args__ = (sa.UniqueConstraint("project_id", "trainee_id"),)


class ActivationCode(db.Model):
    """A one-time code an admin issues so a trainee can bind WeChat without a matching phone."""

    __tablename__ = "activation_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    trainee_id: Mapped[int] = mapped_column(sa.ForeignKey("trainee.id"), index=True)
    code_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("admin_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
