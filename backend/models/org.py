"""Enterprises, training institutions and online platforms (附件1 sections one to three)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from backend.clock import now
from backend.extensions import db
from backend.models.types import UTCDateTime


class Enterprise(db.Model):
    """An enterprise that trains its employees and files for the subsidy (企业)."""

    __tablename__ = "enterprise"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    credit_code: Mapped[str] = mapped_column(sa.String(18), unique=True)
    # Early pilot-region codes can fail the checksum; only an operator may accept one, with a
    # reason kept here and the operator's name in the audit log.
    credit_code_override_reason: Mapped[str | None] = mapped_column(sa.Text)
    registered_address: Mapped[str] = mapped_column(sa.String(300), default="")
    legal_representative: Mapped[str] = mapped_column(sa.String(100), default="")
    contact_phone: Mapped[str] = mapped_column(sa.String(32), default="")
    received_affected_subsidy: Mapped[bool] = mapped_column(default=False)
    # Prefecture-level city (services.regions.CITIES): from the division code in the credit
    # code, or set by an operator with a reason when the code says nothing useful.
    city_code: Mapped[str | None] = mapped_column(sa.String(4), index=True)
    city_override_reason: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class Institution(db.Model):
    """A training institution that runs a project for an enterprise (培训机构)."""

    __tablename__ = "institution"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    credit_code: Mapped[str] = mapped_column(sa.String(18), unique=True)
    credit_code_override_reason: Mapped[str | None] = mapped_column(sa.Text)
    registered_address: Mapped[str] = mapped_column(sa.String(300), default="")
    person_in_charge: Mapped[str] = mapped_column(sa.String(100), default="")
    phone: Mapped[str] = mapped_column(sa.String(32), default="")


class Platform(db.Model):
    """The online training platform as filed (线上培训平台)."""

    __tablename__ = "platform"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    icp_number: Mapped[str] = mapped_column(sa.String(64), default="")
    url_or_package: Mapped[str] = mapped_column(sa.String(300), default="")
    ip_address: Mapped[str] = mapped_column(sa.String(64), default="")
    server_city: Mapped[str] = mapped_column(sa.String(100), default="")
