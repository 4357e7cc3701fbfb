"""Training certificates (培训证明): one signed PDF per qualifying trainee of a closed project."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.clock import now
from backend.extensions import db
from backend.models.project import Project
from backend.models.trainee import Trainee
from backend.models.types import UTCDateTime


class Certificate(db.Model):
    """An issued certificate: its frozen fields, the signed PDF (ID number masked), revocation."""

    __tablename__ = "certificate"

    id: Mapped[int] = mapped_column(primary_key=True)
    serial: Mapped[str] = mapped_column(sa.String(32), unique=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("project.id"), index=True)
    trainee_id: Mapped[int] = mapped_column(sa.ForeignKey("trainee.id"), index=True)
    claim_line_id: Mapped[int] = mapped_column(sa.ForeignKey("claim_line.id"))
    # What the certificate says, frozen at issue (services.certificates.fields.FIELD_NAMES);
    # the ID number only masked.
    fields: Mapped[dict] = mapped_column(sa.JSON)
    # The signed PDF as issued (ID number masked), and its SHA-256.
    pdf: Mapped[bytes] = mapped_column(sa.LargeBinary, deferred=True)
    pdf_sha256: Mapped[str] = mapped_column(sa.String(64))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    issued_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("admin_user.id"))
    # Why a single certificate was issued by hand (None: issued at the project's close).
    issue_reason: Mapped[str | None] = mapped_column(sa.Text)
    # The certificate this one replaces after a correction.
    replaces_id: Mapped[int | None] = mapped_column(sa.ForeignKey("certificate.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("admin_user.id"))
    revoke_reason: Mapped[str | None] = mapped_column(sa.Text)

    project: Mapped[Project] = relationship()
    trainee: Mapped[Trainee] = relationship()
