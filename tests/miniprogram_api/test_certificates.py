"""A trainee's certificates: the list, the signed and expiring PDF link whose PDF prints the
full ID number (the reveal audit-logged); a trainee without hours or of another enterprise
gets nothing."""

from __future__ import annotations

from urllib.parse import urlsplit

import sqlalchemy as sa

from backend.clock import clock
from backend.models import AuditLog
from tests import certificate_helpers as ch


def _local(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def test_my_certificates_and_the_full_id_pdf(app, client, make, admin_login):
    world = ch.build(make)
    ch.close(client, admin_login(world.hr), world.project)
    [mine] = client.get("/api/v1/me/certificates", headers=make.auth(world.wang)).get_json()
    assert set(mine) == {
        "serial",
        "project_id",
        "project_name",
        "issued_at",
        "revoked_at",
        "pdf_url",
        "verify_url",
    }
    assert mine["project_id"] == world.project.id
    assert mine["project_name"] == "数控车工线上适岗培训"
    assert mine["revoked_at"] is None
    assert mine["verify_url"] == f"http://shigang.test/verify/{mine['serial']}"

    # The link needs no token; the PDF prints the full ID number and is signed.
    response = client.get(_local(mine["pdf_url"]))
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    ch.assert_signed_whole(response.data, app.config["SIGNING_CERT_PATH"])
    assert ch.PASSWORD_ID in ch.page_text(response.data)
    assert ch.qr_text(response.data) == mine["verify_url"]
    reveal = make.session.scalar(
        sa.select(AuditLog).where(AuditLog.action == "pii.reveal_id_number")
    )
    assert reveal.actor_kind == "trainee" and reveal.object_id == world.wang.id
    assert reveal.detail["purpose"] == "certificate_pdf"

    # A changed signature or serial: 404; an expired link: 403.
    assert client.get(_local(mine["pdf_url"]).replace("sig=", "sig=0")).status_code == 404
    other_serial = _local(mine["pdf_url"]).replace(mine["serial"], "GD2026-2222-3333-4444")
    assert client.get(other_serial).status_code == 404
    clock.advance(app.config["MEDIA_URL_TTL_S"] + 1)
    expired = client.get(_local(mine["pdf_url"]))
    assert expired.status_code == 403
    assert "链接已过期" in expired.get_data(as_text=True)


def test_no_hours_or_other_enterprise_gets_nothing(client, make, admin_login):
    world = ch.build(make)
    ch.close(client, admin_login(world.hr), world.project)
    assert client.get("/api/v1/me/certificates", headers=make.auth(world.zhao)).get_json() == []
    # 李四 learnt in the other enterprise's project, still open.
    assert client.get("/api/v1/me/certificates", headers=make.auth(world.li)).get_json() == []
    assert client.get("/api/v1/me/certificates").status_code == 401
