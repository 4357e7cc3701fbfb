"""Admin users with roles, and the audit log."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.clock import now
from backend.extensions import db
from backend.models.org import Enterprise
from backend.models.types import UTCDateTime, enum_column


class Role(enum.StrEnum):
    """What an admin user may see and do."""

    OPERATOR = "operator"  # 平台运营: everything
    ENTERPRISE_ADMIN = "enterprise_admin"  # 企业管理员: their enterprise only
    REVIEWER = "reviewer"  # 审核人员: reads everything, changes only a filing's review state


class AdminUser(db.Model):
    """A person who signs in to the admin web."""

    __tablename__ = "admin_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(256))
    display_name: Mapped[str] = mapped_column(sa.String(100), default="")
    role: Mapped[Role] = mapped_column(enum_column(Role))
    enterprise_id: Mapped[int | None] = mapped_column(sa.ForeignKey("enterprise.id"))
    active: Mapped[bool] = mapped_column(default=True)
    # A reviewer's cities (services.regions.CITIES); None or empty: the whole province.
    cities: Mapped[list | None] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A password set by someone else (a reset) must be replaced at the next sign-in.
    must_change_password: Mapped[bool] = mapped_column(default=False)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    enterprise: Mapped[Enterprise | None] = relationship(foreign_keys=[enterprise_id])

    __table_args__ = (
        sa.CheckConstraint(
            "(role = 'enterprise_admin') = (enterprise_id IS NOT NULL)",
            name="enterprise_admin_has_enterprise",
        ),
    )


class AuditLog(db.Model):
    """Who did what, when and from where; written in the same transaction as the act."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, index=True)
    actor_kind: Mapped[str] = mapped_column(sa.String(16))  # admin, trainee, system
    actor_id: Mapped[int | None]
    action: Mapped[str] = mapped_column(sa.String(64), index=True)
    object_type: Mapped[str] = mapped_column(sa.String(32), default="")
    object_id: Mapped[int | None]
    enterprise_id: Mapped[int | None] = mapped_column(sa.ForeignKey("enterprise.id"), index=True)
    ip: Mapped[str] = mapped_column(sa.String(64), default="")
    detail: Mapped[dict] = mapped_column(sa.JSON, default=dict)
