"""Admin JSON API for a closed project's training certificates: list, PDFs one by one or all as
a streamed zip, issue one by hand, re-issue, revoke."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from flask import Response, stream_with_context
from pydantic import Field
from sqlalchemy import select

from backend.admin.api.blueprint import bp
from backend.admin.auth import current_admin, require_permission
from backend.admin.scope import get_project_or_404
from backend.api import MAX_ID, RequestModel, ResponseModel, endpoint
from backend.caller import client_address
from backend.extensions import db
from backend.kernel.errors import NotFoundError
from backend.kernel.permissions import Permission
from backend.kernel.scope import scope_query
from backend.models import Certificate
from backend.services.certificates import issuing, reads
from backend.services.plain_text import user_text


class IssueIn(RequestModel):
    """Issue one trainee's certificate by hand (a re-issue if one is valid), with a reason."""

    trainee_id: Annotated[int, Field(ge=1, le=MAX_ID)]
    reason: user_text(500)


class ReasonIn(RequestModel):
    """Why the certificate is re-issued or revoked."""

    reason: user_text(500)


class CertificateOut(ResponseModel):
    """A certificate as the admin sees it (ID number masked)."""

    serial: str
    project_id: int
    trainee_id: int
    name: str
    id_number_masked: str
    class_hours: int
    assessment: str
    issued_at: datetime
    issue_reason: str | None
    revoked_at: datetime | None
    revoke_reason: str | None
    verify_url: str
    pdf_path: str


class CertificateList(ResponseModel):
    """A project's certificates, oldest first."""

    items: list[CertificateOut]


def certificate_body(certificate: Certificate) -> dict:
    """The certificate as CertificateOut data."""
    fields = certificate.fields
    return {
        "serial": certificate.serial,
        "project_id": certificate.project_id,
        "trainee_id": certificate.trainee_id,
        "name": fields.get("name", ""),
        "id_number_masked": fields.get("id_number", ""),
        "class_hours": fields.get("class_hours", 0),
        "assessment": fields.get("assessment", ""),
        "issued_at": certificate.issued_at,
        "issue_reason": certificate.issue_reason,
        "revoked_at": certificate.revoked_at,
        "revoke_reason": certificate.revoke_reason,
        "verify_url": issuing.verify_url(certificate.serial),
        "pdf_path": f"/api/admin/certificates/{certificate.serial}.pdf",
    }


def scoped_certificate(serial: str) -> Certificate:
    """The certificate of ``serial`` if the admin may see its enterprise, else 404."""
    found = reads.by_serial(serial)
    if found is not None:
        query = scope_query(select(Certificate), Certificate, current_admin())
        found = db.session.scalar(query.where(Certificate.id == found.id))
    if found is None:
        raise NotFoundError("没有这个编号的培训证明")
    return found


def zip_response(project_id: int) -> Response:
    """All the project's certificate PDFs as one zip, streamed."""
    project = get_project_or_404(project_id, current_admin())
    response = Response(
        stream_with_context(reads.zip_stream(project.id)), mimetype="application/zip"
    )
    response.headers["Content-Disposition"] = (
        f'attachment; filename="certificates-project-{project.id}.zip"'
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def pdf_response(certificate: Certificate) -> Response:
    """The certificate's signed PDF as issued (ID number masked)."""
    response = Response(certificate.pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{certificate.serial}.pdf"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/projects/<id:project_id>/certificates")
@require_permission(Permission.VIEW_CERTIFICATES)
@endpoint(summary="培训证明列表（身份证号码脱敏）", response=CertificateList, auth=None)
def admin_project_certificates(project_id: int):
    project = get_project_or_404(project_id, current_admin())
    return {"items": [certificate_body(c) for c in reads.of_project(project)]}


@bp.get("/projects/<id:project_id>/certificates.zip")
@require_permission(Permission.VIEW_CERTIFICATES)
@endpoint(summary="全部培训证明 PDF（zip，流式下载）", auth=None)
def admin_project_certificates_zip(project_id: int):
    return zip_response(project_id)


@bp.post("/projects/<id:project_id>/certificates")
@require_permission(Permission.ISSUE_CERTIFICATE)
@endpoint(
    summary="为一名学员签发培训证明（需填写理由；已有有效证明时撤销旧编号并重新签发）",
    body=IssueIn,
    response=CertificateOut,
    status=201,
    auth=None,
)
def admin_certificate_issue(project_id: int, body: IssueIn):
    admin = current_admin()
    project = get_project_or_404(project_id, admin)
    certificate = issuing.issue_one(
        project, body.trainee_id, body.reason, admin, client_address=client_address()
    )
    db.session.commit()
    return certificate_body(certificate)


@bp.get("/certificates/<serial>.pdf")
@require_permission(Permission.VIEW_CERTIFICATES)
@endpoint(summary="培训证明 PDF（已签名，身份证号码脱敏）", auth=None)
def admin_certificate_pdf(serial: str):
    return pdf_response(scoped_certificate(serial))


@bp.post("/certificates/<serial>/reissue")
@require_permission(Permission.ISSUE_CERTIFICATE)
@endpoint(
    summary="更正后重新签发：撤销旧编号，签发新编号",
    body=ReasonIn,
    response=CertificateOut,
    auth=None,
)
def admin_certificate_reissue(serial: str, body: ReasonIn):
    certificate = scoped_certificate(serial)
    new = issuing.reissue(
        certificate, body.reason, current_admin(), client_address=client_address()
    )
    db.session.commit()
    return certificate_body(new)


@bp.post("/certificates/<serial>/revoke")
@require_permission(Permission.REVOKE_CERTIFICATE)
@endpoint(summary="撤销培训证明（需填写理由）", body=ReasonIn, response=CertificateOut, auth=None)
def admin_certificate_revoke(serial: str, body: ReasonIn):
    certificate = scoped_certificate(serial)
    issuing.revoke(certificate, body.reason, current_admin(), client_address=client_address())
    db.session.commit()
    return certificate_body(certificate)
