"""Bad input through HTTP: deep JSON, lax JSON types and bodies on routes that take none."""

from __future__ import annotations

import pytest

from backend.models import QuizAttempt
from tests.learning_driver import Learner, enrolled
from tests.miniprogram_api.quiz_helpers import setup_bank

DEPTH = 1000


def deep_json(key: str = "code") -> bytes:
    """About 2 KB of JSON nested 1000 deep."""
    return (f'{{"{key}": ' + "[" * DEPTH + "]" * DEPTH + "}").encode()


def _post_raw(client, url, body: bytes, headers=None):
    return client.post(
        url, data=body, headers={"Content-Type": "application/json", **(headers or {})}
    )


def test_deep_json_is_a_400_on_sign_in(client):
    response = _post_raw(client, "/api/v1/auth/wx-login", deep_json())
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_json"


def test_deep_json_is_a_400_on_heartbeats_and_support(client, make, frozen_clock):
    _, lesson, trainee = enrolled(make, attention_checks_enabled=False)
    me = Learner(client, make, trainee)
    session_id = me.check_in(lesson)["session_id"]
    for url in (f"/api/v1/sessions/{session_id}/heartbeats", "/api/v1/support/threads"):
        response = _post_raw(client, url, deep_json("seq"), me.headers)
        assert response.status_code == 400, url
        assert response.get_json()["error"]["code"] == "invalid_json"


@pytest.mark.parametrize("client_ts", [False, True, "1700000000000", 1.5e12 + 0.5])
def test_check_in_refuses_a_client_ts_that_is_no_integer(client, make, frozen_clock, client_ts):
    _, lesson, trainee = enrolled(make)
    response = client.post(
        f"/api/v1/lessons/{lesson.id}/sessions",
        json={"client_ts": client_ts, "device": "iPhone"},
        headers=make.auth(trainee),
    )
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "validation_error"


def test_a_whole_number_written_with_a_fraction_is_that_integer(client, make, frozen_clock):
    # JSON Schema's integer includes 1500000000000.0; the document and the server agree (issue 25).
    _, lesson, trainee = enrolled(make)
    response = client.post(
        f"/api/v1/lessons/{lesson.id}/sessions",
        json={"client_ts": 1.5e12, "device": "iPhone"},
        headers=make.auth(trainee),
    )
    assert response.status_code == 201, response.get_json()


@pytest.mark.parametrize(
    "beat", [{"seq": True, "playing": 1}, {"seq": 1, "playing": 1}, {"seq": True, "playing": True}]
)
def test_a_beat_refuses_booleans_for_numbers_and_numbers_for_booleans(
    client, make, frozen_clock, beat
):
    _, lesson, trainee = enrolled(make, attention_checks_enabled=False)
    me = Learner(client, make, trainee)
    session_id = me.check_in(lesson)["session_id"]
    body = {"client_ts": me.client_ts(), "position_s": 0, **beat}
    response = client.post(
        f"/api/v1/sessions/{session_id}/heartbeats", json=body, headers=me.headers
    )
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "validation_error"


def test_answers_sent_with_submit_are_refused_and_use_up_nothing(client, make):
    _, headers, quiz, _ = setup_bank(make, questions=3, question_count=3)
    attempt = client.post(f"/api/v1/quizzes/{quiz.id}/attempts", headers=headers).get_json()
    answers = [{"question_id": q["id"], "letters": "B"} for q in attempt["questions"]]
    response = client.post(
        f"/api/v1/attempts/{attempt['id']}/submit", json={"answers": answers}, headers=headers
    )
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "validation_error"
    make.session.expire_all()
    assert make.session.get(QuizAttempt, attempt["id"]).submitted_at is None
