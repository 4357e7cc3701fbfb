"""Certificates on the claim page: listed after close, revoked and re-issued through the forms,
read-only for reviewers, refusals shown on the page."""

from __future__ import annotations

import re

import sqlalchemy as sa

from backend.models import Certificate, Role
from tests import certificate_helpers as ch


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def test_certificates_on_the_claim_page(client, make, admin_login):
    world = ch.build(make)
    ch.close(client, admin_login(world.hr), world.project)
    url = f"/admin/projects/{world.project.id}/claim"
    page = client.get(url).get_data(as_text=True)
    first = make.session.scalar(sa.select(Certificate))
    assert "培训证明" in page and first.serial in page and "有效" in page
    assert f"/api/admin/projects/{world.project.id}/certificates.zip" in page
    assert ch.PASSWORD_ID not in page

    # A reason is required: the refusal is shown, nothing changes.
    base = f"/admin/projects/{world.project.id}/certificates"
    client.post(f"{base}/{first.serial}/revoke", data={"csrf_token": _csrf(page), "reason": ""})
    page = client.get(url).get_data(as_text=True)
    assert "请填写理由" in page

    # 赵六 has no class hour: the page says why.
    client.post(
        f"{base}/issue",
        data={"csrf_token": _csrf(page), "trainee_id": str(world.zhao.id), "reason": "补发"},
    )
    page = client.get(url).get_data(as_text=True)
    assert "不符合发证条件：无课时" in page

    client.post(
        f"{base}/{first.serial}/reissue", data={"csrf_token": _csrf(page), "reason": "姓名更正"}
    )
    make.session.expire_all()
    second = make.session.scalar(sa.select(Certificate).where(Certificate.revoked_at.is_(None)))
    assert second.serial != first.serial
    page = client.get(url).get_data(as_text=True)
    assert "重新签发：姓名更正" in page and second.serial in page

    client.post(
        f"{base}/{second.serial}/revoke", data={"csrf_token": _csrf(page), "reason": "核查不实"}
    )
    make.session.expire_all()
    assert make.session.get(Certificate, second.id).revoke_reason == "核查不实"

    # A reviewer sees the list without the forms; posting is forbidden.
    admin_login(make.admin(Role.REVIEWER))
    page = client.get(url).get_data(as_text=True)
    assert second.serial in page and "certificate-issue" not in page and "撤销原因" not in page
    refused = client.post(f"{base}/issue", data={"csrf_token": _csrf(page), "trainee_id": "1"})
    assert refused.status_code == 403
