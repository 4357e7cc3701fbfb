"""Matrices generated from the kernel's tables, asserted through HTTP: every view that carries
``required_permission`` × every role, every id-taking view × another enterprise's admin, and
every project status × the trainee activities."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from backend.kernel.lifecycle import ALLOWED, Activity, ensure
from backend.kernel.permissions import ROLE_PERMISSIONS, Permission
from backend.models import FaceCheck, FaceCheckTrigger, ProjectStatus, Role
from backend.services.support import threads as support
from tests.learning_driver import Learner, enrolled

PARAM = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")
DEFAULTS = {"kind": "roster", "fmt": "csv", "import_id": "nope", "filename": "x"}


@pytest.fixture
def world(make):
    """Enterprise A with one of everything, enterprise B, and an admin of each kind."""
    a, b = make.enterprise(name="甲企业"), make.enterprise(name="乙企业")
    project = make.project(a)
    course = make.course(project)
    lesson = make.lesson(course)
    question = make.question(course)
    trainee = make.trainee(a)
    make.enrol(trainee, project)
    quiz = make.quiz(project)
    thread = support.create_thread(trainee, "无法播放", "第二课节视频打不开")
    admins = {
        Role.OPERATOR: make.admin(Role.OPERATOR),
        Role.ENTERPRISE_ADMIN: make.admin(Role.ENTERPRISE_ADMIN, enterprise=a),
        Role.REVIEWER: make.admin(Role.REVIEWER),
        "other": make.admin(Role.ENTERPRISE_ADMIN, enterprise=b),
    }
    make.session.commit()
    ids = {
        "project_id": project.id,
        "enterprise_id": a.id,
        "course_id": course.id,
        "lesson_id": lesson.id,
        "question_id": question.id,
        "trainee_id": trainee.id,
        "quiz_id": quiz.id,
        "thread_id": thread.id,
        "admin_id": admins[Role.ENTERPRISE_ADMIN].id,
    }
    return admins, ids


def _guarded_views(app):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        permission = getattr(app.view_functions[rule.endpoint], "required_permission", None)
        if permission is not None:
            yield rule, permission


def _url(rule, ids) -> str | None:
    def fill(match):
        name = match.group(2)
        value = ids.get(name, DEFAULTS.get(name))
        if value is None:
            raise LookupError(name)
        return str(value)

    try:
        return PARAM.sub(fill, rule.rule)
    except LookupError:
        return None


def _call(client, rule, url, csrf):
    methods = rule.methods - {"HEAD", "OPTIONS"}
    if "GET" in methods:
        return client.get(url)
    method = sorted(methods)[0].lower()
    if url.startswith("/api/"):
        return getattr(client, method)(url, json={}, headers={"X-CSRFToken": csrf})
    return getattr(client, method)(url, data={"csrf_token": csrf})


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.ENTERPRISE_ADMIN, Role.REVIEWER])
def test_role_by_permission_through_http(app, client, world, admin_login, role):
    admins, ids = world
    csrf = admin_login(admins[role])
    checked = 0
    for rule, permission in _guarded_views(app):
        url = _url(rule, ids)
        if url is None:
            continue
        response = _call(client, rule, url, csrf)
        allowed = permission in ROLE_PERMISSIONS[role]
        where = (rule.rule, permission.value, response.status_code)
        assert response.status_code < 500, where
        if allowed:
            assert response.status_code != 403 or _json_code(response) != "forbidden", where
        else:
            assert response.status_code == 403, where
        response.close()  # as a WSGI server does: releases a streamed download
        checked += 1
    assert checked >= 40


def _json_code(response):
    body = response.get_json(silent=True) or {}
    return body.get("error", {}).get("code")


def test_another_enterprises_objects_are_404_through_http(app, client, world, admin_login):
    admins, ids = world
    csrf = admin_login(admins["other"])
    mine = ROLE_PERMISSIONS[Role.ENTERPRISE_ADMIN]
    checked = 0
    for rule, permission in _guarded_views(app):
        if permission not in mine or "<id:" not in rule.rule:
            continue
        url = _url(rule, ids)
        if url is None:
            continue
        response = _call(client, rule, url, csrf)
        # 404; or 415/422 where the (empty) body is refused before the object is looked up.
        assert response.status_code in (404, 415, 422), (rule.rule, response.status_code)
        response.close()
        checked += 1
    assert checked >= 20


ANSWERS = "/api/v1/attempts/<id:attempt_id>/answers"
# A valid body per trainee route, so the lookup (not the body check) answers.
TRAINEE_BODIES = {
    "/api/v1/lessons/<id:lesson_id>/sessions": {"client_ts": 1772413200000, "device": "x"},
    "/api/v1/sessions/<id:session_id>/heartbeats": {
        "seq": 2,
        "client_ts": 1772413230000,
        "position_s": 30,
        "playing": True,
    },
    "/api/v1/sessions/<id:session_id>/end": {"position_s": 30},
    "/api/v1/support/threads/<id:thread_id>/messages": {"body": "还是打不开"},
    "/api/v1/projects/<id:project_id>/evaluation": {
        "overall": 5,
        "content": 5,
        "teaching": 5,
        "platform": 5,
    },
}


def test_another_enterprises_trainee_gets_404_through_http(app, client, make, frozen_clock):
    """Every trainee route taking an id, called by a trainee of another enterprise (enrolled in
    a project of their own) with the objects of enterprise A's trainee: 404, never a leak."""
    project, lesson, owner = enrolled(make, attention_checks_enabled=False)
    quiz = make.quiz(project)
    question = make.question(lesson.course)
    make.session.commit()
    me = Learner(client, make, owner)
    session_id = me.check_in(lesson)["session_id"]
    attempt = client.post(f"/api/v1/quizzes/{quiz.id}/attempts", headers=me.headers)
    assert attempt.status_code in (200, 201), attempt.get_json()
    thread = support.create_thread(owner, "无法播放", "第二课节视频打不开")
    check = FaceCheck(
        trainee_id=owner.id,
        project_id=project.id,
        session_id=session_id,
        trigger=FaceCheckTrigger.CHECK_IN,
        out_seq_no="sg-http-matrix",
        verify_id="v",
        issued_at=frozen_clock.now(),
        expires_at=frozen_clock.now() + timedelta(minutes=5),
    )
    make.session.add(check)
    _, _, stranger = enrolled(make)
    make.session.commit()
    ids = {
        "project_id": project.id,
        "lesson_id": lesson.id,
        "quiz_id": quiz.id,
        "attempt_id": attempt.get_json()["id"],
        "session_id": session_id,
        "thread_id": thread.id,
        "check_id": check.id,
    }
    bodies = {
        **TRAINEE_BODIES,
        ANSWERS: {"answers": [{"question_id": question.id, "letters": "A"}]},
    }
    headers = make.auth(stranger)
    checked = set()
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.rule.startswith("/api/v1/") or "<id:" not in rule.rule:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            body = bodies.get(rule.rule) if method == "POST" else None
            response = client.open(_url(rule, ids), method=method, json=body, headers=headers)
            assert response.status_code == 404, (method, rule.rule, response.get_json())
            checked.add(PARAM.search(rule.rule).group(2))
    # Every kind of id a trainee route takes was tried.
    assert checked == set(ids)
    # And the owner still has all of it: the ids were real.
    assert (
        client.get(f"/api/v1/attempts/{ids['attempt_id']}", headers=me.headers).status_code == 200
    )
    assert client.get(f"/api/v1/support/threads/{thread.id}", headers=me.headers).status_code == 200


