"""Quiz creation, reports and the assessment gate through the admin JSON API and services."""

from backend.models import QuizKind, Role
from backend.services.practice import assessment as assessments
from tests.miniprogram_api.quiz_helpers import answer_all


def _take(client, quiz, headers, bank, right: int):
    attempt = client.post(f"/api/v1/quizzes/{quiz.id}/attempts", headers=headers).get_json()
    correct = {q["id"] for q in attempt["questions"][:right]}
    answers = answer_all(attempt, bank, correct)
    client.post(
        f"/api/v1/attempts/{attempt['id']}/answers", json={"answers": answers}, headers=headers
    )
    return client.post(f"/api/v1/attempts/{attempt['id']}/submit", headers=headers).get_json()


def _project_with_bank(make, questions=4):
    project = make.project(assessment_required=True)
    course = make.course(project)
    bank = {q.id: q for q in (make.question(course) for _ in range(questions))}
    return project, course, bank


def test_create_quizzes_with_roles_and_scoping(client, make, admin_login):
    project, course, _ = _project_with_bank(make)
    url = f"/api/admin/projects/{project.id}/quizzes"
    body = {
        "title": "结业考核",
        "kind": "assessment",
        "course_id": course.id,
        "attempt_limit": 2,
        "time_limit_s": 1200,
        "pass_score": 80,
        "question_count": 3,
    }
    token = admin_login(make.admin(Role.ENTERPRISE_ADMIN, enterprise=project.enterprise))
    created = client.post(url, json=body, headers={"X-CSRFToken": token})
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["attempt_limit"] == 2
    practice = {"title": "练习", "kind": "practice", "attempt_limit": 3}
    refused = client.post(url, json=practice, headers={"X-CSRFToken": token})
    assert refused.status_code == 422
    foreign = make.course(make.project())
    refused = client.post(
        url, json={**body, "course_id": foreign.id}, headers={"X-CSRFToken": token}
    )
    assert refused.get_json()["error"]["code"] == "course_not_in_project"
    assert len(client.get(url).get_json()["quizzes"]) == 1
    client.post("/admin/logout", data={"csrf_token": token})

    token = admin_login(make.admin(Role.REVIEWER))
    assert client.get(url).status_code == 200
    assert client.post(url, json=body, headers={"X-CSRFToken": token}).status_code == 403
    client.post("/admin/logout", data={"csrf_token": token})

    token = admin_login(make.admin(Role.ENTERPRISE_ADMIN, enterprise=make.enterprise()))
    assert client.get(url).status_code == 404
    assert client.post(url, json=body, headers={"X-CSRFToken": token}).status_code == 404
    quiz_id = created.get_json()["id"]
    assert client.get(f"/api/admin/quizzes/{quiz_id}/statistics").status_code == 404
    assert client.get(f"/api/admin/projects/{project.id}/quiz-report").status_code == 404
    assert client.get(f"/api/admin/projects/{project.id}/evaluations").status_code == 404


def test_reports_and_assessment_gate(client, make, admin_login):
    project, course, bank = _project_with_bank(make, questions=4)
    quiz = make.quiz(project, kind=QuizKind.ASSESSMENT, question_count=4, pass_score=75)
    make.quiz(project, kind=QuizKind.PRACTICE, course_id=course.id, question_count=2)
    good, poor, idle = (make.trainee(project.enterprise) for _ in range(3))
    for trainee in (good, poor, idle):
        make.enrol(trainee, project)
    good_headers, poor_headers = make.auth(good), make.auth(poor)

    assert not assessments.assessment_passed(good.id, project.id)
    assert _take(client, quiz, good_headers, bank, right=2)["passed"] is False
    assert _take(client, quiz, good_headers, bank, right=4)["score"] == 100
    assert _take(client, quiz, poor_headers, bank, right=1)["score"] == 25
    client.post(
        f"/api/v1/projects/{project.id}/evaluation",
        json={"overall": 4, "content": 5, "teaching": 3, "platform": 4, "comment": "好"},
        headers=good_headers,
    )
    client.post(
        f"/api/v1/projects/{project.id}/evaluation",
        json={"overall": 5, "content": 4, "teaching": 4, "platform": 5},
        headers=poor_headers,
    )

    assert assessments.assessment_passed(good.id, project.id) is True
    assert assessments.assessment_passed(poor.id, project.id) is False
    expected = {good.id: True, poor.id: False, idle.id: False}
    assert assessments.assessment_passed_by_trainee(project.id) == expected
    assert assessments.assessment_requirement_met_by_trainee(project.id) == expected
    project.assessment_required = False
    make.session.commit()
    assert assessments.assessment_requirement_met(poor.id, project.id) is True

    admin_login(make.admin(Role.OPERATOR))
    stats = client.get(f"/api/admin/quizzes/{quiz.id}/statistics").get_json()
    assert (stats["attempts"], stats["trainees"], stats["average_score"]) == (3, 2, 58.3)
    assert stats["pass_rate"] == 0.333
    # 7 correct answers over 3 attempts × 4 questions; every question was drawn 3 times.
    assert sum(item["correct"] for item in stats["items"]) == 7
    assert {item["attempts"] for item in stats["items"]} == {3}
    assert all(item["correct_rate"] == round(item["correct"] / 3, 3) for item in stats["items"])

    report = client.get(f"/api/admin/projects/{project.id}/quiz-report").get_json()
    rows = {row["trainee_id"]: row for row in report["trainees"]}
    assessment = lambda row: next(q for q in row["quizzes"] if q["kind"] == "assessment")  # noqa: E731
    assert assessment(rows[good.id]) | {"title": None} == {
        "quiz_id": quiz.id,
        "title": None,
        "kind": "assessment",
        "attempts": 2,
        "best_score": 100,
        "passed": True,
    }
    assert rows[good.id]["assessment_passed"] is True
    assert rows[good.id]["evaluation"]["comment"] == "好"
    assert assessment(rows[idle.id])["attempts"] == 0 and rows[idle.id]["evaluation"] is None

    evaluations = client.get(f"/api/admin/projects/{project.id}/evaluations").get_json()
    assert evaluations["count"] == 2
    assert evaluations["averages"] == {
        "overall": 4.5,
        "content": 4.5,
        "teaching": 3.5,
        "platform": 4.5,
    }


def test_an_attempt_left_open_past_its_deadline_counts(client, make, admin_login, frozen_clock):
    project, _, bank = _project_with_bank(make, questions=2)
    quiz = make.quiz(project, kind=QuizKind.ASSESSMENT, question_count=2, time_limit_s=300)
    trainee = make.trainee(project.enterprise)
    make.enrol(trainee, project)
    headers = make.auth(trainee)
    attempt = client.post(f"/api/v1/quizzes/{quiz.id}/attempts", headers=headers).get_json()
    answers = answer_all(attempt, bank, set(bank))
    client.post(
        f"/api/v1/attempts/{attempt['id']}/answers", json={"answers": answers}, headers=headers
    )
    frozen_clock.advance(301)  # the app was closed and never submitted
    admin_login(make.admin(Role.OPERATOR))
    stats = client.get(f"/api/admin/quizzes/{quiz.id}/statistics").get_json()
    assert (stats["attempts"], stats["pass_rate"]) == (1, 1.0)
    assert assessments.assessment_passed(trainee.id, project.id) is True
    listed = client.get(f"/api/v1/projects/{project.id}/quizzes", headers=headers).get_json()
    assert listed["quizzes"][0]["best_score"] == 100
