"""In Chromium, an enterprise admin creates a course, uploads a video with the progress bar and
attaches the course to a project; a trainee (API) plays it by Range, learns and earns credit;
the filing form lists the course with the video's real duration."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests

from backend.clock import clock, today
from backend.models import Platform, ProjectStatus, Role
from tests.browser.conftest import screenshot
from tests.content_helpers import video
from tests.factories import ADMIN_PASSWORD

pytestmark = pytest.mark.browser


def test_course_upload_attach_learn_and_file(live_server, page, make, tmp_path):
    base = live_server
    company = make.enterprise(name="甲公司")
    project = make.project(
        company,
        name="甲公司适岗培训",
        status=ProjectStatus.APPROVED,
        start_date=today() - timedelta(days=1),
        end_date=today() + timedelta(days=30),
        attention_checks_enabled=False,
        platform=Platform(name="适岗平台", server_city="广州"),
    )
    trainee = make.trainee(company, name="张三")
    make.enrol(trainee, project)
    hr = make.admin(Role.ENTERPRISE_ADMIN, enterprise=company, display_name="甲公司人事")
    make.session.commit()

    page.goto(f"{base}/admin/login")
    page.fill("input[name=username]", hr.username)
    page.fill("input[name=password]", ADMIN_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/admin/")
    page.click("text=课程库")
    page.fill("#course-new input[name=name]", "安全生产基础")
    page.fill("#course-new textarea[name=summary]", "安全操作规程")
    page.click("#course-new button[type=submit]")
    page.wait_for_selector("#lesson-upload")

    clip = tmp_path / "第一课.mp4"
    clip.write_bytes(video(3))
    page.fill("#lesson-title", "第一课 安全帽")
    page.set_input_files("#lesson-file", str(clip))
    page.click("#lesson-upload button[type=submit]")
    page.wait_for_selector("table.lessons td.duration:has-text('3秒')")
    assert "第一课 安全帽" in page.inner_text("table.lessons")
    screenshot(page, "content-01-course")

    page.goto(f"{base}/admin/projects/{project.id}/courses")
    page.select_option("#attach-course select[name=course_id]", label="安全生产基础")
    page.click("#attach-course button[type=submit]")
    page.wait_for_selector("table.project-courses >> text=安全生产基础")
    screenshot(page, "content-02-project-courses")

    # The trainee side, over HTTP against the same live server.
    auth = make.auth(trainee)
    lessons = requests.get(f"{base}/api/v1/projects/{project.id}/lessons", headers=auth, timeout=10)
    [lesson] = lessons.json()["lessons"]
    assert (lesson["kind"], lesson["duration_s"], lesson["course_name"]) == (
        "video",
        3,
        "安全生产基础",
    )
    played = requests.get(lesson["media_url"], headers={"Range": "bytes=0-1023"}, timeout=10)
    assert played.status_code == 206 and played.content == video(3)[:1024]

    clock.freeze(clock.now())
    check_in = requests.post(
        f"{base}/api/v1/lessons/{lesson['lesson_id']}/sessions",
        json={"client_ts": int(clock.now().timestamp() * 1000), "device": "iPhone"},
        headers=auth,
        timeout=10,
    )
    assert check_in.status_code == 201, check_in.text
    clock.advance(seconds=3)
    beat = requests.post(
        f"{base}/api/v1/sessions/{check_in.json()['session_id']}/heartbeats",
        json={
            "seq": 1,
            "client_ts": int(clock.now().timestamp() * 1000),
            "position_s": 3,
            "playing": True,
        },
        headers=auth,
        timeout=10,
    )
    assert beat.status_code == 200 and beat.json()["credited_s"] == 3
    listed = requests.get(f"{base}/api/v1/projects/{project.id}/lessons", headers=auth, timeout=10)
    assert listed.json()["lessons"][0]["completed"] is True
    clock.unfreeze()

    page.goto(f"{base}/admin/projects/{project.id}/filing")
    plan = page.inner_text("main")
    assert "安全生产基础" in plan and "安全操作规程" in plan and "3秒" in plan
    screenshot(page, "content-03-filing")
