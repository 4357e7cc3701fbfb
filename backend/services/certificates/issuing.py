"""Issuing and revoking certificates: every qualifying trainee at close, one by hand with a
reason, a re-issue after a correction (revokes the old serial), a revocation with a reason.

A certificate row is only ever written with its signed PDF: the signer is checked first and the
PDF made before the row is added, so a missing key (503 signing_unavailable) writes nothing."""

from __future__ import annotations

import hashlib
import secrets

import sqlalchemy as sa
from flask import current_app

from backend import audit, pii
from backend.clock import now, today
from backend.extensions import db
from backend.kernel.errors import DomainError, register
from backend.kernel.lifecycle import Activity, ensure
from backend.models import AdminUser, Certificate, Claim, ClaimLine, Project, Trainee
from backend.services.certificates import document, signing
from backend.services.claims.snapshot import REASONS

register("certificate_not_qualified", 422, "该学员不符合发证条件：{why}")
register("certificate_reason_required", 422, "请填写理由")
register("certificate_revoked", 409, "该培训证明已撤销")

# Readable and unambiguous: no 0/O, 1/I/L, U.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
TRAINING_TYPES = {"pre_job": "岗前培训", "on_job": "在岗培训", "job_transfer": "转岗培训"}
PASSED = "合格"
BATCH = 50  # certificates made, inserted and let go of together at a close
DEFAULT_PLATFORM = "适岗 Shigang 线上培训平台"


def new_serial(year: int) -> str:
    """E.g. GD2026-7K3M-9QX2-H4TP: 60 random bits in three groups (unguessable, readable)."""
    groups = ["".join(secrets.choice(ALPHABET) for _ in range(4)) for _ in range(3)]
    return "-".join([f"{current_app.config['CERTIFICATE_SERIAL_PREFIX']}{year}", *groups])


def verify_url(serial: str) -> str:
    """The public verification page of ``serial`` (printed as the QR code)."""
    base = (current_app.config.get("PUBLIC_BASE_URL") or "").rstrip("/")
    return f"{base}/verify/{serial}"


def why_not(project: Project, line: ClaimLine | None) -> str | None:
    """Why the trainee's frozen claim line earns no certificate (None: it does)."""
    if line is None:
        return "不在该项目结项时的学员名册中"
    if not line.qualifies:
        return REASONS.get(line.reason or "", "不符合申领条件")
    if project.assessment_required and line.assessment != PASSED:
        return "考核未通过"
    return None


def _date(value) -> str:
    return f"{value.year}年{value.month}月{value.day}日"


def fields_of(project: Project, claim: Claim, line: ClaimLine, trainee: Trainee, cipher=None):
    """What the certificate states (the ID number masked), from the frozen claim line."""
    return {
        "name": trainee.name,
        "id_number": pii.masked_id_number(trainee, cipher),
        "enterprise": project.enterprise.name,
        "institution": project.institution.name if project.institution else None,
        "project": project.name,
        "post": project.post_trade or None,
        "training_type": TRAINING_TYPES.get(str(project.training_type), str(project.training_type)),
        "start_date": _date(project.start_date),
        "end_date": _date(project.end_date),
        "class_hours": line.class_hours,
        "assessment": line.assessment,
        "platform": project.platform.name if project.platform else DEFAULT_PLATFORM,
        "issue_date": _date(today()),
        "digest": claim.digest,
    }


def _make(renderer, project, line, trainee, fields, actor, reason=None, replaces=None):
    serial = new_serial(today().year)
    pdf = renderer.signed(serial, fields, verify_url(serial))
    certificate = Certificate(
        serial=serial,
        project_id=project.id,
        trainee_id=trainee.id,
        claim_line_id=line.id,
        fields=fields,
        pdf=pdf,
        pdf_sha256=hashlib.sha256(pdf).hexdigest(),
        issued_at=now(),
        issued_by_id=actor.id if actor else None,
        issue_reason=reason,
        replaces_id=replaces.id if replaces else None,
    )
    db.session.add(certificate)
    return certificate


