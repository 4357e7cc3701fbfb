"""The public verification of a certificate: the page (有效 / 已撤销 with its fields, the ID
number masked), the JSON, an unknown serial's plain 404, the limit per client address."""

from __future__ import annotations

import re

import sqlalchemy as sa

from backend.models import Certificate
from tests import certificate_helpers as ch


def _fields(page: str) -> dict[str, str]:
    return dict(re.findall(r'<dd data-field="(\w+)"[^>]*>([^<]*)</dd>', page))


def _closed(client, make, admin_login):
    world = ch.build(make)
    csrf = admin_login(world.hr)
    ch.close(client, csrf, world.project)
    certificate = make.session.scalar(sa.select(Certificate))
    return world, csrf, certificate


def test_the_page_shows_every_field_then_revoked(client, make, admin_login):
    world, csrf, certificate = _closed(client, make, admin_login)
    # The URL the QR code holds, minus the host.
    path = ch.qr_text(certificate.pdf).removeprefix("http://shigang.test")
    client.post("/admin/logout", headers={"X-CSRFToken": csrf})
    response = client.get(path)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'name="viewport"' in page
    assert re.search(r'id="status">有效<', page)
    fields = _fields(page)
    assert fields["name"] == "王五"
    assert fields["id_number"] == certificate.fields["id_number"]
    assert "*" in fields["id_number"] and ch.PASSWORD_ID not in page
    assert fields["enterprise"] == "深圳甲精密制造有限公司"
    assert fields["project"] == "数控车工线上适岗培训"
    assert fields["post"] == "数控车工"
    assert fields["training_type"] == "在岗培训"
    assert fields["start_date"] == "2026年3月1日" and fields["end_date"] == "2026年6月30日"
    assert fields["class_hours"] == "20"
    assert fields["assessment"] == "无考核"
    assert fields["issue_date"] == "2026年7月1日"
    assert fields["digest"] == certificate.fields["digest"]
    assert fields["pdf_sha256"] == certificate.pdf_sha256

    as_json = client.get(f"/api/verify/{certificate.serial.lower()}").get_json()
    assert as_json["valid"] is True and as_json["status"] == "有效"
    assert as_json["fields"]["name"] == "王五"

    csrf = admin_login(world.hr)
    revoked = client.post(
        f"/api/admin/certificates/{certificate.serial}/revoke",
        json={"reason": "培训记录有误"},
        headers={"X-CSRFToken": csrf},
    )
    assert revoked.status_code == 200, revoked.get_json()
    page = client.get(path).get_data(as_text=True)
    assert re.search(r'id="status">已撤销<', page)
    assert "撤销原因：培训记录有误" in page and "撤销时间：2026-07-01" in page
    as_json = client.get(f"/api/verify/{certificate.serial}").get_json()
    assert as_json["valid"] is False and as_json["revoke_reason"] == "培训记录有误"


def test_unknown_serial_is_a_plain_404(client):
    for serial in ("GD2026-2222-3333-4444", "nonsense", "GD2026-7K3M"):
        response = client.get(f"/verify/{serial}")
        assert response.status_code == 404
        assert "未找到培训证明" in response.get_data(as_text=True)
        assert "/admin" not in response.get_data(as_text=True)
    response = client.get("/api/verify/GD2026-2222-3333-4444")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_rate_limited_per_client_address(app, client):
    app.config["VERIFY_RATE_LIMIT"] = 3
    for _ in range(3):
        assert client.get("/verify/GD2026-2222-3333-4444").status_code == 404
    limited = client.get("/verify/GD2026-2222-3333-4444")
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
    assert client.get("/api/verify/GD2026-2222-3333-4444").status_code == 429
    # Another address has its own count.
    other = client.get(
        "/verify/GD2026-2222-3333-4444", environ_overrides={"REMOTE_ADDR": "10.1.2.3"}
    )
    assert other.status_code == 404
