"""Reading certificates: the public verification, lists, the trainee's signed PDF link and
full-ID copy, and a project's certificates as one zip streamed in bounded memory."""

from __future__ import annotations

import hashlib
import hmac
import re
import zipfile
from collections.abc import Iterator

import sqlalchemy as sa
from flask import current_app, url_for

from backend import audit, pii
from backend.clock import now
from backend.extensions import db
from backend.kernel.errors import DomainError, register
from backend.models import Certificate, Project, Trainee
from backend.services.certificates import document
from backend.services.certificates.issuing import verify_url

register("certificate_link_expired", 403, "下载链接已过期，请返回证书列表重新打开")

SERIAL = re.compile(r"^[A-Z]{1,8}\d{4}(-[2-9A-Z]{4}){3}$")
ZIP_BATCH = 50


def by_serial(serial: str) -> Certificate | None:
    """The certificate of ``serial`` (any case), or None."""
    serial = (serial or "").strip().upper()
    if not SERIAL.match(serial):
        return None
    return db.session.scalar(sa.select(Certificate).where(Certificate.serial == serial))


def status_text(certificate: Certificate) -> str:
    """有效 or 已撤销."""
    return "已撤销" if certificate.revoked_at else "有效"


def verification(certificate: Certificate) -> dict:
    """What the public verification page and JSON show (the ID number masked)."""
    return {
        "serial": certificate.serial,
        "valid": certificate.revoked_at is None,
        "status": status_text(certificate),
        "issued_at": certificate.issued_at,
        "revoked_at": certificate.revoked_at,
        "revoke_reason": certificate.revoke_reason,
        "fields": {k: certificate.fields.get(k) for k in document.FIELD_LABELS},
        "pdf_sha256": certificate.pdf_sha256,
    }


def of_project(project: Project) -> list[Certificate]:
    """The project's certificates, newest last."""
    query = (
        sa.select(Certificate).where(Certificate.project_id == project.id).order_by(Certificate.id)
    )
    return list(db.session.scalars(query))


def of_trainee(trainee: Trainee) -> list[tuple[Certificate, str]]:
    """The trainee's own certificates with their projects' names."""
    query = (
        sa.select(Certificate, Project.name)
        .join(Project, Project.id == Certificate.project_id)
        .where(Certificate.trainee_id == trainee.id)
        .order_by(Certificate.id)
    )
    return [tuple(row) for row in db.session.execute(query)]


def _signature(serial: str, trainee_id: int, expires: int) -> str:
    secret = hashlib.sha256(b"certificate-url:" + current_app.config["SECRET_KEY"].encode())
    message = f"{serial}\n{trainee_id}\n{expires}".encode()
    return hmac.new(secret.digest(), message, hashlib.sha256).hexdigest()


def pdf_url(certificate: Certificate) -> str:
    """The trainee's signed, expiring link to their PDF (``MEDIA_URL_TTL_S``, like media)."""
    expires = int(now().timestamp()) + current_app.config["MEDIA_URL_TTL_S"]
    return url_for(
        "certificates_public.certificate_pdf",
        serial=certificate.serial,
        expires=expires,
        sig=_signature(certificate.serial, certificate.trainee_id, expires),
        _external=True,
    )


def verified_for_download(serial: str, expires: str, sig: str) -> Certificate:
    """The certificate of a signed, unexpired link (404 on a wrong signature)."""
    certificate = by_serial(serial)
    if certificate is None or not expires.isdigit():
        raise DomainError("not_found")
    expected = _signature(certificate.serial, certificate.trainee_id, int(expires))
    if not hmac.compare_digest(expected, sig):
        raise DomainError("not_found")
    if int(expires) < now().timestamp():
        raise DomainError("certificate_link_expired")
    return certificate


def trainee_copy(certificate: Certificate, *, client_address: str) -> bytes:
    """The trainee's own PDF: the same certificate with the full ID number, as official forms
    print it (the reveal is audit-logged), signed now."""
    trainee = certificate.trainee
    actor = audit.trainee(trainee, client_address)
    fields = dict(certificate.fields)
    fields["id_number"] = pii.reveal_id_number(trainee, actor, purpose="certificate_pdf")
    renderer = document.Renderer([document.texts_of(fields)])
    return renderer.signed(certificate.serial, fields, verify_url(certificate.serial))


class _Chunks:
    """A write-only file whose bytes are taken out as they come (zipfile streams into it)."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.written = 0

    def write(self, data) -> int:
        self.parts.append(bytes(data))
        self.written += len(data)
        return len(data)

    def tell(self) -> int:
        return self.written

    def flush(self) -> None:
        return None

    def take(self) -> bytes:
        data, self.parts = b"".join(self.parts), []
        return data


def zip_name(certificate: Certificate, name: str) -> str:
    """The file's name in the zip: serial and trainee name."""
    safe = re.sub(r'[\\/:*?"<>|\s]+', "_", name)[:40]
    return f"{certificate.serial}_{safe}.pdf"


def zip_stream(project_id: int) -> Iterator[bytes]:
    """Every certificate PDF of the project (revoked ones under 已撤销/) as a zip, a batch of
    rows at a time: memory stays at a batch's PDFs whatever the number of certificates."""
    sink = _Chunks()
    last_id = 0
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_STORED) as archive:
        while True:
            rows = db.session.execute(
                sa.select(
                    Certificate.id,
                    Certificate.serial,
                    Certificate.revoked_at,
                    Certificate.pdf,
                    Certificate.fields,
                )
                .where(Certificate.project_id == project_id, Certificate.id > last_id)
                .order_by(Certificate.id)
                .limit(ZIP_BATCH)
            ).all()
            if not rows:
                break
            for row in rows:
                last_id = row.id
                name = zip_name(row, (row.fields or {}).get("name", ""))
                folder = "已撤销/" if row.revoked_at else ""
                archive.writestr(folder + name, row.pdf)
                yield sink.take()
    yield sink.take()
