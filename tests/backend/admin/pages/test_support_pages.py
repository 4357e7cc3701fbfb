"""The support inbox: threads per project, the navigation's count, reply with a WeChat notice."""

from __future__ import annotations

import re

import pytest

from backend.extensions import db
from backend.models import Role, SupportMessage
from backend.services.support.notice import retry_failed_notices
from tests.backend.admin.pages import world as w

SUBSCRIBE = "cgi-bin/message/subscribe/send"


def _ask(client, make, trainee, subject="证书什么时候发？", body="请问结业证书何时发放"):
    response = client.post(
        "/api/v1/support/threads",
        json={"subject": subject, "body": body},
        headers=make.auth(trainee),
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def _sent_to(simulator, openid, since: int = 0):
    """Messages the simulator recorded for ``openid`` (it lives for the whole test run)."""
    return [m for m in simulator.sent_messages[since:] if m["touser"] == openid]


def test_inbox_counts_and_reply_sends_a_subscribe_message(
    client, make, admin_login, wechat_simulator
):
    world = w.build(make)
    other = make.project(world.a, name="另一个项目")
    loner = make.trainee(world.a, name="王五")
    make.enrol(loner, other)
    make.session.commit()
    thread_id = _ask(client, make, world.trainee)
    _ask(client, make, loner, subject="登录不了")
    admin_login(make.admin(Role.ENTERPRISE_ADMIN, enterprise=world.a))
    before = len(wechat_simulator.sent_messages)

    inbox = client.get("/admin/support").get_data(as_text=True)
    assert re.search(r'id="nav-support">在线支持<span class="nav-count"[^>]*>2</span>', inbox)
    assert "证书什么时候发？" in inbox and "登录不了" in inbox
    per_project = client.get(f"/admin/support?project={world.project.id}").get_data(as_text=True)
    assert "证书什么时候发？" in per_project and "登录不了" not in per_project
    assert "待回复 1" in per_project, re.findall("awaiting-count.{0,40}", per_project)

    page = client.get(f"/admin/support/{thread_id}").get_data(as_text=True)
    assert "请问结业证书何时发放" in page
    empty = client.post(f"/admin/support/{thread_id}/reply", data={"csrf_token": _csrf(page)})
    assert empty.status_code == 422 and "请填写回复内容" in empty.get_data(as_text=True)
    response = client.post(
        f"/admin/support/{thread_id}/reply",
        data={"csrf_token": _csrf(page), "body": "<b>结业后</b>七个工作日内发放"},
    )
    assert response.status_code == 302
    shown = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已通过微信通知学员" in shown
    assert "&lt;b&gt;结业后&lt;/b&gt;" in shown  # text, never markup
    sent = _sent_to(wechat_simulator, world.trainee.wx_openid, before)
    assert len(sent) == 1
    assert sent[0]["data"]["thing1"]["value"] == "证书什么时候发？"
    assert sent[0]["data"]["thing2"]["value"].startswith("<b>结业后</b>七个")
    assert sent[0]["page"] == f"pages/support/thread?id={thread_id}"
    nav = client.get("/admin/support").get_data(as_text=True)
    assert re.search(r'id="nav-support">在线支持<span class="nav-count"[^>]*>1</span>', nav)

    closed = client.post(f"/admin/support/{thread_id}/close", data={"csrf_token": _csrf(shown)})
    assert closed.status_code == 302
    assert "该问题已关闭" in client.get(closed.headers["Location"]).get_data(as_text=True)


def test_a_failed_send_keeps_the_reply_and_is_retried(client, make, admin_login, wechat_simulator):
    world = w.build(make)
    thread_id = _ask(client, make, world.trainee)
    admin_login(make.admin(Role.OPERATOR))
    page = client.get(f"/admin/support/{thread_id}").get_data(as_text=True)
    before = len(wechat_simulator.sent_messages)
    wechat_simulator.fail_next(SUBSCRIBE, -1, "system busy")
    response = client.post(
        f"/admin/support/{thread_id}/reply", data={"csrf_token": _csrf(page), "body": "稍后答复"}
    )
    assert response.status_code == 302
    assert "微信通知发送失败，稍后重试" in client.get(response.headers["Location"]).get_data(
        as_text=True
    )
    message = db.session.query(SupportMessage).filter_by(body="稍后答复").one()
    assert (message.notify_status, message.notify_attempts) == ("failed", 1)
    assert _sent_to(wechat_simulator, world.trainee.wx_openid, before) == []

    assert retry_failed_notices() == 1
    db.session.commit()
    assert message.notify_status == "sent"
    assert len(_sent_to(wechat_simulator, world.trainee.wx_openid, before)) == 1
    assert retry_failed_notices() == 0


def test_unbound_trainee_gets_no_notice(client, make, admin_login, wechat_simulator):
    world = w.build(make)
    thread_id = _ask(client, make, world.unbound)
    admin_login(make.admin(Role.ENTERPRISE_ADMIN, enterprise=world.a))
    page = client.get(f"/admin/support/{thread_id}").get_data(as_text=True)
    before = len(wechat_simulator.sent_messages)
    client.post(f"/admin/support/{thread_id}/reply", data={"csrf_token": _csrf(page), "body": "好"})
    assert "学员未绑定微信，未发送通知" in client.get(f"/admin/support/{thread_id}").get_data(
        as_text=True
    )
    assert len(wechat_simulator.sent_messages) == before


@pytest.mark.parametrize("role", w.ROLES)
def test_access_and_read_only_reviewer(role, client, make, admin_login):
    world = w.build(make)
    thread_id = _ask(client, make, world.trainee)
    token = w.sign_in(role, world, make, admin_login, client)
    expected = {"operator": 200, "hr_a": 200, "hr_b": 404, "reviewer": 200, "anon": 302}[role]
    page = client.get(f"/admin/support/{thread_id}")
    assert page.status_code == expected
    assert client.get("/admin/support").status_code == (302 if role == "anon" else 200)
    if expected == 200:
        html = page.get_data(as_text=True)
        assert ("发送回复" in html) is (role != "reviewer")
        assert ("关闭问题" in html) is (role != "reviewer")
    reply = client.post(
        f"/admin/support/{thread_id}/reply", data={"csrf_token": token, "body": "x"}
    )
    assert reply.status_code == {"reviewer": 403, "hr_b": 404, "anon": 302}.get(role, 302)
