"""A real video lesson learned in the portal on the real clock, with a drainer running: credit
while it plays, none while paused or hidden, beats buffered through a network cut and accepted
afterwards; and an attention check answered in the dialog. Real time: about five minutes."""

from __future__ import annotations

import json
import re
import time

import pytest

from backend.extensions import db
from backend.models import AttentionCheck, FaceCheck
from tests.browser.conftest import screenshot
from tests.browser.portal_world import build, hours, scan_sign_in, until

pytestmark = pytest.mark.browser
BEATS = "/heartbeats"
# Headless Chromium keeps every tab visible (minimising or covering it changes nothing), so the
# test sets the document's visibility as a browser does when the tab goes to the background and
# fires the same event.
SET_VISIBILITY = """hidden => {
  Object.defineProperty(document, 'visibilityState', {configurable: true,
    get: () => hidden ? 'hidden' : 'visible'});
  Object.defineProperty(document, 'hidden', {configurable: true, get: () => hidden});
  document.dispatchEvent(new Event('visibilitychange'));
}"""


def _credited(client, token) -> int:
    return hours(client, token)["projects"][0]["credited_s"]


def _settled(tab, client, token) -> int:
    """The credit once the beat of a change of state has landed and been drained (waiting in
    the page lets Playwright deliver the responses seen meanwhile)."""
    tab.wait_for_timeout(3_000)
    return _credited(client, token)


def _leave(tab, base, world) -> None:
    """Back to the project: the player checks out; wait for it, so that no request of the page
    is still running when the test's database is emptied."""
    with tab.expect_response(lambda r: r.url.endswith("/end")):
        tab.goto(f"{base}/learn/#/projects/{world.project.id}")
    tab.wait_for_selector(f"[data-lesson='{world.video.id}']")


def _open_lesson(tab, base, world, lesson):
    tab.goto(f"{base}/learn/#/projects/{world.project.id}/lessons/{lesson.id}")
    tab.wait_for_selector("#start:has-text('开始学习')")
    tab.click("#start")
    tab.wait_for_selector("#credit-state:has-text('正在计时')")


def test_play_pause_hide_and_cut_the_network(
    live_server, portal_page, make, app, wechat_simulator, drainer
):
    world = build(make)
    tab, base, client = portal_page, live_server, app.test_client()
    beats: list[tuple[dict, int]] = []  # every beat answered, with its status

    def on_response(response) -> None:
        if BEATS in response.url:
            beats.append((json.loads(response.request.post_data), response.status))

    tab.on("response", on_response)
    token = scan_sign_in(tab, base, client, wechat_simulator, world)
    _open_lesson(tab, base, world, world.video)

    # Plays 75 s of real time: beats every 30 s credit what the server clock saw.
    tab.wait_for_timeout(75_000)
    assert tab.evaluate("document.querySelector('video').currentTime") > 60
    played = _credited(client, token)
    assert played >= 30, played
    screenshot(tab, "portal-player-1366")

    # Paused 40 s: nothing more is credited, and the page says why.
    tab.evaluate("document.querySelector('video').pause()")
    tab.wait_for_selector("#credit-why:has-text('已暂停')")
    paused_at = _settled(tab, client, token)
    assert paused_at >= played
    sent = len(beats)
    tab.wait_for_timeout(40_000)
    assert _credited(client, token) == paused_at
    assert beats[sent:] == []

    # Playing again, then hidden 35 s: the beats stop while hidden.
    tab.evaluate("document.querySelector('video').play()")
    tab.wait_for_selector("#credit-state:has-text('正在计时')")
    tab.wait_for_timeout(5_000)
    tab.evaluate(SET_VISIBILITY, True)
    tab.wait_for_selector("#credit-why:has-text('页面不在前台')")
    hidden_at = _settled(tab, client, token)
    sent = len(beats)
    tab.wait_for_timeout(35_000)
    assert beats[sent:] == []
    assert _credited(client, token) == hidden_at
    tab.evaluate(SET_VISIBILITY, False)
    tab.wait_for_selector("#credit-state:has-text('正在计时')")

    # The network cut for a minute: the beats wait in the page and are accepted as one batch.
    tab.route("**/heartbeats", lambda route: route.abort("internetdisconnected"))
    cut_at = _credited(client, token)
    tab.wait_for_selector("#credit-why:has-text('网络中断')", timeout=40_000)
    tab.set_viewport_size({"width": 390, "height": 844})
    screenshot(tab, "portal-player-offline-390")
    tab.wait_for_timeout(60_000)
    assert _credited(client, token) == cut_at  # nothing arrived while cut
    tab.unroute("**/heartbeats")
    tab.wait_for_selector("#credit-state:has-text('正在计时')", timeout=40_000)
    batches = [(b, s) for b, s in beats if "beats" in b]
    assert batches and batches[-1][1] == 200, batches
    assert len(batches[-1][0]["beats"]) >= 2
    restored = _settled(tab, client, token)
    assert restored >= cut_at + 50, (cut_at, restored)
    # The page's figure and the server's agree.
    shown = tab.inner_text("#lesson-credit")
    assert shown.startswith(f"{restored // 60} 分"), (shown, restored)

    # Leaving the lesson checks out: the credit is kept.
    _leave(tab, base, world)
    final = _settled(tab, client, token)
    assert final >= restored
    assert "上次看到" in tab.inner_text(f"[data-lesson='{world.video.id}']")


