"""The trainees' portal (/learn/) in headless Chromium: scan sign-in, projects and hours, practice
with instant feedback, an assessment submitted before its time limit, the evaluation, a support
question, the privacy notice; at 390 px and 1366 px."""

from __future__ import annotations

import pytest

from backend.models import SupportMessage, SupportThread
from tests.browser.conftest import screenshot
from tests.browser.portal_world import build, hours, scan_sign_in

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}


def test_sign_in_quizzes_evaluation_support_at_both_widths(
    live_server, portal_page, make, app, wechat_simulator
):
    world = build(make)
    tab, base, client = portal_page, live_server, app.test_client()
    tab.set_viewport_size(DESKTOP)
    token = scan_sign_in(tab, base, client, wechat_simulator, world, shot="portal-signin-1366")
    assert token
    main = tab.inner_text("main")
    assert "张伟，你好" in main and world.project.name in main
    assert "45 分钟计 1 课时" in main and "每人每年 1000 元封顶" in main
    screenshot(tab, "portal-projects-1366")
    tab.set_viewport_size(PHONE)
    screenshot(tab, "portal-projects-390")

    # The project: lessons with their progress, the quizzes.
    tab.click(f"[data-project='{world.project.id}'] a.button")
    tab.wait_for_selector(f"[data-lesson='{world.video.id}']")
    assert "未开始" in tab.inner_text(f"[data-lesson='{world.video.id}']")
    screenshot(tab, "portal-lessons-390")

    # A document: shown in a frame, read with the reading timer once 开始学习 checked in.
    tab.click(f"[data-lesson='{world.document.id}'] a.title")
    tab.click("#start:has-text('开始学习')")
    tab.wait_for_selector("#read-toggle:has-text('暂停阅读')")
    tab.wait_for_selector("#credit-state:has-text('正在计时')")
    assert tab.locator("iframe.doc-frame").count() == 1
    tab.wait_for_selector("#read-clock:has-text('0:02')")
    screenshot(tab, "portal-document-390")
    tab.click("#read-toggle")
    tab.wait_for_selector("#credit-why:has-text('已暂停阅读')")
    with tab.expect_response(lambda r: r.url.endswith("/end")):  # leaving checks out
        tab.go_back()
    tab.wait_for_selector(f"[data-quiz='{world.practice.id}']")

    # Practice: each answer saved at once, right or wrong shown with the explanation.
    tab.click(f"[data-quiz='{world.practice.id}'] a.button")
    tab.wait_for_selector(".question")
    first = tab.locator(".question").first
    first.locator("text=安全帽").click()
    first.locator(".feedback.right").wait_for()
    assert "解析：进入生产区域必须正确佩戴安全帽" in first.inner_text()
    second = tab.locator(".question").nth(1)
    second.locator("text=拖鞋").click()
    second.locator(".feedback.wrong").wait_for()
    right = second.locator("label:has-text('安全帽')").inner_text()[0]  # options are shuffled
    assert f"回答错误，正确答案：{right}" in second.inner_text()
    screenshot(tab, "portal-practice-390")

    # The assessment: a countdown, answers saved as chosen, submitted before the time limit.
    tab.set_viewport_size(DESKTOP)
    tab.goto(f"{base}/learn/#/projects/{world.project.id}/quizzes/{world.assessment.id}")
    tab.wait_for_selector("#countdown:has-text('剩余时间')")
    questions = tab.locator(".question")
    assert questions.count() == 3
    for n in range(3):
        questions.nth(n).locator("label:has-text('安全帽')").click()
        tab.wait_for_selector(f".saved:has-text('已保存第 {n + 1} 题')")
    assert tab.locator(".feedback").count() == 0  # no key during an assessment
    screenshot(tab, "portal-assessment-1366")
    tab.click("button:has-text('交卷')")
    tab.wait_for_selector("#result")
    assert "得分 100 分" in tab.inner_text("#result") and "已通过" in tab.inner_text("#result")

    # The evaluation.
    tab.goto(f"{base}/learn/#/projects/{world.project.id}/evaluation")
    for name in ("overall", "content", "teaching", "platform"):
        tab.check(f"input[name={name}][value='5']")
    tab.fill("#comment", "讲得很清楚")
    tab.click("button:has-text('提交评价')")
    tab.wait_for_selector("text=感谢你的评价")

    # Support: a new question, the admin's reply shown as new, then read.
    tab.set_viewport_size(PHONE)
    tab.click("#nav-support")
    tab.click("text=提问")
    tab.fill("#subject", "视频打不开怎么办")
    tab.fill("#body", "<b>第一讲</b> 一直在缓冲")
    tab.click("button:has-text('提交问题')")
    tab.wait_for_selector("#thread-state:has-text('等待客服回复')")
    assert "<b>第一讲</b> 一直在缓冲" in tab.inner_text(".messages")  # text, never markup
    thread = make.session.query(SupportThread).one()
    assert thread.subject == "视频打不开怎么办"
    reply = SupportMessage(thread_id=thread.id, author_kind="admin", body="请刷新页面重试")
    make.session.add(reply)
    make.session.commit()
    tab.goto(f"{base}/learn/#/support")
    tab.wait_for_selector(f"[data-thread='{thread.id}'] .badge.new")
    screenshot(tab, "portal-support-390")
    tab.click(f"[data-thread='{thread.id}'] a")
    tab.wait_for_selector(".message.theirs.unread")
    assert "客服已回复" in tab.inner_text("#thread-state")
    tab.goto(f"{base}/learn/#/support")
    tab.wait_for_selector(f"[data-thread='{thread.id}']")
    assert tab.locator(f"[data-thread='{thread.id}'] .badge.new").count() == 0

    # The privacy notice, and the hours as the API gives them.
    tab.click("#nav >> text=隐私政策")
    tab.wait_for_selector("article.prose")
    screenshot(tab, "portal-privacy-390")
    assert hours(client, token)["projects"][0]["class_hours"] == 0
