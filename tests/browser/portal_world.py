"""Shared steps of the portal's browser tests: a trainee's world on the real clock, a drainer
thread, a tab whose console must stay clean, and the scan sign-in as the mini-program confirms
it. The fixtures are registered by tests/browser/conftest.py."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from functools import cache

import pytest

from backend.clock import today
from backend.drainer import Drainer
from backend.extensions import db
from backend.models import LessonKind, QuestionKind, QuizKind
from backend.services.content import samples
from tests import content_helpers
from tests.signin import bearer, sign_in

# Long enough never to end during a test (1 frame a second keeps it small).
VIDEO_S = 900
# Failed requests the portal expects and answers itself: a ticket past its life, the
# certificates endpoint where it does not exist yet, an evaluation not written yet (404), and
# the network cut by the test.
EXPECTED_FAILURES = (
    "/me/certificates",
    "/evaluation",
    "/web-login-tickets/",
    "ERR_FAILED",
    "ERR_INTERNET",
)


@cache
def long_video() -> bytes:
    """A real H.264 MP4 of VIDEO_S seconds at one frame a second."""
    return samples.video_bytes(VIDEO_S, fps=1)


@dataclass
class World:
    """One enterprise, a project running today, its courses, lessons, quizzes and a trainee."""

    project: object
    video: object
    document: object
    assessment: object
    practice: object
    trainee: object
    mobile: str


def build(make, *, checks: bool = False, mobile: str = "13800138111") -> World:
    """A project open today (China time) with a real video, a document and two quizzes."""
    enterprise = make.enterprise(name="示例制造有限公司")
    start = today() - timedelta(days=10)
    project = make.project(
        enterprise,
        name="2026年安全生产适岗培训",
        start_date=start,
        end_date=start + timedelta(days=60),
        attention_checks_enabled=checks,
    )
    course = make.course(project, name="安全生产基础")
    video = make.media_lesson(course, long_video(), title="第一讲 安全帽与劳保用品", position=0)
    document = make.media_lesson(
        course,
        content_helpers.pdf(3),
        kind=LessonKind.DOCUMENT,
        title="第二讲 操作规程（文档）",
        duration_s=600,
        position=1,
    )
    for n in range(1, 4):
        make.question(
            course,
            kind=QuestionKind.SINGLE,
            stem=f"第{n}题：进入车间必须佩戴什么？",
            options=["拖鞋", "安全帽", "耳机", "围巾"],
            answer="B",
            explanation="进入生产区域必须正确佩戴安全帽。",
        )
    assessment = make.quiz(
        project,
        title="安全生产考核",
        kind=QuizKind.ASSESSMENT,
        course_id=course.id,
        question_count=3,
        pass_score=60,
        time_limit_s=600,
        attempt_limit=2,
    )
    practice = make.quiz(project, title="安全生产练习", course_id=course.id, question_count=3)
    trainee = make.trainee(enterprise, name="张伟", account="zhangwei", mobile=mobile)
    make.enrol(trainee, project)
    make.session.commit()
    return World(project, video, document, assessment, practice, trainee, mobile)


@pytest.fixture
def drainer(app):
    """A drainer thread, as `flask drain-credit` beside the app: the database follows the beats."""
    stop = threading.Event()

    def run() -> None:
        with app.app_context():
            worker = Drainer("portal-test-drainer")
            while not stop.is_set():
                worker.drain_once()
                stop.wait(0.5)
            db.session.remove()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join(timeout=10)


@pytest.fixture
def portal_page(chromium):
    """A fresh tab (no cookies, empty storage); page errors, CSP reports and unexpected failed
    requests fail the test."""
    chromium.clear_cookies()
    tab = chromium.new_page()
    errors: list[str] = []
    # A test adds what it provokes (e.g. the 409 of a superseded session's beat).
    tab.allowed_failures = list(EXPECTED_FAILURES)

    def on_console(msg) -> None:
        # Chromium logs each failed resource without its URL; the response hook names it.
        expected = any(s in msg.text for s in tab.allowed_failures)
        if msg.type == "error" and not expected and "Failed to load resource" not in msg.text:
            errors.append(msg.text)

    def on_response(response) -> None:
        if response.status >= 400 and not any(s in response.url for s in tab.allowed_failures):
            errors.append(f"{response.status} {response.url}")

    tab.on("console", on_console)
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.on("response", on_response)
    yield tab
    tab.close()
    assert errors == [], f"browser console errors: {errors}"


def scan_sign_in(tab, base: str, client, simulator, world: World, shot: str | None = None) -> str:
    """Open the portal, read the ticket of the code shown, confirm it as the mini-program would
    (with a mini-program token from the ordinary wx.login sign-in) and wait for the projects."""
    with tab.expect_response(lambda r: r.url.endswith("/api/v1/auth/web-login-tickets")) as info:
        tab.goto(f"{base}/learn/")
    ticket = info.value.json()["ticket"]
    tab.wait_for_selector("img.qr")
    assert "扫码登录" in tab.inner_text("main")
    until(lambda: tab.evaluate("document.querySelector('img.qr').naturalWidth") > 0)
    if shot:
        from tests.browser.conftest import screenshot

        screenshot(tab, shot)
    phone_token = sign_in(client, simulator, world.trainee, world.mobile)
    response = client.post(
        f"/api/v1/auth/web-login-tickets/{ticket}/confirm", headers=bearer(phone_token)
    )
    assert response.status_code == 204, response.get_json()
    tab.wait_for_selector("[data-project]")
    return tab.evaluate("sessionStorage.getItem('shigang.portal.token')")


def until(condition, timeout: float = 30.0, step: float = 0.25):
    """Poll ``condition`` until it is true (page.wait_for_function evaluates a string, which the
    portal's CSP forbids)."""
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(step)
    return result


def hours(client, token: str) -> dict:
    """GET /me/hours with the portal's token."""
    response = client.get("/api/v1/me/hours", headers=bearer(token))
    assert response.status_code == 200, response.get_json()
    return response.get_json()
