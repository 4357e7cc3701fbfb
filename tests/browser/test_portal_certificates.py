"""The trainee's certificates in the portal (/learn/): after the project closes, the signed PDF
and the verification page are linked from 我的项目; a revoked certificate says so."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from backend import pii
from tests import certificate_helpers as ch
from tests.browser.conftest import screenshot
from tests.browser.portal_world import scan_sign_in

pytestmark = pytest.mark.browser
MOBILE = "13800138777"


def test_my_certificates_link_the_signed_pdf_and_the_verification_page(
    live_server, portal_page, make, app, client, admin_login, wechat_simulator
):
    world = ch.build(make)
    pii.set_mobile(world.wang, MOBILE)
    make.session.commit()
    ch.close(client, admin_login(world.hr), world.project)
    [issued] = client.get("/api/v1/me/certificates", headers=make.auth(world.wang)).get_json()

    tab = portal_page
    tab.set_viewport_size({"width": 390, "height": 844})
    trainee = SimpleNamespace(trainee=world.wang, mobile=MOBILE)
    scan_sign_in(tab, live_server, app.test_client(), wechat_simulator, trainee)
    card = tab.inner_text(f"[data-project='{world.project.id}']")
    assert "项目已结束，学时已冻结" in card and "得下一课时" not in card
    section = tab.wait_for_selector("#certificates li")
    text = section.inner_text()
    assert world.project.name in text and issued["serial"] in text
    links = {a.inner_text(): a.get_attribute("href") for a in section.query_selector_all("a")}
    assert links["查验"] == issued["verify_url"]
    pdf = tab.request.get(links[world.project.name])
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF")
    screenshot(tab, "portal-certificates-390")
