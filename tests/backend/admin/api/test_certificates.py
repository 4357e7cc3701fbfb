"""Admin certificates: the list and zip in tenant scope, reviewers read-only, issuing one by
hand with a reason, re-issue revoking the old serial, revocation; and the bad inputs."""

from __future__ import annotations

import io
import zipfile

import sqlalchemy as sa

from backend.models import AuditLog, Certificate, Role
from tests import certificate_helpers as ch


def _post(client, csrf, url, body):
    return client.post(url, json=body, headers={"X-CSRFToken": csrf})


def test_list_zip_and_scope(app, client, make, admin_login):
    world = ch.build(make)
    csrf = admin_login(world.hr)
    ch.close(client, csrf, world.project)
    listed = client.get(f"/api/admin/projects/{world.project.id}/certificates").get_json()
    [item] = listed["items"]
    assert item["name"] == "王五" and "*" in item["id_number_masked"]
    assert item["verify_url"] == f"http://shigang.test/verify/{item['serial']}"
    pdf = client.get(item["pdf_path"])
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    ch.assert_signed_whole(pdf.data, app.config["SIGNING_CERT_PATH"])

    response = client.get(f"/api/admin/projects/{world.project.id}/certificates.zip")
    assert response.status_code == 200 and response.is_streamed
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    [name] = archive.namelist()
    assert name == f"{item['serial']}_王五.pdf"
    ch.assert_signed_whole(archive.read(name), app.config["SIGNING_CERT_PATH"])

    # Another enterprise's admin: 404 on everything of this project.
    admin_login(world.other_hr)
    base = f"/api/admin/projects/{world.project.id}/certificates"
    assert client.get(base).status_code == 404
    assert client.get(base + ".zip").status_code == 404
    assert client.get(item["pdf_path"]).status_code == 404

    # A reviewer reads (in its cities) but may not issue or revoke.
    reviewer = make.admin(Role.REVIEWER, cities=["4403"])
    csrf = admin_login(reviewer)
    assert client.get(base).status_code == 200
    assert (
        _post(client, csrf, f"{base}", {"trainee_id": world.wang.id, "reason": "x"}).status_code
        == 403
    )
    revoke = f"/api/admin/certificates/{item['serial']}/revoke"
    assert _post(client, csrf, revoke, {"reason": "x"}).status_code == 403
    guangzhou_reviewer = make.admin(Role.REVIEWER, cities=["4401"])
    admin_login(guangzhou_reviewer)
    assert client.get(base).status_code == 404


def test_issue_reissue_revoke_and_bad_inputs(app, client, make, admin_login):
    world = ch.build(make)
    csrf = admin_login(world.hr)
    base = f"/api/admin/projects/{world.project.id}/certificates"

    # The project is still open: the lifecycle's 409.
    refused = _post(client, csrf, base, {"trainee_id": world.wang.id, "reason": "补发"})
    assert refused.status_code == 409
    assert refused.get_json()["error"]["code"] == "project_status_conflict"

    ch.close(client, csrf, world.project)
    [first] = client.get(base).get_json()["items"]

    # 赵六 has no class hour: 422 saying why; 李四 is of another enterprise's project.
    zhao = _post(client, csrf, base, {"trainee_id": world.zhao.id, "reason": "补发"})
    assert zhao.status_code == 422
    assert zhao.get_json()["error"]["code"] == "certificate_not_qualified"
    assert "无课时" in zhao.get_json()["error"]["message"]
    li = _post(client, csrf, base, {"trainee_id": world.li.id, "reason": "补发"})
    assert li.status_code == 422 and "名册" in li.get_json()["error"]["message"]
    blank = _post(client, csrf, base, {"trainee_id": world.wang.id, "reason": "  "})
    assert blank.status_code == 422

    # A corrected name: re-issue revokes the old serial and issues a new one.
    world.wang.name = "王伍"
    make.session.commit()
    reissued = _post(
        client, csrf, f"/api/admin/certificates/{first['serial']}/reissue", {"reason": "姓名更正"}
    )
    assert reissued.status_code == 200, reissued.get_json()
    second = reissued.get_json()
    assert second["serial"] != first["serial"] and second["name"] == "王伍"
    items = {c["serial"]: c for c in client.get(base).get_json()["items"]}
    assert items[first["serial"]]["revoked_at"] is not None
    assert items[first["serial"]]["revoke_reason"] == "重新签发：姓名更正"
    assert items[second["serial"]]["revoked_at"] is None
    new_pdf = make.session.scalar(
        sa.select(Certificate.pdf).where(Certificate.serial == second["serial"])
    )
    ch.assert_signed_whole(new_pdf, app.config["SIGNING_CERT_PATH"])
    assert "王伍" in ch.page_text(new_pdf)

    # Issuing by hand while one is valid: the same, audit-logged with the reason.
    by_hand = _post(client, csrf, base, {"trainee_id": world.wang.id, "reason": "遗失补发"})
    assert by_hand.status_code == 201, by_hand.get_json()
    assert by_hand.get_json()["issue_reason"] == "遗失补发"
    actions = make.session.scalars(
        sa.select(AuditLog.action).where(AuditLog.action.like("certificate.%"))
    ).all()
    assert actions == ["certificate.issue_at_close", "certificate.reissue", "certificate.reissue"]

    # Revoke with a reason; again: 409; re-issuing a revoked serial: 409.
    serial = by_hand.get_json()["serial"]
    revoke = f"/api/admin/certificates/{serial}/revoke"
    assert _post(client, csrf, revoke, {"reason": ""}).status_code == 422
    assert _post(client, csrf, revoke, {"reason": "离职核查不实"}).status_code == 200
    again = _post(client, csrf, revoke, {"reason": "再次"})
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "certificate_revoked"
    reissue = _post(client, csrf, f"/api/admin/certificates/{serial}/reissue", {"reason": "x"})
    assert reissue.status_code == 409
    assert (
        make.session.scalar(
            sa.select(AuditLog).where(AuditLog.action == "certificate.revoke")
        ).detail["reason"]
        == "离职核查不实"
    )


def test_missing_signing_key_issues_nothing(app, client, make, admin_login):
    world = ch.build(make)
    csrf = admin_login(world.operator)
    ch.close(client, csrf, world.project)
    before = make.session.scalar(sa.select(sa.func.count(Certificate.id)))
    app.config["SIGNING_KEY_PATH"] = None
    base = f"/api/admin/projects/{world.project.id}/certificates"
    response = _post(client, csrf, base, {"trainee_id": world.wang.id, "reason": "补发"})
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "signing_unavailable"
    make.session.rollback()
    assert make.session.scalar(sa.select(sa.func.count(Certificate.id))) == before
    assert (
        make.session.scalar(sa.select(Certificate).where(Certificate.revoked_at.is_not(None)))
        is None
    )
