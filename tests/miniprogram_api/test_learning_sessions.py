"""Check-in, check-out, one active device at a time, and the lesson list with progress."""

from datetime import date
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from backend.extensions import db
from backend.models import CreditedSpan, LearningSession, ProjectStatus, SessionStatus
from tests.learning_driver import Learner, enrolled


def test_check_in_opens_a_session(client, make, frozen_clock):
    _, lesson, trainee = enrolled(make)
    me = Learner(client, make, trainee)
    body = me.check_in(lesson)
    assert body == {
        "session_id": body["session_id"],
        "heartbeat_interval_s": 30,
        "server_ts": int(frozen_clock.now().timestamp() * 1000),
        "face_check": None,
    }
    session = db.session.get(LearningSession, body["session_id"])
    assert session.status is SessionStatus.ACTIVE
    assert session.device == "iPhone 15"
    # The device clock runs 4.321 s behind: the offset places its offline beats.
    assert session.client_offset_ms == 4321


def test_check_in_needs_enrolment_token_and_project_dates(client, make, frozen_clock):
    _, lesson, trainee = enrolled(make)
    stranger = make.trainee()
    Learner(client, make, stranger).check_in(lesson, expect=404)
    response = client.post(f"/api/v1/lessons/{lesson.id}/sessions", json={"client_ts": 1})
    assert response.status_code == 401
    me = Learner(client, make, trainee)
    me.check_in(SimpleNamespace(id=999999), expect=404)

    _, later_lesson, later_trainee = enrolled(
        make, start_date=date(2026, 4, 1), end_date=date(2026, 4, 30)
    )
    error = Learner(client, make, later_trainee).check_in(later_lesson, expect=409)
    assert error["error"]["code"] == "project_not_in_progress"


@pytest.mark.parametrize(
    ("status", "open_"),
    [
        (ProjectStatus.DRAFT, False),
        (ProjectStatus.FILED, True),
        (ProjectStatus.APPROVED, True),
        (ProjectStatus.RETURNED, False),
        (ProjectStatus.CLOSED, False),
    ],
)
def test_only_filed_or_approved_projects_credit_learning(client, make, frozen_clock, status, open_):
    _, lesson, trainee = enrolled(make, status=status)
    learner = Learner(client, make, trainee)
    if open_:
        assert learner.check_in(lesson)["session_id"]
    else:
        error = learner.check_in(lesson, expect=409)
        closed = status is ProjectStatus.CLOSED
        assert error["error"]["code"] == ("project_closed" if closed else "project_not_open")


def test_check_out_credits_up_to_now_and_reports_the_lesson(client, make, frozen_clock):
    _, lesson, trainee = enrolled(make, attention_checks_enabled=False)
    me = Learner(client, make, trainee)
    me.check_in(lesson)
    me.play(600)
    frozen_clock.advance(20)
    assert me.end(position=620) == {
        "session_id": me.session_id,
        "credited_s": 620,
        "lesson_credited_s": 620,
        "completed": False,
    }
    # Ending again answers the same and credits nothing more.
    frozen_clock.advance(20)
    assert me.end(position=620)["credited_s"] == 620
    error = me.beat(expect=409)
    assert error["error"]["code"] == "session_ended"


def test_a_lesson_is_completed_at_95_percent(client, make, frozen_clock):
    _, lesson, trainee = enrolled(make, duration_s=1000, attention_checks_enabled=False)
    me = Learner(client, make, trainee)
    me.check_in(lesson)
    me.play(940, every=20)
    assert me.end()["completed"] is False
    me.check_in(lesson)
    me.play(10)
    result = me.end()
    assert result["lesson_credited_s"] == 950
    assert result["completed"] is True


def test_a_second_device_supersedes_the_first(client, make, frozen_clock, drain):
    _, lesson, trainee = enrolled(make, attention_checks_enabled=False)
    phone = Learner(client, make, trainee)
    pad = Learner(client, make, trainee, device="iPad", skew_ms=90_000)
    phone.check_in(lesson)
    phone.play(300)
    frozen_clock.advance(20)  # 20 s after the phone's last beat the pad checks in
    pad.check_in(lesson)
    error = phone.beat(expect=409)
    assert error["error"]["code"] == "session_superseded"
    pad.play(60)
    drain()
    first = db.session.get(LearningSession, phone.session_id)
    assert first.status is SessionStatus.SUPERSEDED
    assert first.credited_s == 300  # up to its last beat, not to the pad's check-in
    assert first.ended_at == first.last_beat_at
    assert pad.end()["lesson_credited_s"] == 360
    devices = db.session.scalars(select(CreditedSpan.device).order_by(CreditedSpan.start_at))
    assert list(devices) == ["iPhone 15", "iPad"]  # a span per session: each coalesced
    phone.end(expect=409)


def test_a_beat_for_another_trainees_session_is_404(client, make, frozen_clock):
    _, lesson, trainee = enrolled(make)
    me = Learner(client, make, trainee)
    me.check_in(lesson)
    other = Learner(client, make, make.trainee())
    other.session_id = me.session_id
    assert other.beat(expect=404)["error"]["code"] == "not_found"
    assert other.end(expect=404)["error"]["code"] == "not_found"
    other.session_id = 424242
    other.beat(expect=404)


def test_the_lesson_list_shows_progress_and_where_to_resume(client, make, frozen_clock):
    project, lesson, trainee = enrolled(make, attention_checks_enabled=False)
    second = make.lesson(lesson.course, position=1, title="第二课")
    me = Learner(client, make, trainee)
    assert [row["credited_s"] for row in me.lessons(project)["lessons"]] == [0, 0]
    me.check_in(lesson)
    me.play(120)
    # While open, the list includes the credit not yet written to the database.
    listed = me.lessons(project)["lessons"]
    assert listed[0]["lesson_id"] == lesson.id
    assert listed[0]["credited_s"] == 120
    assert listed[0]["resume_position_s"] == 120
    me.end(position=125)
    listed = me.lessons(project)["lessons"]
    assert listed[0]["resume_position_s"] == 125
    assert listed[1] == {
        "lesson_id": second.id,
        "course_id": lesson.course_id,
        "course_name": lesson.course.name,
        "title": "第二课",
        "position": 1,
        "kind": "video",
        "duration_s": 2700,
        "page_count": None,
        "media_url": None,
        "media_expires_at": None,
        "locked": False,
        "credited_s": 0,
        "completed": False,
        "resume_position_s": 0,
    }
    # One field each for the course's name and the lesson's form: no course_title, resource_form.
    schema = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    fields = set(schema["LessonProgress"]["properties"])
    assert {"course_name", "kind"} <= fields and not {"course_title", "resource_form"} & fields
    # A new session resumes where the last one stopped.
    me.check_in(lesson)
    assert me.lessons(project)["lessons"][0]["resume_position_s"] == 125
    response = client.get("/api/v1/projects/999/lessons", headers=me.headers)
    assert response.status_code == 404
    stranger = Learner(client, make, make.trainee())
    assert (
        client.get(f"/api/v1/projects/{project.id}/lessons", headers=stranger.headers).status_code
        == 404
    )
