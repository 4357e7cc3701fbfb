"""Certificates issued at close: every qualifying trainee gets a signed PDF whose signature
covers the whole file and breaks with one changed byte, whose QR code is the verification URL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from backend.clock import clock
from backend.models import AuditLog, Certificate
from tests import certificate_helpers as ch


def test_close_issues_signed_certificates(app, client, make, admin_login):
    world = ch.build(make)
    claim = ch.close(client, admin_login(world.hr), world.project)
    lines = {line["name"]: line for line in claim["lines"]}
    assert lines["王五"]["qualifies"] and not lines["赵六"]["qualifies"]

    certificates = make.session.scalars(sa.select(Certificate)).all()
    # 王五 only: 赵六 has no class hour, 李四's project is still open.
    assert [c.trainee_id for c in certificates] == [world.wang.id]
    certificate = certificates[0]
    assert certificate.serial.startswith("GD2026-")
    fields = certificate.fields
    assert fields["name"] == "王五"
    assert fields["class_hours"] == 20
    assert fields["id_number"] != ch.PASSWORD_ID and "*" in fields["id_number"]
    assert fields["enterprise"] == "深圳甲精密制造有限公司"
    assert fields["post"] == "数控车工"
    assert fields["digest"] == claim["digest"]

    # Every issued PDF: intact, whole file, the configured certificate.
    for issued in certificates:
        ch.assert_signed_whole(issued.pdf, app.config["SIGNING_CERT_PATH"])
    pdf = certificate.pdf
    assert pdf.startswith(b"%PDF")
    text = ch.page_text(pdf)
    flat = "".join(text.split())
    assert "培训证明" in flat and "王五" in flat and certificate.serial in flat
    assert ch.PASSWORD_ID not in text

    # One changed byte inside the signed content breaks it.
    at = pdf.index(b"stream") + 40
    tampered = pdf[:at] + bytes([pdf[at] ^ 0x01]) + pdf[at + 1 :]
    status, _ = ch.validate(tampered, app.config["SIGNING_CERT_PATH"])
    assert not status.intact and not status.bottom_line

    # The QR code on the rendered first page is the verification URL.
    assert ch.qr_text(pdf) == f"http://shigang.test/verify/{certificate.serial}"

    entry = make.session.scalar(
        sa.select(AuditLog).where(AuditLog.action == "certificate.issue_at_close")
    )
    assert entry.detail["count"] == 1


def test_required_assessment_not_passed_gets_nothing(app, client, make, admin_login):
    world = ch.build(make, assessment_required=True)
    ch.close(client, admin_login(world.hr), world.project)
    # 王五 has hours but never passed the required assessment.
    assert make.session.scalars(sa.select(Certificate)).all() == []


@pytest.fixture
def unsigned(app_config):
    """No signing pair configured."""
    app_config.update(SIGNING_KEY_PATH=None, SIGNING_CERT_PATH=None)


def test_missing_signing_key_closes_nothing(unsigned, app, client, make, admin_login):
    world = ch.build(make)
    csrf = admin_login(world.hr)
    clock.freeze(datetime(2026, 7, 1, 2, 0, tzinfo=UTC))
    response = client.post(
        f"/api/admin/projects/{world.project.id}/close", json={}, headers={"X-CSRFToken": csrf}
    )
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "signing_unavailable"
    make.session.rollback()
    # Nothing half-done: the project is open, no claim, no serial.
    assert client.get(f"/api/admin/projects/{world.project.id}/claim").status_code == 404
    assert make.session.scalars(sa.select(Certificate)).all() == []