def test_attention_check_answered_in_the_dialog_then_superseded_by_the_phone(
    live_server, portal_page, make, app, wechat_simulator, drainer
):
    world = build(make, checks=True, mobile="13800138112")
    world.project.attention_check_interval_s = 1  # due at the first beat
    make.session.commit()
    tab, base, client = portal_page, live_server, app.test_client()
    tab.set_viewport_size({"width": 390, "height": 844})
    scan_sign_in(tab, base, client, wechat_simulator, world, shot="portal-signin-390")
    _open_lesson(tab, base, world, world.video)

    dialog = tab.wait_for_selector(".dialog", timeout=45_000)
    assert "随机弹题" in dialog.inner_text()
    tab.wait_for_selector("#credit-why:has-text('请先回答随机弹题')")
    screenshot(tab, "portal-attention-390")
    code = re.search(r"\d{4}", tab.inner_text(".dialog .prompt")).group(0)
    tab.fill(".dialog input[name=answer]", code)
    tab.click(".dialog button:has-text('提交答案')")
    tab.wait_for_selector(".dialog", state="detached", timeout=10_000)
    tab.wait_for_selector("#credit-state:has-text('正在计时')")

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        db.session.expire_all()
        checks = db.session.query(AttentionCheck).all()
        if checks and checks[0].outcome.value == "passed":
            break
        time.sleep(0.5)
    assert checks and checks[0].outcome.value == "passed", [c.outcome for c in checks]

    # The phone checks in to the lesson: the computer's next beat learns it was superseded (409).
    tab.allowed_failures.append("/heartbeats")
    phone = make.auth(world.trainee)
    response = client.post(
        f"/api/v1/lessons/{world.video.id}/sessions",
        json={"client_ts": int(time.time() * 1000), "device": "iPhone 15"},
        headers=phone,
    )
    assert response.status_code == 201, response.get_json()
    tab.wait_for_selector("#credit-why:has-text('你已在另一台设备上开始学习')", timeout=40_000)
    assert tab.evaluate("document.querySelector('video').paused")
    screenshot(tab, "portal-superseded-390")
    tab.goto(f"{base}/learn/#/projects/{world.project.id}")
    tab.wait_for_selector(f"[data-lesson='{world.video.id}']")


def test_face_check_shown_as_a_code_and_passed_on_the_phone(
    live_server, portal_page, make, app, wechat_simulator
):
    world = build(make, mobile="13800138113")
    world.project.face_check_at_check_in = "every_session"
    make.session.commit()
    tab, base, client = portal_page, live_server, app.test_client()
    scan_sign_in(tab, base, client, wechat_simulator, world)
    _open_face_check(tab, base, world)
    screenshot(tab, "portal-face-check-1366")
    check = db.session.query(FaceCheck).one()
    # The phone scans the code (scene fc=<id>), runs wx.requestFacialVerify and reports.
    wechat_simulator.face.complete(check.verify_id, 10000)
    phone = make.auth(world.trainee)
    response = client.post(f"/api/v1/face-checks/{check.id}/result", headers=phone)
    assert response.get_json()["passed"] is True
    tab.wait_for_selector(".dialog", state="detached", timeout=10_000)
    tab.wait_for_selector("#credit-state:has-text('正在计时')")
    _leave(tab, base, world)


def _open_face_check(tab, base, world):
    tab.goto(f"{base}/learn/#/projects/{world.project.id}/lessons/{world.video.id}")
    tab.click("#start:has-text('开始学习')")
    dialog = tab.wait_for_selector(".dialog:has-text('人脸核身')")
    assert "请用微信扫描下方小程序码" in dialog.inner_text()
    tab.wait_for_selector("#credit-why:has-text('请先完成人脸核身')")
    until(lambda: tab.evaluate("document.querySelector('.dialog img').naturalWidth") > 0)
