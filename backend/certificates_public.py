"""Public certificate routes: the verification page and JSON (no sign-in, rate-limited per
client address, no search or listing) and the trainee's signed, expiring PDF link."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, current_app, jsonify, render_template, request

from backend.caller import client_address
from backend.extensions import db
from backend.kernel.errors import DomainError
from backend.services import rate_limit
from backend.services.certificates import document, reads

bp = Blueprint("certificates_public", __name__)


def init_app(app: Flask) -> None:
    """Mount the routes (GET only: nothing for CSRF to protect)."""
    app.register_blueprint(bp)


def _limited() -> None:
    config = current_app.config
    rate_limit.hit(
        [("verify", client_address())],
        limit=config["VERIFY_RATE_LIMIT"],
        window_s=config["VERIFY_RATE_WINDOW_S"],
    )


def _not_found_page() -> Response:
    return Response(render_template("certificates/not_found.html"), 404, mimetype="text/html")


@bp.get("/verify/<serial>")
def verify_page(serial: str):
    """有效 or 已撤销 with every field of the certificate (ID number masked)."""
    _limited()
    certificate = reads.by_serial(serial)
    if certificate is None:
        return _not_found_page()
    response = Response(
        render_template(
            "certificates/verify.html",
            v=reads.verification(certificate),
            labels=document.FIELD_LABELS,
        ),
        mimetype="text/html",
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/api/verify/<serial>")
def verify_json(serial: str):
    """The same as JSON, for bureaus' systems."""
    _limited()
    certificate = reads.by_serial(serial)
    if certificate is None:
        raise DomainError("not_found", "没有这个编号的培训证明")
    body = reads.verification(certificate)
    for key in ("issued_at", "revoked_at"):
        body[key] = body[key].isoformat() if body[key] else None
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/certificate-files/<serial>.pdf")
def certificate_pdf(serial: str):
    """The trainee's own PDF (full ID number) behind a signed, expiring link."""
    certificate = reads.verified_for_download(
        serial, request.args.get("expires", ""), request.args.get("sig", "")
    )
    pdf = reads.trainee_copy(certificate, client_address=client_address())
    db.session.commit()  # the reveal's audit entry
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{certificate.serial}.pdf"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
