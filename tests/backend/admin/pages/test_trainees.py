"""The trainee table (search, filters, sort, pages, masking) and the trainee page's actions."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from backend.models import (
    ActivationCode,
    AttentionCheck,
    AuditLog,
    CheckKind,
    CheckOutcome,
    Evaluation,
    Quiz,
    QuizAttempt,
    QuizKind,
)
from backend.services.accounts import tokens
from tests.backend.admin.pages import world as w


def _names(page: str) -> list[str]:
    return re.findall(r'/admin/trainees/\d+\?project=\d+">([^<]+)</a>', page)


def _roster(make, world, count: int = 5):
    """Trainees 学员A.. with 0, 1, 2, … class hours; the last one passed the assessment."""
    trainees = []
    start = datetime(2026, 3, 3, 1, 0, tzinfo=UTC)
    for n in range(count):
        name = f"学员{chr(65 + n)}"
        trainee = make.trainee(world.a, name=name, account=f"acct{n}", roster_seq=10 + n)
        make.enrol(trainee, world.project)
        if n:
            w.add_span(make, trainee, world.project, start + timedelta(days=n), 45 * n)
        trainees.append(trainee)
    quiz = Quiz(project_id=world.project.id, title="结业考核", kind=QuizKind.ASSESSMENT)
    make.session.add(quiz)
    make.session.flush()
    make.session.add(
        QuizAttempt(
            quiz_id=quiz.id,
            trainee_id=trainees[-1].id,
            question_ids=[],
            option_orders={},
            submitted_at=start,
            score=90,
            passed=True,
        )
    )
    make.session.commit()
    return trainees


def test_table_search_filter_sort_and_pages(client, make, admin_login):
    world = w.build(make, span_minutes=0)
    world.project.planned_class_hours = 3
    trainees = _roster(make, world)
    w.sign_in("hr_a", world, make, admin_login, client)
    url = f"/admin/projects/{world.project.id}/trainees"

    page = client.get(url).get_data(as_text=True)
    assert _names(page) == ["张三", "李四", "学员A", "学员B", "学员C", "学员D", "学员E"]
    # Masked personal data only.
    assert "139" in page and "****" in page
    assert "********" in page

    assert _names(client.get(url + "?q=学员c").get_data(as_text=True)) == ["学员C"]
    assert _names(client.get(url + "?q=acct4").get_data(as_text=True)) == ["学员E"]
    mobile = "1390" + f"{0:07d}"  # not on the roster
    assert _names(client.get(url + f"?q={mobile}").get_data(as_text=True)) == []
    assert _names(client.get(url + "?q=%25").get_data(as_text=True)) == []

    def names(status):
        return _names(client.get(f"{url}?status={status}").get_data(as_text=True))

    assert names("not_started") == ["张三", "李四", "学员A"]
    assert names("in_progress") == ["学员B", "学员C"]
    assert names("reached") == ["学员D", "学员E"]
    assert names("passed") == ["学员E"]

    by_hours = _names(client.get(url + "?sort=credited&dir=desc").get_data(as_text=True))
    assert by_hours[:4] == ["学员E", "学员D", "学员C", "学员B"]
    by_last = _names(client.get(url + "?sort=last&dir=asc").get_data(as_text=True))
    assert by_last[:4] == ["学员B", "学员C", "学员D", "学员E"]
    by_name = _names(client.get(url + "?sort=name&dir=asc").get_data(as_text=True))
    assert by_name[:5] == ["学员A", "学员B", "学员C", "学员D", "学员E"]
    assert _names(client.get(url + "?sort=passed&dir=desc").get_data(as_text=True))[0] == "学员E"
    assert _names(client.get(url + "?bound=1").get_data(as_text=True)) == ["张三"]
    assert "张三" not in _names(client.get(url + "?bound=0").get_data(as_text=True))

    # Bad parameters fall back to defaults instead of failing.
    response = client.get(url + "?sort=drop&dir=sideways&page=x&status=zzz&per_page=7")
    assert response.status_code == 200 and len(_names(response.get_data(as_text=True))) == 7
    assert len(trainees) == 5


def test_table_pages_on_the_server(client, make, admin_login):
    world = w.build(make, span_minutes=0)
    for n in range(45):
        make.enrol(make.trainee(world.a, name=f"批量{n:02d}", roster_seq=100 + n), world.project)
    make.session.commit()
    w.sign_in("operator", world, make, admin_login, client)
    url = f"/admin/projects/{world.project.id}/trainees"
    first = client.get(url).get_data(as_text=True)
    assert len(_names(first)) == 20 and "第 1 / 3 页，共 47 条" in first
    last = client.get(url + "?page=3").get_data(as_text=True)
    assert _names(last) == ["批量38", "批量39", "批量40", "批量41", "批量42", "批量43", "批量44"]
    beyond = client.get(url + "?page=99").get_data(as_text=True)
    assert "第 3 / 3 页" in beyond
    assert len(_names(client.get(url + "?per_page=50").get_data(as_text=True))) == 47


def test_trainee_page_shows_sessions_spans_devices(client, make, admin_login):
    world = w.build(make)
    session = w.add_span(
        make, world.trainee, world.project, datetime(2026, 3, 4, 1, tzinfo=UTC), 20, "华为平板"
    )
    make.session.add(
        AttentionCheck(
            session_id=session.id,
            trainee_id=world.trainee.id,
            kind=CheckKind.CODE,
            expected="4321",
            issued_at=datetime(2026, 3, 4, 1, 10, tzinfo=UTC),
            expires_at=datetime(2026, 3, 4, 1, 12, tzinfo=UTC),
            outcome=CheckOutcome.EXPIRED,
        )
    )
    quiz = Quiz(project_id=world.project.id, title="结业考核", kind=QuizKind.ASSESSMENT)
    make.session.add(quiz)
    make.session.flush()
    make.session.add(
        QuizAttempt(
            quiz_id=quiz.id,
            trainee_id=world.trainee.id,
            question_ids=[],
            option_orders={},
            submitted_at=datetime(2026, 3, 5, tzinfo=UTC),
            score=55,
            passed=False,
        )
    )
    make.session.add(
        Evaluation(
            project_id=world.project.id,
            trainee_id=world.trainee.id,
            overall=4,
            content=5,
            teaching=4,
            platform=3,
            comment="视频清晰",
        )
    )
    make.session.commit()
    w.sign_in("reviewer", world, make, admin_login, client)
    page = client.get(f"/admin/trainees/{world.trainee.id}").get_data(as_text=True)
    assert "iPhone 15" in page and "华为平板" in page and "学习记录" in page
    assert "超时未答" in page and "超时 1" in page
    assert "结业考核" in page and "55" in page and "未通过" in page
    assert "视频清晰" in page
    assert "1小时40分" in page  # the 100-minute span
    assert "********" in page
    # Reviewers read but get no buttons.
    for action in ("reveal-id", "unbind", "activation-code"):
        assert f"/{action}" not in page


def test_reveal_id_number_is_audited(client, make, admin_login):
    world = w.build(make)
    token = w.sign_in("hr_a", world, make, admin_login, client)
    page = client.get(f"/admin/trainees/{world.trainee.id}").get_data(as_text=True)
    assert "/reveal-id" in page
    url = f"/admin/trainees/{world.trainee.id}/reveal-id"
    response = client.post(url, data={"csrf_token": token})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    full = re.search(r'id="id-number">([0-9X]{18})<', response.get_data(as_text=True)).group(1)
    assert "*" not in full
    [entry] = make.session.scalars(
        select(AuditLog).where(AuditLog.action == "pii.reveal_id_number")
    ).all()
    assert entry.object_id == world.trainee.id and entry.enterprise_id == world.a.id
    assert entry.actor_kind == "admin" and entry.actor_id is not None
    assert entry.ip == "127.0.0.1" and entry.at is not None


def test_unbind_revokes_tokens_and_is_audited(client, make, admin_login):
    world = w.build(make)
    bearer = make.token(world.trainee)
    token = w.sign_in("operator", world, make, admin_login, client)
    response = client.post(f"/admin/trainees/{world.trainee.id}/unbind", data={"csrf_token": token})
    assert response.status_code == 302
    make.session.refresh(world.trainee)
    assert world.trainee.wx_openid is None and world.trainee.bound_at is None
    assert tokens.resolve_token(bearer) is None
    entry = make.session.scalar(select(AuditLog).where(AuditLog.action == "trainee.wechat_unbound"))
    assert entry.object_id == world.trainee.id
    again = client.post(f"/admin/trainees/{world.trainee.id}/unbind", data={"csrf_token": token})
    assert again.status_code == 409


def test_activation_code_is_shown_once_and_stored_hashed(client, make, admin_login):
    world = w.build(make)
    token = w.sign_in("hr_a", world, make, admin_login, client)
    page = client.get(f"/admin/trainees/{world.unbound.id}").get_data(as_text=True)
    assert "/activation-code" in page and "/unbind" not in page
    url = f"/admin/trainees/{world.unbound.id}/activation-code"
    posted = client.post(url, data={"csrf_token": token})
    # POST-redirect-GET: the code is shown by the GET it redirects to.
    assert posted.status_code == 302
    response = client.get(posted.headers["Location"])
    assert response.headers["Cache-Control"] == "no-store"
    pattern = r'id="activation-code">([A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4})<'
    code = re.search(pattern, response.get_data(as_text=True)).group(1)
    # Reloading that page neither shows the code again nor issues (and silently cancels) one.
    reloaded = client.get(posted.headers["Location"]).get_data(as_text=True)
    assert code not in reloaded and "激活码只显示一次" in reloaded
    assert make.session.scalar(select(func.count(ActivationCode.id))) == 1
    stored = make.session.scalar(select(ActivationCode))
    assert code.replace("-", "") not in stored.code_hash
    entry = make.session.scalar(
        select(AuditLog).where(AuditLog.action == "trainee.activation_code_issued")
    )
    assert entry.detail["activation_code_id"] == stored.id
    assert code.replace("-", "") not in str(entry.detail)
    # Shown once: the trainee page does not show it again.
    again = client.get(f"/admin/trainees/{world.unbound.id}").get_data(as_text=True)
    assert code not in again
    # A bound trainee gets no code (unbind first).
    bound = client.post(
        f"/admin/trainees/{world.trainee.id}/activation-code", data={"csrf_token": token}
    )
    assert bound.status_code == 409


def test_time_outside_the_project_dates_does_not_count(client, make, admin_login):
    world = w.build(make, span_minutes=0)
    early = make.trainee(world.a, name="提前学", roster_seq=50)
    make.enrol(early, world.project)
    w.add_span(make, early, world.project, datetime(2026, 2, 20, 1, tzinfo=UTC), 500)
    make.session.commit()
    w.sign_in("hr_a", world, make, admin_login, client)
    url = f"/admin/projects/{world.project.id}/trainees"
    assert "提前学" in _names(client.get(url + "?status=not_started").get_data(as_text=True))
    assert _names(client.get(url + "?status=reached").get_data(as_text=True)) == []


def test_table_links_ignore_path_and_url_for_names_in_the_query(client, make, admin_login):
    world = w.build(make)
    w.sign_in("hr_a", world, make, admin_login, client)
    query = "project_id=999&_external=1&_scheme=javascript&_anchor=x&q=张"
    response = client.get(f"/admin/projects/{world.project.id}/trainees?{query}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    links = re.findall(r'href="([^"]*sort=[^"]*)"', page)
    assert links and all(
        link.startswith(f"/admin/projects/{world.project.id}/trainees?") for link in links
    )
    assert not any("999" in link or "_anchor" in link or "#" in link for link in links)
