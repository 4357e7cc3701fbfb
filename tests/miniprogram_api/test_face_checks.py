"""Face checks (人脸核身) through the WeChat simulator: time waits until one passes."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from backend.extensions import db
from backend.models import CreditedSpan, FaceCheck, FaceCheckOutcome, FaceCheckTrigger
from backend.services.learning import face_checks
from tests.learning_driver import Learner, drain, enrolled

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def _face(trainee, project, session, at, outcome, seq):
    return FaceCheck(
        trainee_id=trainee.id,
        project_id=project.id,
        session_id=session.id,
        trigger=FaceCheckTrigger.CHECK_IN,
        out_seq_no=f"sg{seq}",
        verify_id="vf",
        issued_at=at,
        expires_at=at + timedelta(minutes=5),
        outcome=outcome,
    )


def _learner(client, make, **project_fields):
    fields = {"attention_checks_enabled": False, "face_check_interval_s": 0}
    fields.update(project_fields)
    project, lesson, trainee = enrolled(make, duration_s=10 * 3600, **fields)
    trainee.wx_openid = f"oFace{trainee.id}"
    me = Learner(client, make, trainee)
    return me, lesson, project


def _result(me, check_id, expect=200):
    response = me.client.post(f"/api/v1/face-checks/{check_id}/result", headers=me.headers)
    assert response.status_code == expect, response.get_json()
    return response.get_json()


def _check(check_id) -> FaceCheck:
    db.session.expire_all()
    return db.session.get(FaceCheck, check_id)


def test_a_check_in_needing_a_face_check_credits_nothing_until_it_passes(
    client, make, frozen_clock, wechat_simulator
):
    me, lesson, _ = _learner(client, make, face_check_at_check_in="first_of_day")
    body = me.check_in(lesson)
    check = body["face_check"]
    assert set(check) == {"id", "verify_id", "expires_in"}
    assert check["expires_in"] == 300
    # WeChat received the trainee's real name and ID for this openid.
    issued = wechat_simulator.face.issued(check["verify_id"])
    assert issued["openid"] == me.trainee.wx_openid
    assert issued["cert_name"] == me.trainee.name
    for _ in range(4):
        frozen_clock.advance(30)
        reply = me.beat()
        assert reply["credited_s"] == 0
        assert reply["face_check"]["id"] == check["id"]
    assert reply["face_check"]["expires_in"] == 180
    wechat_simulator.face.complete(check["verify_id"], 10000)
    assert _result(me, check["id"]) == {"passed": True, "reason": None, "face_check": None}
    frozen_clock.advance(30)
    reply = me.beat()
    assert reply["credited_s"] == 150  # the two minutes it held, and this beat's 30 s
    assert reply["face_check"] is None
    assert _check(check["id"]).outcome is FaceCheckOutcome.PASSED
    me.end()
    drain()
    spans = db.session.scalars(select(CreditedSpan)).all()
    assert spans and all(span.face_check_id == check["id"] for span in spans)
    # The first check-in of the day had it: the next one that day needs none.
    frozen_clock.advance(600)
    assert me.check_in(lesson)["face_check"] is None
    frozen_clock.advance(30)
    assert me.beat()["credited_s"] == 30
    # A result asked again answers the same.
    assert _result(me, check["id"])["passed"] is True


def test_every_session_asks_each_check_in(client, make, frozen_clock, wechat_simulator):
    me, lesson, _ = _learner(client, make, face_check_at_check_in="every_session")
    first = me.check_in(lesson)["face_check"]
    wechat_simulator.face.complete(first["verify_id"])
    assert _result(me, first["id"])["passed"]
    frozen_clock.advance(60)
    assert me.check_in(lesson)["face_check"]["id"] != first["id"]


@pytest.mark.parametrize(
    ("verify_ret", "outcome", "reason"),
    [
        (10003, FaceCheckOutcome.MISMATCH, face_checks.MISMATCH_REASON),
        (90002, FaceCheckOutcome.CANCELLED, face_checks.CANCELLED_REASON),
        (90008, FaceCheckOutcome.CANCELLED, face_checks.DEVICE_REASON),
    ],
)
def test_a_failed_check_forfeits_its_time_and_brings_a_new_one(
    client, make, frozen_clock, wechat_simulator, verify_ret, outcome, reason
):
    me, lesson, _ = _learner(client, make, face_check_at_check_in="every_session")
    check = me.check_in(lesson)["face_check"]
    me.play(120)
    wechat_simulator.face.complete(check["verify_id"], verify_ret)
    answer = _result(me, check["id"])
    assert answer["passed"] is False
    assert answer["reason"] == reason
    again = answer["face_check"]
    assert again["id"] != check["id"] and again["expires_in"] == 300
    stored = _check(check["id"])
    assert (stored.outcome, stored.verify_ret, stored.reason) == (outcome, verify_ret, reason)
    assert _check(again["id"]).trigger is FaceCheckTrigger.RETRY
    # The old check is closed; the held two minutes are gone.
    assert _result(me, check["id"], expect=409)["error"]["code"] == "face_check_closed"
    me.play(60)
    wechat_simulator.face.complete(again["verify_id"])
    assert _result(me, again["id"])["passed"]
    assert me.play(30)["credited_s"] == 90  # only the time since the new check was issued


def test_an_expired_check_forfeits_its_time(client, make, frozen_clock, wechat_simulator):
    me, lesson, _ = _learner(client, make, face_check_at_check_in="every_session")
    check = me.check_in(lesson)["face_check"]
    me.play(300)
    frozen_clock.advance(30)
    reply = me.beat()
    assert reply["credited_s"] == 0
    assert reply["notice"] == {
        "code": "face_check_expired",
        "message": face_checks.EXPIRED_REASON,
    }
    again = reply["face_check"]
    assert again["id"] != check["id"]
    assert _check(check["id"]).outcome is FaceCheckOutcome.EXPIRED
    # Passing the old one late changes nothing.
    wechat_simulator.face.complete(check["verify_id"])
    assert _result(me, check["id"], expect=409)["error"]["code"] == "face_check_closed"
    wechat_simulator.face.complete(again["verify_id"])
    assert _result(me, again["id"])["passed"]
    assert me.play(30)["credited_s"] == 30


def test_a_result_asked_after_the_window_is_an_expiry(client, make, frozen_clock, wechat_simulator):
    me, lesson, _ = _learner(client, make, face_check_at_check_in="every_session")
    check = me.check_in(lesson)["face_check"]
    wechat_simulator.face.complete(check["verify_id"])
    frozen_clock.advance(301)
    answer = _result(me, check["id"])
    assert (answer["passed"], answer["reason"]) == (False, face_checks.EXPIRED_REASON)
    assert answer["face_check"]["id"] != check["id"]


def test_wechat_refusing_the_query_fails_the_check(client, make, frozen_clock, wechat_simulator):
    me, lesson, _ = _learner(client, make, face_check_at_check_in="every_session")
    check = me.check_in(lesson)["face_check"]
    wechat_simulator.face.complete(check["verify_id"])
    wechat_simulator.face.expire(check["verify_id"])  # WeChat's verify_id expired
    answer = _result(me, check["id"])
    assert (answer["passed"], answer["reason"]) == (False, face_checks.REFUSED_REASON)
    assert _check(check["id"]).outcome is FaceCheckOutcome.REFUSED


def test_a_result_asked_before_the_check_is_done_fails_it(
    client, make, frozen_clock, wechat_simulator
):
    # As the README's walkthrough warns: "do" the check in the simulator first, then ask.
    me, lesson, _ = _learner(client, make, face_check_at_check_in="every_session")
    check = me.check_in(lesson)["face_check"]
    answer = _result(me, check["id"])
    assert (answer["passed"], answer["reason"]) == (False, face_checks.REFUSED_REASON)
    assert answer["face_check"]["id"] != check["id"]
    wechat_simulator.face.complete(check["verify_id"])  # done too late: the check is closed
    assert _result(me, check["id"], expect=409)["error"]["code"] == "face_check_closed"


def test_wechat_unavailable_leaves_the_check_open(client, make, frozen_clock, wechat_simulator):
    me, lesson, _ = _learner(client, make, face_check_at_check_in="every_session")
    check = me.check_in(lesson)["face_check"]
    wechat_simulator.face.complete(check["verify_id"])
    wechat_simulator.fail_next("cityservice/face/identify/queryverifyinfo", -1)
    answer = _result(me, check["id"], expect=503)
    assert answer["error"]["code"] == "wechat_unavailable"
    assert _check(check["id"]).outcome is FaceCheckOutcome.PENDING
    assert _result(me, check["id"])["passed"]


def test_another_trainees_check_is_not_found(client, make, frozen_clock, wechat_simulator):
    me, lesson, _ = _learner(client, make, face_check_at_check_in="every_session")
    check = me.check_in(lesson)["face_check"]
    other, _, _ = _learner(client, make)
    assert _result(other, check["id"], expect=404)["error"]["code"] == "not_found"


def test_a_random_check_mid_lesson(client, make, frozen_clock, wechat_simulator):
    me, lesson, project = _learner(client, make, face_check_interval_s=600)
    assert me.check_in(lesson)["face_check"] is None
    check = None
    for _ in range(40):
        frozen_clock.advance(30)
        reply = me.beat()
        if reply["face_check"]:
            check, credited = reply["face_check"], reply["credited_s"]
            break
    assert check is not None, "no face check within 20 minutes"
    assert 300 <= credited <= 930
    assert _check(check["id"]).trigger is FaceCheckTrigger.RANDOM
    assert me.play(60)["credited_s"] == credited  # the time waits
    wechat_simulator.face.complete(check["verify_id"])
    assert _result(me, check["id"])["passed"]
    assert me.play(30)["credited_s"] == credited + 90
    me.end()
    drain()
    # Spans before the check are covered by none; from its issue on, by it.
    spans = db.session.scalars(select(CreditedSpan).order_by(CreditedSpan.start_at)).all()
    assert {span.face_check_id for span in spans} == {None, check["id"]}
    covered = sum(s.seconds for s in spans if s.face_check_id == check["id"])
    assert covered == 90
    coverage = face_checks.trainee_coverage(me.trainee.id, project.id)
    assert (coverage["credited_s"], coverage["covered_s"]) == (credited + 90, 90)
    assert coverage["checks"]["passed"] == 1


def test_a_session_closed_with_an_open_check_loses_the_held_time(
    client, make, frozen_clock, wechat_simulator
):
    me, lesson, _ = _learner(client, make, face_check_at_check_in="every_session")
    check = me.check_in(lesson)["face_check"]
    me.play(90)
    assert me.end()["credited_s"] == 0
    assert _check(check["id"]).outcome is FaceCheckOutcome.EXPIRED


def test_redis_losing_an_open_check_brings_a_new_one(
    app, client, make, frozen_clock, wechat_simulator, redis_client
):
    me, lesson, _ = _learner(client, make, face_check_at_check_in="every_session")
    check = me.check_in(lesson)["face_check"]
    me.play(60)
    # The session's live state (in the trainee's partition, "{pN}ls:…").
    forgotten = redis_client.scan_iter(match=app.config["REDIS_PREFIX"] + "{p*}ls:*")
    redis_client.delete(*forgotten)
    frozen_clock.advance(30)
    # Rebuilt from the database; the first beat after it brings a new check, no face passed.
    rebuilt = me.beat()
    assert rebuilt["credited_s"] == 0
    assert _check(check["id"]).outcome is FaceCheckOutcome.EXPIRED
    again = rebuilt["face_check"]
    assert again and again["id"] != check["id"]
    frozen_clock.advance(30)
    assert me.beat()["face_check"]["id"] == again["id"]
    assert me.play(60)["credited_s"] == 0
    wechat_simulator.face.complete(again["verify_id"])
    assert _result(me, again["id"])["passed"]
    # The time waited from the new check's issue (the rebuilding beat) and is credited now.
    assert me.play(30)["credited_s"] == 120


def test_wechat_busy_at_a_random_check_holds_the_time_and_tries_again(
    client, make, frozen_clock, wechat_simulator
):
    me, lesson, _ = _learner(client, make, face_check_interval_s=600)
    me.check_in(lesson)
    wechat_simulator.fail_next("cityservice/face/identify/getverifyid", -1)
    credited = 0
    for _ in range(40):
        frozen_clock.advance(30)
        reply = me.beat()
        assert reply["face_check"] is None
        if reply["credited_s"] == credited:
            break  # claimed, but WeChat did not answer: the time waits
        credited = reply["credited_s"]
    frozen_clock.advance(30)
    check = me.beat()["face_check"]  # claimed again once 30 s have passed
    assert check is not None
    wechat_simulator.face.complete(check["verify_id"])
    assert _result(me, check["id"])["passed"]
    # Only the time since the check was issued is released.
    assert me.play(30)["credited_s"] == credited + 30


def test_credit_drained_before_the_pass_commits_names_the_check(make):
    # The pass releases the held time into the stream first; a drainer may write it before
    # the request that passed the check commits: the still-pending check covers it.
    from backend.services.learning.credit_drain import SpanRow, write_spans

    project, lesson, trainee = enrolled(make)
    session = make.ended_session(trainee, lesson, T0, 600)
    failed = make._add(_face(trainee, project, session, T0, FaceCheckOutcome.MISMATCH, "a1"))
    passing = make._add(
        _face(trainee, project, session, T0 + timedelta(seconds=60), FaceCheckOutcome.PENDING, "a2")
    )
    row = SpanRow(session.id, trainee.id, lesson.id, project.id, "", 0, 0, 1, 0, 0)
    start = int(T0.timestamp())
    write_spans([SpanRow(**{**vars(row), "start_s": start + 60, "end_s": start + 120})])
    (span,) = db.session.scalars(select(CreditedSpan)).all()
    assert span.face_check_id == passing.id != failed.id