def issue_at_close(project: Project, claim: Claim, actor: AdminUser, *, client_address: str) -> int:
    """A certificate for every trainee whose frozen claim line qualifies (part of the close);
    returns how many were issued.

    Written BATCH at a time: each batch's rows are inserted together and then let go of, so a
    close of thousands holds one batch of PDFs in memory, not all of them."""
    lines = [line for line in claim.lines if why_not(project, line) is None]
    if not lines:
        return 0
    signing.ensure_ready()
    trainees = {
        t.id: t
        for t in db.session.scalars(
            sa.select(Trainee).where(Trainee.id.in_([line.trainee_id for line in lines]))
        )
    }
    cipher = pii.cipher()
    all_fields = [fields_of(project, claim, ln, trainees[ln.trainee_id], cipher) for ln in lines]
    # One font subset for the whole close (the fields are small); the PDFs are made per batch.
    renderer = document.Renderer([document.texts_of(f) for f in all_fields])
    for start in range(0, len(lines), BATCH):
        batch = [
            _make(renderer, project, line, trainees[line.trainee_id], fields, actor)
            for line, fields in zip(
                lines[start : start + BATCH], all_fields[start : start + BATCH], strict=True
            )
        ]
        db.session.flush()
        for certificate in batch:
            db.session.expunge(certificate)
    audit.record(
        "certificate.issue_at_close",
        audit.admin(actor, client_address),
        object_type="project",
        object_id=project.id,
        enterprise_id=project.enterprise_id,
        count=len(lines),
    )
    return len(lines)


def _required(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("certificate_reason_required")
    return reason


def current_certificate(project_id: int, trainee_id: int) -> Certificate | None:
    """The trainee's unrevoked certificate of the project, if any."""
    return db.session.scalar(
        sa.select(Certificate).where(
            Certificate.project_id == project_id,
            Certificate.trainee_id == trainee_id,
            Certificate.revoked_at.is_(None),
        )
    )


def _revoke(certificate: Certificate, reason: str, actor: AdminUser) -> None:
    certificate.revoked_at = now()
    certificate.revoked_by_id = actor.id
    certificate.revoke_reason = reason


def issue_one(
    project: Project,
    trainee_id: int,
    reason: str | None,
    actor: AdminUser,
    *,
    client_address: str,
) -> Certificate:
    """Issue one trainee's certificate by hand; an unrevoked one is revoked and replaced."""
    db.session.execute(sa.select(Project.id).where(Project.id == project.id).with_for_update())
    ensure(project, Activity.CERTIFY)
    reason = _required(reason)
    signing.ensure_ready()
    claim = db.session.scalar(sa.select(Claim).where(Claim.project_id == project.id))
    line = None
    if claim is not None:
        line = db.session.scalar(
            sa.select(ClaimLine).where(
                ClaimLine.claim_id == claim.id, ClaimLine.trainee_id == trainee_id
            )
        )
    why = why_not(project, line)
    if why is not None:
        raise DomainError("certificate_not_qualified", why=why)
    trainee = db.session.get(Trainee, trainee_id)
    fields = fields_of(project, claim, line, trainee)
    renderer = document.Renderer([document.texts_of(fields)])
    old = current_certificate(project.id, trainee_id)
    certificate = _make(renderer, project, line, trainee, fields, actor, reason, old)
    if old is not None:
        _revoke(old, f"重新签发：{reason}", actor)
    db.session.flush()
    audit.record(
        "certificate.reissue" if old else "certificate.issue",
        audit.admin(actor, client_address),
        object_type="certificate",
        object_id=certificate.id,
        enterprise_id=project.enterprise_id,
        project_id=project.id,
        trainee_id=trainee_id,
        serial=certificate.serial,
        replaces=old.serial if old else None,
        reason=reason,
    )
    return certificate


def reissue(
    certificate: Certificate, reason: str | None, actor: AdminUser, *, client_address: str
) -> Certificate:
    """Re-issue after a correction: a new serial; the old one is revoked."""
    if certificate.revoked_at is not None:
        raise DomainError("certificate_revoked")
    return issue_one(
        certificate.project,
        certificate.trainee_id,
        reason,
        actor,
        client_address=client_address,
    )


def revoke(
    certificate: Certificate, reason: str | None, actor: AdminUser, *, client_address: str
) -> None:
    """Revoke with a reason: the verification page then says 已撤销, when and why."""
    db.session.execute(
        sa.select(Certificate.id).where(Certificate.id == certificate.id).with_for_update()
    )
    db.session.refresh(certificate)
    if certificate.revoked_at is not None:
        raise DomainError("certificate_revoked")
    reason = _required(reason)
    _revoke(certificate, reason, actor)
    audit.record(
        "certificate.revoke",
        audit.admin(actor, client_address),
        object_type="certificate",
        object_id=certificate.id,
        enterprise_id=certificate.project.enterprise_id,
        project_id=certificate.project_id,
        serial=certificate.serial,
        reason=reason,
    )
