"""Drive the admin pages in headless Chromium: sign in, dashboard, trainee table, trainee page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from backend.models import ProjectStatus, Role
from tests.backend.admin.pages import world as w
from tests.browser.conftest import screenshot
from tests.factories import ADMIN_PASSWORD

pytestmark = pytest.mark.browser

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"


def _seed(make):
    """Enterprise 甲公司 with a project of 30 trainees who learned on several days."""
    world = w.build(make)
    world.project.planned_class_hours = 4
    start = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    for n in range(30):
        trainee = make.trainee(world.a, name=f"{SURNAMES[n % 20]}小{n:02d}", roster_seq=n + 3)
        make.enrol(trainee, world.project)
        for day in range(n % 6):
            w.add_span(make, trainee, world.project, start + timedelta(days=day), 40 + 7 * n)
    make.plan_row(world.draft, resource_name="质量管理入门")
    hr = make.admin(Role.ENTERPRISE_ADMIN, enterprise=world.a, display_name="甲公司人事")
    operator = make.admin(Role.OPERATOR, display_name="平台运营")
    reviewer = make.admin(Role.REVIEWER, display_name="人社审核员")
    make.session.commit()
    return world, hr, operator, reviewer


def _sign_in(page, base, admin):
    page.goto(f"{base}/admin/login")
    page.fill("input[name=username]", admin.username)
    page.fill("input[name=password]", ADMIN_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/admin/")


def test_sign_in_dashboard_and_trainee_table(live_server, page, make):
    _, hr, _, _ = _seed(make)
    base = live_server

    page.goto(f"{base}/admin/login")
    assert page.title() == "登录 · 适岗"
    screenshot(page, "01-login")
    _sign_in(page, base, hr)
    assert "甲公司人事" in page.inner_text("header")
    screenshot(page, "02-home")

    page.click("text=培训项目")
    page.wait_for_selector("text=甲公司适岗培训")
    screenshot(page, "03-projects")

    page.click("text=甲公司适岗培训")
    page.wait_for_selector("body[data-charts=ready]")
    assert page.inner_text("#stat-enrolled") == "32"
    assert page.locator(".chart-box[data-ready='1'] canvas").count() == 2
    screenshot(page, "04-dashboard")

    page.click("text=学员列表")
    page.wait_for_selector("table.trainees")
    assert page.locator("table.trainees tbody tr").count() == 20
    assert "第 1 / 2 页，共 32 条" in page.inner_text("main")
    screenshot(page, "05-trainees")
    page.set_viewport_size({"width": 768, "height": 1024})  # a tablet in portrait
    screenshot(page, "05b-trainees-tablet")
    page.set_viewport_size({"width": 1366, "height": 900})

    # Filter by status: the select submits the form by itself (admin.js).
    with page.expect_navigation():
        page.select_option("select[name=status]", "reached")
    # hr may enrol and withdraw: the first column holds the row checkboxes.
    hours = page.locator("table.trainees tbody tr td:nth-child(9)").all_inner_texts()
    assert hours and all(int(text.split("/")[0]) >= 4 for text in hours)
    assert "共 32 条" not in page.inner_text("main")
    assert "status=reached" in page.url
    screenshot(page, "06-trainees-reached")

    page.fill("input[name=q]", "王小")
    with page.expect_navigation():
        page.click("#trainee-filters button[type=submit]")
    names = page.locator("table.trainees tbody tr td:nth-child(3)").all_inner_texts()
    assert names and all(name.startswith("王小") for name in names)

    with page.expect_navigation():
        page.click("th a[href*='sort=credited']")  # sort by class hours, then descending
    with page.expect_navigation():
        page.click("th a[href*='sort=credited']")
    assert "sort=credited" in page.url and "dir=desc" in page.url

    page.click("table.trainees tbody tr >> nth=0 >> td:nth-child(3) a")
    page.wait_for_selector("text=学习记录")
    assert "********" in page.inner_text("#id-number")
    screenshot(page, "07-trainee")

    # Reveal the full ID number: a confirm dialog, then the number, audit-logged.
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.click("text=显示完整号码")
    assert "*" not in page.inner_text("#id-number")
    assert len(page.inner_text("#id-number")) == 18


def test_project_form_review_and_audit(live_server, page, make, app):
    world, hr, operator, reviewer = _seed(make)
    base = live_server

    _sign_in(page, base, hr)
    page.goto(f"{base}/admin/projects/new")
    page.fill("#name", "新员工岗前培训")
    page.fill("#person_mobile", "123")
    page.click("form.stacked button[type=submit]")
    page.wait_for_selector(".field-error")
    assert "手机号码格式不正确" in page.inner_text("#person_mobile-error")
    page.set_viewport_size({"width": 1024, "height": 768})  # a tablet in landscape
    screenshot(page, "08-project-form-errors-tablet")
    page.set_viewport_size({"width": 1366, "height": 900})

    page.goto(f"{base}/admin/projects")
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.click(f"form[action='/admin/projects/{world.draft.id}/submit'] button")
    assert "已提交备案" in page.inner_text("main")
    page.click("text=退出")
    page.wait_for_url(f"{base}/admin/login")

    _sign_in(page, base, reviewer)
    page.click("nav >> text=备案审核")
    page.click(f"a[href='/admin/review/{world.draft.id}']")
    page.select_option("#decision", "returned")
    page.fill("#comment", "请补充培训机构资质")
    screenshot(page, "09-review")
    with page.expect_navigation():
        page.click("#review-form button[type=submit]")
    assert "审核结果已保存" in page.inner_text("main")
    page.click("text=退出")

    _sign_in(page, base, operator)
    page.click("nav >> text=审计日志")
    page.wait_for_selector("table.audit")
    with page.expect_navigation():
        page.select_option("select[name=action]", "project.review")
        page.click("form.filters button[type=submit]")
    assert "请补充培训机构资质" in page.inner_text("table.audit")
    screenshot(page, "10-audit-log")
    make.session.expire_all()
    assert make.session.get(type(world.draft), world.draft.id).status is ProjectStatus.RETURNED


def test_roster_import_and_export_download(live_server, page, make, tmp_path):
    from openpyxl import load_workbook

    from tests import rosters

    world, hr, _, _ = _seed(make)
    base = live_server
    _sign_in(page, base, hr)
    page.goto(f"{base}/admin/projects/{world.project.id}")
    page.wait_for_selector("body[data-charts=ready]")
    page.click("text=导入名册")
    page.wait_for_selector("input[type=file]")
    upload = rosters.xlsx_bytes([rosters.person(1), rosters.person(2, "female")])
    page.set_input_files(
        "input[type=file]",
        files=[
            {
                "name": "名册.xlsx",
                "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "buffer": upload,
            }
        ],
    )
    with page.expect_navigation():
        page.click("text=上传并校验")
    assert "全部 2 行校验通过" in page.inner_text("main")
    screenshot(page, "11-roster-preview")
    with page.expect_navigation():
        page.click("text=确认导入 2 名学员")
    assert "已导入 2 名学员" in page.inner_text("main")
    screenshot(page, "12-exports")

    with page.expect_download() as info:
        page.click(f"a[href='/admin/projects/{world.project.id}/exports/roster.xlsx']")
    saved = tmp_path / "roster.xlsx"
    info.value.save_as(saved)
    cells = [c for row in load_workbook(saved).active.iter_rows(values_only=True) for c in row]
    assert "导入学员1" in cells and "导入学员2" in cells

    page.goto(f"{base}/admin/projects/{world.project.id}/trainees?q=导入学员")
    names = page.locator("table.trainees tbody tr td:nth-child(3)").all_inner_texts()
    assert sorted(names) == ["导入学员1", "导入学员2"]
