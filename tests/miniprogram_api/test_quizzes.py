"""Practice and assessment quizzes over HTTP: draw, shuffle, scoring, limits, resume, isolation."""

from backend.models import ProjectStatus, QuizKind
from tests.miniprogram_api.quiz_helpers import answer_all, assert_no_key, setup_bank, shown_letters


def _start(client, quiz, headers):
    response = client.post(f"/api/v1/quizzes/{quiz.id}/attempts", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _save(client, attempt_id, answers, headers):
    return client.post(
        f"/api/v1/attempts/{attempt_id}/answers", json={"answers": answers}, headers=headers
    )


def _submit(client, attempt_id, headers):
    return client.post(f"/api/v1/attempts/{attempt_id}/submit", headers=headers)


def test_assessment_draws_and_shuffles_per_attempt_and_scores_on_the_server(client, make):
    _, headers, quiz, bank = setup_bank(
        make, questions=10, question_count=5, attempt_limit=3, pass_score=60
    )
    listed = client.get(f"/api/v1/projects/{quiz.project_id}/quizzes", headers=headers)
    assert listed.status_code == 200
    assert_no_key(listed.get_json())

    first = _start(client, quiz, headers)
    assert_no_key(first)
    assert len(first["questions"]) == 5 and first["resumed"] is False
    saved = _save(client, first["id"], answer_all(first, bank, set(bank)), headers)
    assert saved.status_code == 200
    assert_no_key(saved.get_json())
    result = _submit(client, first["id"], headers).get_json()
    assert_no_key(result)
    assert (result["score"], result["passed"], result["correct_count"]) == (100, True, 5)

    second = _start(client, quiz, headers)
    assert second["id"] != first["id"]
    layout = lambda a: [(q["id"], q["options"]) for q in a["questions"]]  # noqa: E731
    assert layout(first) != layout(second)
    # Shuffled options: across ten drawn questions at least one order differs from the bank's.
    shown = [q["options"] for q in first["questions"] + second["questions"]]
    assert any(
        opts != bank[q["id"]].options
        for q, opts in zip(first["questions"] + second["questions"], shown, strict=True)
    )
    right = {q["id"] for q in second["questions"][:2]}
    _save(client, second["id"], answer_all(second, bank, right), headers)
    result = _submit(client, second["id"], headers).get_json()
    assert (result["score"], result["passed"], result["correct_count"]) == (40, False, 2)

    quizzes = client.get(f"/api/v1/projects/{quiz.project_id}/quizzes", headers=headers).get_json()
    summary = quizzes["quizzes"][0]
    assert (summary["best_score"], summary["passed"], summary["attempts_left"]) == (100, True, 1)


def test_multiple_choice_is_all_or_nothing_through_the_shuffle(client, make):
    _, headers, quiz, bank = setup_bank(make, questions=2, multiple=2, question_count=2)
    attempt = _start(client, quiz, headers)
    first, second = attempt["questions"]
    partial = shown_letters(first, bank[first["id"]])[0]  # one of the two right options
    answers = [
        {"question_id": first["id"], "letters": partial},
        {"question_id": second["id"], "letters": shown_letters(second, bank[second["id"]])},
    ]
    assert _save(client, attempt["id"], answers, headers).status_code == 200
    assert _submit(client, attempt["id"], headers).get_json()["score"] == 50


def test_practice_explains_each_answer_and_reveals_all_after_submit(client, make):
    _, headers, quiz, bank = setup_bank(make, questions=3, kind=QuizKind.PRACTICE, question_count=3)
    attempt = _start(client, quiz, headers)
    assert_no_key(attempt)  # nothing is revealed before an answer is saved
    assert_no_key(client.get(f"/api/v1/attempts/{attempt['id']}", headers=headers).get_json())
    q = attempt["questions"][0]
    wrong = shown_letters(q, bank[q["id"]], correct=False)
    body = _save(client, attempt["id"], [{"question_id": q["id"], "letters": wrong}], headers)
    feedback = body.get_json()["feedback"]
    assert feedback == [
        {
            "question_id": q["id"],
            "correct": False,
            "correct_letters": shown_letters(q, bank[q["id"]]),
            "explanation": bank[q["id"]].explanation,
        }
    ]
    result = _submit(client, attempt["id"], headers).get_json()
    assert result["score"] == 0 and len(result["feedback"]) == 3
    # Practice is unlimited.
    for _ in range(3):
        again = _start(client, quiz, headers)
        assert _submit(client, again["id"], headers).status_code == 200


def test_time_limit_counts_only_answers_saved_in_time(client, make, frozen_clock):
    _, headers, quiz, bank = setup_bank(make, questions=4, question_count=4, time_limit_s=600)
    attempt = _start(client, quiz, headers)
    assert attempt["seconds_left"] == 600
    answers = answer_all(attempt, bank, set(bank))
    frozen_clock.advance(300)
    assert _save(client, attempt["id"], answers[:2], headers).status_code == 200
    frozen_clock.advance(301)
    late = _save(client, attempt["id"], answers[2:], headers)
    assert late.status_code == 409 and late.get_json()["error"]["code"] == "attempt_time_up"
    result = _submit(client, attempt["id"], headers).get_json()
    assert (result["score"], result["correct_count"]) == (50, 2)
    assert result["submitted_at"].startswith("2026-03-02T01:10:00")


def test_an_expired_attempt_is_scored_when_the_trainee_comes_back(client, make, frozen_clock):
    _, headers, quiz, bank = setup_bank(make, questions=2, question_count=2, time_limit_s=60)
    attempt = _start(client, quiz, headers)
    _save(client, attempt["id"], answer_all(attempt, bank, set(bank)), headers)
    frozen_clock.advance(3600)
    again = _start(client, quiz, headers)
    assert again["id"] != attempt["id"]
    old = client.get(f"/api/v1/attempts/{attempt['id']}", headers=headers).get_json()
    assert (old["status"], old["score"]) == ("submitted", 100)


def test_attempt_limit(client, make):
    _, headers, quiz, _ = setup_bank(make, questions=3, question_count=3, attempt_limit=2)
    for _ in range(2):
        attempt = _start(client, quiz, headers)
        assert _submit(client, attempt["id"], headers).status_code == 200
    refused = client.post(f"/api/v1/quizzes/{quiz.id}/attempts", headers=headers)
    assert refused.status_code == 409
    assert refused.get_json()["error"]["code"] == "attempt_limit_reached"
    listed = client.get(f"/api/v1/projects/{quiz.project_id}/quizzes", headers=headers).get_json()
    assert listed["quizzes"][0]["attempts_left"] == 0
    assert listed["quizzes"][0]["attempts_used"] == 2


def test_resume_returns_the_open_attempt_with_saved_answers(client, make):
    _, headers, quiz, bank = setup_bank(make, questions=5, question_count=5, attempt_limit=1)
    attempt = _start(client, quiz, headers)
    answers = answer_all(attempt, bank, set(bank))[:3]
    _save(client, attempt["id"], answers, headers)
    # The app was killed: starting again or reading the attempt gives the same questions back.
    resumed = _start(client, quiz, headers)
    assert resumed["id"] == attempt["id"] and resumed["resumed"] is True
    assert resumed["questions"] == attempt["questions"]
    expected = sorted(answers, key=lambda a: a["question_id"])
    assert sorted(resumed["answers"], key=lambda a: a["question_id"]) == expected
    fetched = client.get(f"/api/v1/attempts/{attempt['id']}", headers=headers).get_json()
    assert fetched["answers"] == resumed["answers"]
    assert_no_key(fetched)
    # Clearing an answer removes it.
    cleared = _save(
        client, attempt["id"], [{"question_id": answers[0]["question_id"], "letters": ""}], headers
    ).get_json()
    assert len(cleared["answers"]) == 2


def test_double_submit_is_idempotent(client, make):
    _, headers, quiz, bank = setup_bank(make, questions=2, question_count=2)
    attempt = _start(client, quiz, headers)
    _save(client, attempt["id"], answer_all(attempt, bank, set(bank)), headers)
    first = _submit(client, attempt["id"], headers).get_json()
    second = _submit(client, attempt["id"], headers).get_json()
    assert first == second and first["score"] == 100
    late = _save(client, attempt["id"], answer_all(attempt, bank, set()), headers)
    assert late.status_code == 409 and late.get_json()["error"]["code"] == "attempt_submitted"


def test_another_trainees_attempt_is_not_found(client, make):
    trainee, headers, quiz, bank = setup_bank(make, questions=2, question_count=2)
    attempt = _start(client, quiz, headers)
    other = make.trainee(trainee.enterprise)
    project = make.session.get(type(quiz), quiz.id).project_id
    from backend.models import Project

    make.enrol(other, make.session.get(Project, project))
    other_headers = make.auth(other)
    answers = answer_all(attempt, bank, set(bank))
    for response in (
        client.get(f"/api/v1/attempts/{attempt['id']}", headers=other_headers),
        _save(client, attempt["id"], answers, other_headers),
        _submit(client, attempt["id"], other_headers),
    ):
        assert response.status_code == 404
    mine = client.get(f"/api/v1/attempts/{attempt['id']}", headers=headers).get_json()
    assert mine["answers"] == [] and mine["status"] == "open"


def test_only_enrolled_trainees_may_take_a_quiz(client, make):
    trainee, _, quiz, _ = setup_bank(make, questions=2)
    outsider = make.trainee(trainee.enterprise)
    headers = make.auth(outsider)
    assert (
        client.get(f"/api/v1/projects/{quiz.project_id}/quizzes", headers=headers).status_code
        == 404
    )
    assert client.post(f"/api/v1/quizzes/{quiz.id}/attempts", headers=headers).status_code == 404


def test_bad_answers_are_refused_without_saving_any(client, make):
    _, headers, quiz, bank = setup_bank(make, questions=3, question_count=2)
    attempt = _start(client, quiz, headers)
    q1, q2 = attempt["questions"]
    outside = next(qid for qid in bank if qid not in {q1["id"], q2["id"]})
    cases = [
        (
            [{"question_id": q1["id"], "letters": "B"}, {"question_id": outside, "letters": "A"}],
            422,
        ),
        ([{"question_id": q1["id"], "letters": "AB"}], 422),  # two letters for a single choice
        ([{"question_id": q1["id"], "letters": "F"}], 422),  # no option F
        ([{"question_id": q1["id"], "letters": "<script>"}], 422),
    ]
    for answers, status in cases:
        assert _save(client, attempt["id"], answers, headers).status_code == status
    fetched = client.get(f"/api/v1/attempts/{attempt['id']}", headers=headers).get_json()
    assert fetched["answers"] == []


def test_empty_bank_and_closed_project(client, make):
    _, headers, quiz, _ = setup_bank(make, questions=0)
    refused = client.post(f"/api/v1/quizzes/{quiz.id}/attempts", headers=headers)
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "quiz_bank_empty"
    _, headers, quiz, _ = setup_bank(make, questions=2)
    from backend.models import Project

    make.session.get(Project, quiz.project_id).status = ProjectStatus.CLOSED
    make.session.commit()
    refused = client.post(f"/api/v1/quizzes/{quiz.id}/attempts", headers=headers)
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "project_closed"


def test_the_same_question_twice_in_one_save_keeps_the_last_answer(client, make):
    _, headers, quiz, bank = setup_bank(make, questions=2, question_count=2)
    attempt = _start(client, quiz, headers)
    first = attempt["questions"][0]
    right = shown_letters(first, bank[first["id"]])
    # Answered, then cleared, in one request: nothing is saved for it.
    twice = [{"question_id": first["id"], "letters": right}]
    twice.append({"question_id": first["id"], "letters": ""})
    response = _save(client, attempt["id"], twice, headers)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["answers"] == []
    # Cleared, then answered: the answer is saved once.
    response = _save(client, attempt["id"], [twice[1], twice[0]], headers)
    assert response.get_json()["answers"] == [{"question_id": first["id"], "letters": right}]


def test_practice_never_draws_attention_pool_questions(make):
    from backend.services.practice.attempts import quiz_pool

    project = make.project()
    course = make.course(project)
    shown = make.question(course)
    make.question(course, attention_pool=True)
    quiz = make.quiz(project, course_id=course.id)
    assert quiz_pool(quiz) == [shown]
