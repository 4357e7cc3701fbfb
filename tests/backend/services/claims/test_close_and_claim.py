"""Close and claim end to end on the moved clock: the cap across two closed projects, frozen
snapshots, a failed required assessment apart, a city-bound reviewer, the supervision API."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from backend.clock import clock
from backend.models import ClaimLine, CreditedSpan, Quiz, QuizAttempt, QuizKind, Role
from tests.factories import id_number
from tests.learning_driver import Learner

HOUR = 45 * 60


def _project(make, enterprise, **fields):
    fields.setdefault("planned_class_hours", 40)
    fields.setdefault("end_date", date(2026, 6, 30))
    project = make.project(
        enterprise,
        start_date=date(2026, 3, 1),
        attention_checks_enabled=False,
        **fields,
    )
    lesson = make.lesson(make.course(project), duration_s=40 * HOUR)
    return project, lesson


def _learn(client, make, trainee, lesson, minutes):
    """Learn over HTTP: check in, beat every 30 s, check out."""
    learner = Learner(client, make, trainee)
    learner.check_in(lesson)
    for _ in range(minutes * 2):
        clock.advance(30)
        learner.beat()
    learner.end()
    return learner


def _close(client, csrf, project):
    response = client.post(
        f"/api/admin/projects/{project.id}/close", json={}, headers={"X-CSRFToken": csrf}
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _lines(body):
    return {line["name"]: line for line in body["lines"]}


def test_close_and_claim(client, make, admin_login):
    clock.freeze(datetime(2026, 3, 2, 1, 0, tzinfo=UTC))
    shenzhen = make.enterprise(name="深圳甲公司", division="440305")
    guangzhou = make.enterprise(name="广州乙公司", division="440106")
    first, lesson1 = _project(make, shenzhen, name="深圳项目")
    second, lesson2 = _project(make, guangzhou, name="广州项目")
    third, lesson3 = _project(make, shenzhen, name="深圳后续项目", end_date=date(2026, 12, 31))
    same = id_number(4242)
    # One person on the rosters of both enterprises.
    wang_sz = make.trainee(shenzhen, name="王五", id_number=same, roster_seq=1)
    wang_gz = make.trainee(guangzhou, name="王五", id_number=same, roster_seq=1)
    failing = make.trainee(shenzhen, name="赵六", roster_seq=2)
    for trainee, project in (
        (wang_sz, first),
        (wang_gz, second),
        (failing, first),
        (wang_sz, third),
    ):
        make.enrol(trainee, project)
    first.assessment_required = True
    exam = Quiz(project_id=first.id, title="结业考核", kind=QuizKind.ASSESSMENT)
    make.session.add(exam)
    make.session.flush()
    for trainee, passed in ((wang_sz, True), (failing, False)):
        make.session.add(
            QuizAttempt(
                quiz_id=exam.id,
                trainee_id=trainee.id,
                question_ids=[],
                option_orders={},
                submitted_at=clock.now(),
                score=90 if passed else 20,
                passed=passed,
            )
        )

    # 王五: 20 class hours in Shenzhen (600 元), then 20 in Guangzhou; 赵六 2 hours.
    make.learning(wang_sz, lesson1, clock.now(), 20 * HOUR)
    make.learning(failing, lesson1, clock.now(), 2 * HOUR)
    clock.advance(days=20)
    _learn(client, make, wang_gz, lesson2, 45)  # one class hour over HTTP
    make.learning(wang_gz, lesson2, clock.now() + timedelta(hours=2), 19 * HOUR)

    # The first closes after its end date: its roster pays 王五 20 hours in full.
    clock.freeze(datetime(2026, 7, 1, 2, 0, tzinfo=UTC))
    hr_sz = make.admin(Role.ENTERPRISE_ADMIN, shenzhen)
    hr_gz = make.admin(Role.ENTERPRISE_ADMIN, guangzhou)
    first_claim = _close(client, admin_login(hr_sz), first)
    wang = _lines(first_claim)["王五"]
    assert (wang["class_hours"], wang["subsidy_fen"], wang["qualifies"]) == (20, 60_000, True)
    # 赵六 failed the required assessment: listed apart, paid nothing.
    zhao = _lines(first_claim)["赵六"]
    assert (zhao["qualifies"], zhao["reason"], zhao["subsidy_fen"]) == (
        False,
        "assessment_not_passed",
        0,
    )

    # The second closes: the remainder to 1000 元.
    second_claim = _close(client, admin_login(hr_gz), second)
    wang2 = _lines(second_claim)["王五"]
    assert (wang2["class_hours"], wang2["subsidy_fen"]) == (20, 40_000)

    # Further learning elsewhere (the third project) changes neither snapshot.
    operator = make.admin(Role.OPERATOR)
    make.learning(wang_sz, lesson3, clock.now() + timedelta(days=1), 10 * HOUR)
    admin_login(operator)
    for claim in (first_claim, second_claim):
        again = client.get(f"/api/admin/projects/{claim['project_id']}/claim").get_json()
        assert again["digest"] == claim["digest"]
    assert make.session.scalars(
        select(ClaimLine.subsidy_fen)
        .where(ClaimLine.trainee_id.in_([wang_sz.id, wang_gz.id]))
        .order_by(ClaimLine.id)
    ).all() == [60_000, 40_000]

    # A Shenzhen reviewer sees only Shenzhen enterprises.
    reviewer = make.admin(Role.REVIEWER, cities=["4403"])
    admin_login(reviewer)
    assert client.get(f"/api/admin/projects/{first.id}/claim").status_code == 200
    assert client.get(f"/api/admin/projects/{second.id}/claim").status_code == 404
    page = client.get("/admin/projects").get_data(as_text=True)
    assert "深圳项目" in page and "广州项目" not in page

    # The supervision API: a Shenzhen key pages through the spans; Guangzhou's is refused.
    csrf = admin_login(operator)
    issued = client.post(
        "/api/admin/bureau-keys",
        json={"bureau": "深圳市人力资源和社会保障局", "cities": ["4403"]},
        headers={"X-CSRFToken": csrf},
    )
    assert issued.status_code == 201, issued.get_json()
    key = {"Authorization": f"Bearer {issued.get_json()['key']}"}
    seen, cursor = [], 0
    while True:
        page = client.get(f"/api/supervision/v1/spans?cursor={cursor}&limit=7", headers=key)
        assert page.status_code == 200, page.get_json()
        body = page.get_json()
        seen += [span["id"] for span in body["items"]]
        cursor = body["next_cursor"]
        if not body["has_more"]:
            break
    shenzhen_projects = {first.id, third.id}
    ids = make.session.scalars(
        select(CreditedSpan.id)
        .where(CreditedSpan.project_id.in_(shenzhen_projects))
        .order_by(CreditedSpan.id)
    ).all()
    assert seen == ids and len(ids) > 7
    hours = client.get(f"/api/supervision/v1/projects/{first.id}/hours", headers=key).get_json()
    assert {row["trainee_id"]: row["subsidy_fen"] for row in hours["items"]} == {
        wang_sz.id: 60_000,
        failing.id: 0,
    }
    assert (
        client.get(f"/api/supervision/v1/projects/{second.id}/roster", headers=key).status_code
        == 404
    )
    assert (
        client.get(f"/api/supervision/v1/projects/{second.id}/hours", headers=key).status_code
        == 404
    )
    assert (
        client.get(f"/api/supervision/v1/spans?project_id={second.id}", headers=key).status_code
        == 404
    )
