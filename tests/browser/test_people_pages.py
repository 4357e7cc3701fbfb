"""Admin accounts and bulk enrolment in headless Chromium: an operator creates a reviewer, who
signs in with the one-time password and must change it; the operator disables the account; an
enterprise admin enrols the ticked trainees of one project into another."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from backend.models import AdminUser, Enrolment, Role
from tests.browser.conftest import screenshot
from tests.factories import ADMIN_PASSWORD

pytestmark = pytest.mark.browser
NEW_PASSWORD = "violet-harbour-tractor-92"


def _sign_in(page, base, username, password=ADMIN_PASSWORD, lands="/admin/"):
    page.goto(f"{base}/admin/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}{lands}")


def _sign_out(page, base):
    page.click("text=退出")
    page.wait_for_url(f"{base}/admin/login")


def test_operator_manages_admin_accounts(live_server, page, make):
    base = live_server
    operator = make.admin(Role.OPERATOR, username="ops", display_name="平台运营")
    make.session.commit()
    page.on("dialog", lambda dialog: dialog.accept())

    _sign_in(page, base, operator.username)
    page.click("nav >> text=管理员账号")
    page.wait_for_selector("table#admins")
    page.click("text=新建账号")
    page.fill("input[name=username]", "reviewer.li")
    page.fill("input[name=display_name]", "审核员小李")
    page.select_option("select[name=role]", "reviewer")
    with page.expect_navigation():
        page.click("#admin-form button[type=submit]")
    password = page.inner_text("#temporary-password").strip()
    assert len(password) == 16
    screenshot(page, "admin-account-created")
    _sign_out(page, base)

    # The temporary password leads straight to the change form.
    _sign_in(page, base, "reviewer.li", password, lands="/admin/account/password")
    assert "你正在使用临时密码" in page.inner_text("main")
    page.fill("input[name=current]", password)
    page.fill("input[name=new]", "password123")
    page.fill("input[name=repeat]", "password123")
    with page.expect_navigation():
        page.click("#password-form button[type=submit]")
    assert "密码太容易被猜到" in page.inner_text("main")
    page.fill("input[name=current]", password)
    page.fill("input[name=new]", NEW_PASSWORD)
    page.fill("input[name=repeat]", NEW_PASSWORD)
    with page.expect_navigation():
        page.click("#password-form button[type=submit]")
    assert "密码已修改" in page.inner_text("main")
    _sign_out(page, base)

    _sign_in(page, base, operator.username)
    page.goto(f"{base}/admin/admins")
    row = page.locator("tr[data-username='reviewer.li']")
    assert "正常" in row.inner_text()
    with page.expect_navigation():
        row.locator("text=停用").click()
    assert "已停用" in page.locator("tr[data-username='reviewer.li']").inner_text()
    screenshot(page, "admin-accounts")
    make.session.expire_all()
    reviewer = make.session.scalar(select(AdminUser).where(AdminUser.username == "reviewer.li"))
    assert reviewer.active is False and reviewer.must_change_password is False


def test_hr_enrols_ticked_trainees_into_another_project(live_server, page, make):
    base = live_server
    company = make.enterprise(name="甲企业")
    source = make.project(company, name="2026 岗前培训")
    target = make.project(company, name="2026 在岗培训")
    people = [make.trainee(company, name=f"员工{n}") for n in range(3)]
    for person in people:
        make.enrol(person, source)
    hr = make.admin(Role.ENTERPRISE_ADMIN, enterprise=company, username="hr.jia")
    make.session.commit()

    _sign_in(page, base, hr.username)
    page.goto(f"{base}/admin/projects/{source.id}/trainees")
    page.check("input[data-select-all]")
    assert page.locator("input[name=trainee_id]:checked").count() == 3
    page.uncheck(f"input[name=trainee_id][value='{people[2].id}']")
    page.select_option("#target-project", str(target.id))
    with page.expect_navigation():
        page.click("#bulk-form button[value=enrol]")
    assert "已为“2026 在岗培训”报名 2 名学员" in page.inner_text("main")
    screenshot(page, "bulk-enrolment")
    enrolled = make.session.scalars(
        select(Enrolment.trainee_id).where(Enrolment.project_id == target.id)
    ).all()
    assert sorted(enrolled) == sorted([people[0].id, people[1].id])