TRAINEE_CALLS = {
    Activity.LEARN: lambda client, me, lesson, quiz, project: client.post(
        f"/api/v1/lessons/{lesson.id}/sessions",
        json={"client_ts": me.client_ts(), "device": "iPhone"},
        headers=me.headers,
    ),
    Activity.TAKE_QUIZ: lambda client, me, lesson, quiz, project: client.post(
        f"/api/v1/quizzes/{quiz.id}/attempts", headers=me.headers
    ),
    Activity.EVALUATE: lambda client, me, lesson, quiz, project: client.post(
        f"/api/v1/projects/{project.id}/evaluation",
        json={"overall": 5, "content": 5, "teaching": 5, "platform": 5},
        headers=me.headers,
    ),
}


@pytest.mark.parametrize("status", list(ProjectStatus))
@pytest.mark.parametrize("activity", list(TRAINEE_CALLS))
def test_status_by_activity_through_http(client, make, frozen_clock, status, activity):
    project, lesson, trainee = enrolled(make, status=status, attention_checks_enabled=False)
    make.question(lesson.course)
    quiz = make.quiz(project)
    make.session.commit()
    me = Learner(client, make, trainee)
    response = TRAINEE_CALLS[activity](client, me, lesson, quiz, project)
    if activity in ALLOWED[status]:
        assert response.status_code in (200, 201), response.get_json()
    else:
        assert response.status_code == 409, response.get_json()
        with pytest.raises(Exception) as refusal:
            ensure(project, activity)
        assert response.get_json()["error"]["code"] == refusal.value.code


def test_every_permission_is_held_by_someone():
    held = set().union(*ROLE_PERMISSIONS.values())
    assert held == set(Permission)
