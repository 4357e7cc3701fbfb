"""The demo as a new HR officer and reviewer meet it: the dashboard, closing the project (asked
first), the claim as the enterprise and as the reviewer (found in the review queue), the record
chain verified from a button and the audit log in Chinese; each page at 1366 and 390 px wide."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from backend.demo import seed_demo
from backend.models import Enterprise, Role
from tests.browser.conftest import screenshot
from tests.factories import ADMIN_PASSWORD

pytestmark = pytest.mark.browser

WIDTHS = ((1366, 900), (390, 844))


def _shots(page, name: str) -> None:
    """Screenshots of the page on a laptop and on a phone."""
    for width, height in WIDTHS:
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(250)  # charts redraw on resize
        screenshot(page, f"26-{name}-{width}")
        wide = page.evaluate("() => document.documentElement.scrollWidth")
        assert wide <= width, f"{name} is {wide} px wide at {width} px"
    page.set_viewport_size({"width": 1366, "height": 900})


def _sign_in(page, base, admin) -> None:
    page.goto(f"{base}/admin/login")
    page.fill("input[name=username]", admin.username)
    page.fill("input[name=password]", ADMIN_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/admin/")


def _sign_out(page, base) -> None:
    page.click("text=退出")
    page.wait_for_url(f"{base}/admin/login")


def test_demo_close_claim_review_verify_and_audit(live_server, page, make):
    seeded = seed_demo()
    enterprise = make.session.scalar(select(Enterprise))
    hr = make.admin(Role.ENTERPRISE_ADMIN, enterprise=enterprise, display_name="人事小李")
    reviewer = make.admin(Role.REVIEWER, display_name="人社审核员")
    operator = make.admin(Role.OPERATOR, display_name="平台运营")
    make.session.commit()
    base, project_id = live_server, seeded["project_id"]

    # The dashboard: 学员列表 is a link button like its neighbours, every bar has its label.
    _sign_in(page, base, hr)
    page.goto(f"{base}/admin/projects/{project_id}")
    page.wait_for_selector("body[data-charts=ready]")
    classes = page.locator(".page-head .actions a").evaluate_all("a => a.map(x => x.className)")
    assert set(classes) == {"button secondary"}
    intervals = page.evaluate(
        """() => [...document.querySelectorAll('.chart-box[data-ready="1"]')].map(
            box => echarts.getInstanceByDom(box).getOption().xAxis[0].axisLabel.interval)"""
    )
    assert intervals == [0, 0]
    _shots(page, "dashboard")
    # On a phone the dates do not fit side by side: turned, still every one shown.
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(250)
    turned = page.evaluate(
        """() => echarts.getInstanceByDom(document.querySelector('#chart-hours-per-day'))
            .getOption().xAxis[0].axisLabel"""
    )
    assert turned["interval"] == 0 and turned["rotate"] == 45
    page.set_viewport_size({"width": 1366, "height": 900})

    # The trainee table's search box shows its whole placeholder.
    page.goto(f"{base}/admin/projects/{project_id}/trainees")
    for width, height in WIDTHS:
        page.set_viewport_size({"width": width, "height": height})
        room = page.evaluate(
            """() => { const q = document.querySelector('input[name=q]');
              const style = getComputedStyle(q);
              const c = document.createElement('canvas').getContext('2d');
              c.font = style.font;
              const pad = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
              return q.clientWidth - pad - c.measureText(q.placeholder).width; }"""
        )
        assert room >= 0, f"placeholder cut at {width} px"
    page.set_viewport_size({"width": 1366, "height": 900})
    _shots(page, "trainees")

    # Exports: no claim link before the project is closed.
    page.goto(f"{base}/admin/projects/{project_id}/exports")
    assert "项目结束后才有" in page.inner_text("#claim-not-yet")
    assert page.locator("a[href$='/exports/claim.xlsx']").count() == 0

    # Closing asks first, saying what it freezes; dismissed, nothing happens.
    page.goto(f"{base}/admin/projects/{project_id}/claim")
    page.fill("#reason", "订单提前完成")
    asked = []

    def dismiss(dialog):
        asked.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    page.click("#close-form button[type=submit]")
    page.wait_for_timeout(300)
    assert asked and "冻结" in asked[0] and "不能撤销" in asked[0]
    assert page.locator("#close-form").count() == 1
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.click("#close-form button[type=submit]")
    assert "已结项，未提交申领" in page.inner_text("main")
    with page.expect_navigation():
        page.click("text=提交补贴申领")
    assert "已提交申领，待审核" in page.inner_text("main")
    _shots(page, "claim-enterprise")
    page.goto(f"{base}/admin/projects/{project_id}/exports")
    assert page.locator("a[href$='/exports/claim.xlsx']").count() == 1
    _sign_out(page, base)

    # The reviewer finds the claim in the review queue, with a form like the filing review.
    _sign_in(page, base, reviewer)
    page.click("nav >> text=备案审核")
    page.wait_for_selector("#waiting-claims")
    assert "2026 年一线员工线上适岗培训" in page.inner_text("#waiting-claims")
    _shots(page, "review-queue")
    with page.expect_navigation():
        page.click(f"#waiting-claims a[href='/admin/projects/{project_id}/claim']")
    form = page.locator("#claim-review-form")
    label, decision = form.locator("label[for=decision]"), form.locator("select#decision")
    assert label.bounding_box()["y"] < decision.bounding_box()["y"]  # the label above its field
    assert decision.bounding_box()["width"] > 200
    _shots(page, "claim-reviewer")
    page.select_option("#decision", "returned")
    with page.expect_navigation():
        page.click("#claim-review-form button[type=submit]")
    assert "退回补贴申领时请填写审核意见" in page.inner_text("main")
    page.select_option("#decision", "approved")
    with page.expect_navigation():
        page.click("#claim-review-form button[type=submit]")
    assert "申领审核通过" in page.inner_text("main")

    # The record chain is verified from a button, the verdict in words.
    page.goto(f"{base}/admin/projects/{project_id}/integrity")
    assert "verify-records" not in page.inner_text("main")
    with page.expect_navigation():
        page.click("#verify-chain")
    assert "核验通过" in page.inner_text("#chain-verdict")
    _shots(page, "integrity")
    _sign_out(page, base)

    # The audit log: every action and detail in Chinese.
    _sign_in(page, base, operator)
    page.click("nav >> text=审计日志")
    page.wait_for_selector("table.audit")
    actions = page.locator("table.audit tbody td:nth-child(3)").all_inner_texts()
    assert "结束项目并冻结数据" in actions and "补贴申领审核通过" in actions
    assert all(not text.isascii() for text in actions)
    options = page.locator("select[name=action] option").all_inner_texts()
    assert all(not text.isascii() for text in options)
    details = page.locator("table.audit td.detail span").all_inner_texts()
    assert details and all(not key.isascii() for key in (d.split("：")[0] for d in details))
    _shots(page, "audit-log")
