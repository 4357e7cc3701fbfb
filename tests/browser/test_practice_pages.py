"""Practice, assessment, evaluation and support pages in headless Chromium, as hr, operator and
reviewer: a bank import with a bad row, a quiz and its statistics, a support reply that WeChat
(the simulator) receives as a subscribe message."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook

from backend.models import QuestionKind, QuizKind, Role
from tests.backend.admin.pages import world as w
from tests.browser.conftest import screenshot
from tests.factories import ADMIN_PASSWORD
from tests.miniprogram_api.quiz_helpers import answer_all

pytestmark = pytest.mark.browser
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER = ["题型", "题干", "A", "B", "C", "D", "E", "F", "答案", "解析", "难度"]


def _bank_file(rows) -> dict:
    book = Workbook()
    book.active.append(HEADER)
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return {"name": "题库.xlsx", "mimeType": XLSX, "buffer": buffer.getvalue()}


def _seed(make):
    world = w.build(make)
    course = make.course(world.project, name="安全生产")
    questions = [
        make.question(course, stem=f"第{n}题：安全帽应当怎样佩戴？", kind=QuestionKind.SINGLE)
        for n in range(1, 4)
    ]
    hr = make.admin(Role.ENTERPRISE_ADMIN, enterprise=world.a, display_name="甲公司人事")
    operator = make.admin(Role.OPERATOR, display_name="平台运营")
    reviewer = make.admin(Role.REVIEWER, display_name="人社审核员")
    make.session.commit()
    return world, course, questions, hr, operator, reviewer


def _sign_in(page, base, admin):
    page.goto(f"{base}/admin/login")
    page.fill("input[name=username]", admin.username)
    page.fill("input[name=password]", ADMIN_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/admin/")


def _sign_out(page, base):
    page.click("text=退出")
    page.wait_for_url(f"{base}/admin/login")


def _take(client, make, quiz, trainee, bank, right_ids):
    headers = make.auth(trainee)
    attempt = client.post(f"/api/v1/quizzes/{quiz}/attempts", headers=headers).get_json()
    answers = answer_all(attempt, bank, right_ids)
    client.post(
        f"/api/v1/attempts/{attempt['id']}/answers", json={"answers": answers}, headers=headers
    )
    client.post(f"/api/v1/attempts/{attempt['id']}/submit", headers=headers)


def test_hr_runs_banks_quizzes_evaluations_and_support(
    live_server, page, make, app, wechat_simulator
):
    world, course, questions, hr, _, _ = _seed(make)
    base = live_server
    api = app.test_client()
    _sign_in(page, base, hr)

    page.goto(f"{base}/admin/projects/{world.project.id}")
    page.wait_for_selector("body[data-charts=ready]")
    assert "45 分钟计 1 课时" in page.inner_text(".stats")
    screenshot(page, "p01-dashboard-explained")
    page.click("text=练习与考核")
    page.wait_for_selector("table.banks")
    page.click(f"a[href^='/admin/courses/{course.id}/questions?']")
    page.wait_for_selector("table.questions")
    screenshot(page, "p02-bank")

    # An import with a bad row: every row's problem is listed, nothing is imported.
    good = ["单选题", "灭火器压力表指针应在？", "红区", "绿区", None, None, None, None, "B"]
    bad = ["多选题", "劳保用品有哪些？", "安全帽", "手机", None, None, None, None, "A"]
    page.set_input_files("input[type=file]", files=[_bank_file([good, bad])])
    with page.expect_navigation():
        page.click("text=上传并导入")
    errors = page.inner_text("table.import-errors")
    assert "3" in errors and "多选题至少要有两个正确答案" in errors
    assert page.locator("table.questions tbody tr").count() == 3
    screenshot(page, "p03-bank-import-errors")
    page.set_input_files("input[type=file]", files=[_bank_file([good])])
    with page.expect_navigation():
        page.click("text=上传并导入")
    assert "已导入 1 道题目" in page.inner_text("main")
    assert page.locator("table.questions tbody tr").count() == 4

    # Retire one question: it stays listed, marked, and is drawn no more.
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.click(f"form[action*='/questions/{questions[2].id}/retire'] button")
    assert "已停用" in page.inner_text("table.questions")

    # A quiz created through the form.
    page.click("text=返回练习与考核")
    page.click("text=新建练习或考核")
    page.fill("#title", "结业考核")
    page.select_option("#kind", "assessment")
    page.select_option("#course_id", str(course.id))
    page.fill("#question_count", "3")
    page.fill("#pass_score", "60")
    page.fill("#attempt_limit", "2")
    page.fill("#time_limit_min", "30")
    screenshot(page, "p04-quiz-form")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert "测验已保存" in page.inner_text("main")
    assert "结业考核" in page.inner_text("table.quizzes")

    from backend.models import Quiz

    quiz = make.session.query(Quiz).filter_by(title="结业考核").one()
    assert quiz.kind is QuizKind.ASSESSMENT and quiz.time_limit_s == 1800
    make.session.expire_all()
    bank = {q.id: q for q in make.session.query(type(questions[0])).all()}
    _take(api, make, quiz.id, world.trainee, bank, set(bank))
    _take(api, make, quiz.id, world.unbound, bank, {questions[0].id})

    page.click("table.quizzes >> text=统计")
    page.wait_for_selector("body[data-charts=ready]")
    assert page.inner_text("#stat-attempts") == "2"
    assert page.locator("#chart-scores[data-ready='1'] canvas").count() == 1
    assert "区分度" in page.inner_text("table.items")
    screenshot(page, "p05-quiz-statistics")

    # Evaluations: averages, distributions, comments.
    api.post(
        f"/api/v1/projects/{world.project.id}/evaluation",
        json={"overall": 5, "content": 4, "teaching": 5, "platform": 3, "comment": "讲解清楚"},
        headers=make.auth(world.trainee),
    )
    page.goto(f"{base}/admin/projects/{world.project.id}/evaluations")
    page.wait_for_selector("body[data-charts=ready]")
    assert page.inner_text("#avg-overall") == "5.0" and "讲解清楚" in page.inner_text("main")
    screenshot(page, "p06-evaluations")

    # Support: the trainee asks, the navigation counts it, the reply reaches WeChat.
    thread = api.post(
        "/api/v1/support/threads",
        json={"subject": "证书何时发放？", "body": "请问结业证书什么时候发？"},
        headers=make.auth(world.trainee),
    ).get_json()
    page.goto(f"{base}/admin/")
    assert page.inner_text("#nav-support .nav-count") == "1"
    page.click("#nav-support")
    page.click("text=证书何时发放？")
    page.fill("#body", "结业后七个工作日内发放")
    before = len(wechat_simulator.sent_messages)
    with page.expect_navigation():
        page.click("text=发送回复")
    assert "已通过微信通知学员" in page.inner_text("main")
    sent = wechat_simulator.sent_messages[before:]
    assert len(sent) == 1 and sent[0]["touser"] == world.trainee.wx_openid
    assert sent[0]["data"]["thing2"]["value"] == "结业后七个工作日内发放"
    assert sent[0]["page"] == f"pages/support/thread?id={thread['id']}"
    assert page.locator("#nav-support .nav-count").count() == 0
    screenshot(page, "p07-support-reply")


@pytest.mark.parametrize("role", ["operator", "reviewer"])
def test_operator_manages_and_reviewer_only_reads(live_server, page, make, app, role):
    world, course, _, _, operator, reviewer = _seed(make)
    admin = operator if role == "operator" else reviewer
    writer = role == "operator"
    quiz = make.quiz(world.project, kind=QuizKind.ASSESSMENT, title="结业考核")
    make.session.commit()
    api = app.test_client()
    api.post(
        "/api/v1/support/threads",
        json={"subject": "无法登录", "body": "提示账号已停用"},
        headers=make.auth(world.trainee),
    )
    base = live_server
    _sign_in(page, base, admin)

    page.goto(f"{base}/admin/projects/{world.project.id}/practice")
    assert (page.locator("text=新建练习或考核").count() == 1) is writer
    assert (page.locator(f"form[action='/admin/quizzes/{quiz.id}/retire']").count() == 1) is writer
    screenshot(page, f"p10-practice-{role}")
    page.goto(f"{base}/admin/courses/{course.id}/questions?project={world.project.id}")
    assert (page.locator("input[type=file]").count() == 1) is writer
    assert (page.locator("text=添加题目").count() == 1) is writer
    assert page.locator("form[action*='/retire']").count() == (3 if writer else 0)
    screenshot(page, f"p11-bank-{role}")
    page.goto(f"{base}/admin/quizzes/{quiz.id}/statistics")
    page.wait_for_selector("body[data-charts=ready]")
    assert page.inner_text("#chart-scores") == "暂无数据"
    page.goto(f"{base}/admin/projects/{world.project.id}/evaluations")
    page.wait_for_selector("body[data-charts=ready]")
    assert page.locator(".chart-box.chart-empty").count() == 4
    page.goto(f"{base}/admin/support")
    page.click("text=无法登录")
    assert (page.locator("text=发送回复").count() == 1) is writer
    assert (page.locator("text=关闭问题").count() == 1) is writer
    screenshot(page, f"p12-support-{role}")

    # A phone 390 px wide: the project list's actions stay on screen, badges on one line.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{base}/admin/projects")
    link = page.locator("table.projects td.actions a").first
    box = link.bounding_box()
    assert box is not None and box["x"] + box["width"] <= 390
    badge = page.locator("table.projects .badge").first.bounding_box()
    assert badge["height"] < 2 * 24  # one line, not a character per line
    screenshot(page, f"p13-projects-390-{role}")
