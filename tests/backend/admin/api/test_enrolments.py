"""Enrolling people already on the roster: the API, a second roster import, withdrawal."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from backend.models import AuditLog, Enrolment, ProjectStatus, Role, Trainee
from tests import rosters
from tests.factories import mobile
from tests.learning_driver import Learner

LONG = 40 * 2700


@pytest.fixture
def company(make):
    return make.enterprise(name="甲企业")


@pytest.fixture
def hr(make, company, admin_login):
    admin = make.admin(Role.ENTERPRISE_ADMIN, enterprise=company)
    make.session.commit()
    return admin, admin_login(admin)


def _enrol(client, csrf, project_id, ids):
    return client.post(
        f"/api/admin/projects/{project_id}/enrolments",
        json={"trainee_ids": ids},
        headers={"X-CSRFToken": csrf},
    )


def _import(client, csrf, project_id, data, accept_rows=None):
    preview = client.post(
        f"/api/admin/projects/{project_id}/roster-imports",
        data={"file": (io.BytesIO(data), "roster.csv")},
        headers={"X-CSRFToken": csrf},
        content_type="multipart/form-data",
    )
    assert preview.status_code == 200, preview.get_json()
    body = preview.get_json()
    assert body["ok"], body
    done = client.post(
        f"/api/admin/roster-imports/{body['import_id']}/confirm",
        json={"accept_rows": accept_rows or []},
        headers={"X-CSRFToken": csrf},
    )
    assert done.status_code == 201, done.get_json()
    return body, done.get_json()


def _enrolments(make, trainee_id):
    return make.session.scalars(
        select(Enrolment.project_id).where(Enrolment.trainee_id == trainee_id)
    ).all()


def test_enrol_existing_trainees_counts_new_and_already(client, make, company, hr):
    _admin, csrf = hr
    first, second = make.project(company), make.project(company)
    a, b = make.trainee(company), make.trainee(company)
    make.enrol(a, first)
    make.enrol(a, second)
    make.session.commit()
    response = _enrol(client, csrf, second.id, [a.id, b.id, b.id])
    assert response.status_code == 201, response.get_json()
    assert response.get_json() == {"enrolled": 1, "already": 1}
    assert sorted(_enrolments(make, b.id)) == [second.id]
    entry = make.session.scalars(select(AuditLog).where(AuditLog.action == "enrolment.enrol")).one()
    assert entry.detail["trainee_ids"] == [b.id]


def test_another_enterprises_trainee_is_404_and_nothing_is_enrolled(client, make, company, hr):
    _admin, csrf = hr
    project = make.project(company)
    mine, theirs = make.trainee(company), make.trainee(make.enterprise())
    make.session.commit()
    response = _enrol(client, csrf, project.id, [mine.id, theirs.id])
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"
    assert _enrolments(make, mine.id) == []
    # Another enterprise's project is 404 too.
    elsewhere = make.project(make.enterprise())
    make.session.commit()
    assert _enrol(client, csrf, elsewhere.id, [mine.id]).status_code == 404


def test_closed_project_refuses_enrolment_by_the_lifecycle_table(client, make, company, hr):
    _admin, csrf = hr
    project = make.project(company, status=ProjectStatus.CLOSED)
    trainee = make.trainee(company)
    make.session.commit()
    response = _enrol(client, csrf, project.id, [trainee.id])
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "project_closed"


def test_bad_bodies_and_reviewers_are_refused(client, make, company, admin_login):
    project = make.project(company)
    trainee = make.trainee(company)
    reviewer = make.admin(Role.REVIEWER)
    make.session.commit()
    csrf = admin_login(reviewer)
    assert _enrol(client, csrf, project.id, [trainee.id]).status_code == 403
    operator = make.admin(Role.OPERATOR)
    make.session.commit()
    csrf = admin_login(operator)
    for body in ({"trainee_ids": []}, {"trainee_ids": ["x"]}, {}, {"trainee_ids": [0]}):
        response = client.post(
            f"/api/admin/projects/{project.id}/enrolments",
            json=body,
            headers={"X-CSRFToken": csrf},
        )
        assert response.status_code == 422, body


def test_same_roster_into_two_projects_enrols_everyone_twice_and_the_cap_spans_both(
    client, make, company, hr, frozen_clock
):
    """The same staff in every project: one person, two enrolments, one yearly cap."""
    _admin, csrf = hr
    projects = [
        make.project(company, planned_class_hours=40, attention_checks_enabled=False)
        for _ in range(2)
    ]
    lessons = [make.lesson(make.course(p), duration_s=LONG) for p in projects]
    make.session.commit()
    data = rosters.csv_bytes([rosters.person(1), rosters.person(2, "female")])

    _, first = _import(client, csrf, projects[0].id, data)
    assert first["created"] == 2
    preview, second = _import(client, csrf, projects[1].id, data)
    assert preview["existing"] == 2 and preview["differences"] == []
    assert (second["created"], second["enrolled"], second["already"]) == (0, 2, 0)
    assert make.session.scalar(select(func.count(Trainee.id))) == 2
    for trainee_id in first["trainee_ids"]:
        assert sorted(_enrolments(make, trainee_id)) == sorted(p.id for p in projects)

    # Importing it a third time changes nothing.
    _, third = _import(client, csrf, projects[1].id, data)
    assert (third["created"], third["enrolled"], third["already"]) == (0, 0, 2)

    trainee = make.session.get(Trainee, first["trainee_ids"][0])
    me = Learner(client, make, trainee)
    for lesson in lessons:
        me.check_in(lesson)
        me.play(2700)
        me.end()
    hours = me.hours()
    assert [p["class_hours"] for p in hours["projects"]] == [1, 1]
    assert hours["years"] == [{"year": 2026, "class_hours": 2, "subsidy_fen": 6000}]

    # 20 more class hours in each project: 42 hours would be 1260 元, the cap is 1000 元.
    for n, lesson in enumerate(lessons):
        make.learning(trainee, lesson, datetime(2026, 3, 10 + n, 1, tzinfo=UTC), 20 * 2700)
    make.session.commit()
    hours = me.hours()
    assert [p["class_hours"] for p in hours["projects"]] == [21, 21]
    assert hours["years"] == [{"year": 2026, "class_hours": 42, "subsidy_fen": 100000}]


def test_differences_are_shown_and_applied_only_when_accepted(client, make, company, hr):
    admin, csrf = hr
    first, second, third = (make.project(company) for _ in range(3))
    make.session.commit()
    _import(client, csrf, first.id, rosters.csv_bytes([rosters.person(1), rosters.person(2)]))
    changed = rosters.csv_bytes(
        [
            rosters.person(1, name="新名字", mobile=mobile(5551)),
            rosters.person(2, name="另一个名字"),
        ]
    )
    preview, done = _import(client, csrf, second.id, changed)
    by_row = {}
    for d in preview["differences"]:
        by_row.setdefault(d["row"], []).append(d)
    assert sorted(d["column"] for d in by_row[2]) == ["姓名", "手机号码"]
    mobile_diff = next(d for d in by_row[2] if d["column"] == "手机号码")
    assert mobile_diff["incoming"] == "139****5551" and "*" in mobile_diff["current"]
    assert done["updated"] == 0  # nothing accepted: nothing overwritten
    names = make.session.scalars(select(Trainee.name).order_by(Trainee.id)).all()
    assert names == ["导入学员1", "导入学员2"]

    _, done = _import(client, csrf, third.id, changed, accept_rows=[2])
    assert done["updated"] == 1
    make.session.expire_all()
    names = make.session.scalars(select(Trainee.name).order_by(Trainee.id)).all()
    assert names == ["新名字", "导入学员2"]
    entry = make.session.scalars(select(AuditLog).where(AuditLog.action == "trainee.edit")).one()
    assert entry.actor_id == admin.id and entry.detail["source"] == "roster_import"
    assert entry.detail["changes"]["mobile"]["new"] == "139****5551"
    assert mobile(5551) not in str(entry.detail)


def test_withdraw_removes_an_untouched_enrolment_and_keeps_one_with_credit(
    client, make, company, hr, frozen_clock
):
    _admin, csrf = hr
    project = make.project(company, attention_checks_enabled=False)
    lesson = make.lesson(make.course(project))
    idle, learner = make.trainee(company), make.trainee(company)
    make.enrol(idle, project)
    make.enrol(learner, project)
    make.session.commit()
    me = Learner(client, make, learner)
    me.check_in(lesson)
    me.play(600)

    def withdraw(trainee):
        return client.delete(
            f"/api/admin/projects/{project.id}/enrolments/{trainee.id}",
            headers={"X-CSRFToken": csrf},
        )

    assert withdraw(idle).get_json() == {"trainee_id": idle.id, "result": "removed"}
    assert _enrolments(make, idle.id) == []
    assert withdraw(idle).status_code == 404

    response = withdraw(learner)
    assert response.get_json() == {"trainee_id": learner.id, "result": "withdrawn"}
    assert _enrolments(make, learner.id) == [project.id]
    # Mid-lesson: the open session was closed at its last beat, and no new one may start.
    me.beat(expect=409)
    refused = me.check_in(lesson, expect=409)
    assert refused["error"]["code"] == "enrolment_withdrawn"
    assert me.hours()["projects"][0]["credited_s"] == 600  # the figures stay

    # Enrolling again brings the trainee back.
    assert _enrol(client, csrf, project.id, [learner.id]).get_json() == {
        "enrolled": 1,
        "already": 0,
    }
    me.check_in(lesson)
