"""The signed-in trainee's training certificates (培训证明)."""

from __future__ import annotations

from datetime import datetime

from flask import g
from pydantic import RootModel

from backend.api import ResponseModel, endpoint
from backend.services.certificates import issuing, reads
from miniprogram_api.blueprint import bp


class MyCertificateOut(ResponseModel):
    """A certificate of the trainee's; ``pdf_url`` is signed and expires like media URLs."""

    serial: str
    project_id: int
    project_name: str
    issued_at: datetime
    revoked_at: datetime | None
    pdf_url: str
    verify_url: str


class MyCertificates(RootModel[list[MyCertificateOut]]):
    """The trainee's certificates, oldest first (revoked ones with ``revoked_at``)."""


@bp.get("/me/certificates")
@endpoint(summary="我的培训证明", response=MyCertificates, tags=("me",))
def my_certificates():
    return [
        {
            "serial": certificate.serial,
            "project_id": certificate.project_id,
            "project_name": project_name,
            "issued_at": certificate.issued_at,
            "revoked_at": certificate.revoked_at,
            "pdf_url": reads.pdf_url(certificate),
            "verify_url": issuing.verify_url(certificate.serial),
        }
        for certificate, project_name in reads.of_trainee(g.trainee)
    ]
