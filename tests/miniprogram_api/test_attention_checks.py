"""Attention checks (随机弹题): time waits for a right answer; wrong or late answers forfeit it."""

import re

from sqlalchemy import select

from backend.extensions import db
from backend.models import AttentionCheck, CheckKind, CheckOutcome
from tests.learning_driver import Learner, drain, enrolled

OPTIONS = ["装饰", "保护头部", "遮阳", "防雨"]


def _learner(client, make, *, questions=True, interval=600):
    _, lesson, trainee = enrolled(make, duration_s=3 * 3600, attention_check_interval_s=interval)
    if questions:
        make.question(lesson.course, options=OPTIONS, attention_pool=True)
    me = Learner(client, make, trainee)
    me.check_in(lesson)
    return me


def _until_challenge(me, clock) -> tuple[dict, int]:
    """Play in 30 s beats until a beat carries a challenge; return it and the credit then."""
    for _ in range(40):
        clock.advance(30)
        reply = me.beat()
        if reply["challenge"]:
            return reply["challenge"], reply["credited_s"]
    raise AssertionError("no attention check within 20 minutes")


def _check(check_id) -> AttentionCheck:
    drain()  # the beats' checks reach the database through the credit drain
    return db.session.get(AttentionCheck, check_id)


def test_a_right_answer_in_time_credits_the_time_it_held(client, make, frozen_clock):
    me = _learner(client, make)
    challenge, credited = _until_challenge(me, frozen_clock)
    # Issued between 0.5 and 1.5 intervals after check-in, with the time before it credited.
    assert 300 <= credited <= 930
    assert set(challenge) == {"id", "kind", "prompt", "options", "multiple", "expires_ts"}
    assert challenge["kind"] == "question"
    assert challenge["options"] == OPTIONS
    assert challenge["expires_ts"] == int(frozen_clock.now().timestamp() * 1000) + 120_000
    frozen_clock.advance(30)
    held = me.beat()
    assert held["credited_s"] == credited  # the time waits
    assert held["challenge"] == challenge  # and the check is shown again
    frozen_clock.advance(30)
    reply = me.beat(answer=(challenge["id"], "b"))
    assert reply["credited_s"] == credited + 60
    assert reply["challenge"] is None
    check = _check(challenge["id"])
    assert (check.kind, check.outcome, check.answer) == (
        CheckKind.QUESTION,
        CheckOutcome.PASSED,
        "b",
    )
    assert check.answered_at == frozen_clock.now()
    frozen_clock.advance(30)
    assert me.beat()["credited_s"] == credited + 90


def test_a_wrong_answer_forfeits_the_time_and_asks_again(client, make, frozen_clock):
    me = _learner(client, make)
    challenge, credited = _until_challenge(me, frozen_clock)
    frozen_clock.advance(30)
    me.beat()
    frozen_clock.advance(30)
    reply = me.beat(answer=(challenge["id"], "A"))
    assert reply["credited_s"] == credited
    again = reply["challenge"]
    assert again["id"] != challenge["id"]
    assert _check(challenge["id"]).outcome is CheckOutcome.FAILED
    # Nothing counts until a right answer; then the time since the new check counts.
    frozen_clock.advance(30)
    assert me.beat(answer=(again["id"], "B"))["credited_s"] == credited + 30


def test_a_late_answer_forfeits_the_time(client, make, frozen_clock):
    me = _learner(client, make)
    challenge, credited = _until_challenge(me, frozen_clock)
    for _ in range(4):
        frozen_clock.advance(30)
        me.beat()
    frozen_clock.advance(1)  # 121 s after it was issued
    reply = me.beat(answer=(challenge["id"], "B"))
    assert reply["credited_s"] == credited
    assert reply["challenge"]["id"] != challenge["id"]
    check = _check(challenge["id"])
    assert (check.outcome, check.answer) == (CheckOutcome.EXPIRED, "B")


def test_an_unanswered_check_expires_and_a_new_one_follows(client, make, frozen_clock):
    me = _learner(client, make)
    challenge, credited = _until_challenge(me, frozen_clock)
    for _ in range(5):
        frozen_clock.advance(30)
        reply = me.beat()
    assert reply["credited_s"] == credited
    assert reply["challenge"]["id"] != challenge["id"]
    assert _check(challenge["id"]).outcome is CheckOutcome.EXPIRED
    # Answering the expired one changes nothing.
    frozen_clock.advance(30)
    assert me.beat(answer=(challenge["id"], "B"))["credited_s"] == credited
    frozen_clock.advance(30)
    assert me.beat(answer=(reply["challenge"]["id"], "B"))["credited_s"] == credited + 60


def test_without_a_question_bank_the_check_is_a_code(client, make, frozen_clock):
    me = _learner(client, make, questions=False)
    challenge, credited = _until_challenge(me, frozen_clock)
    assert (challenge["kind"], challenge["options"]) == ("code", [])
    code = re.search(r"\d{4}", challenge["prompt"]).group()
    frozen_clock.advance(30)
    assert me.beat(answer=(challenge["id"], code))["credited_s"] == credited + 30
    assert _check(challenge["id"]).kind is CheckKind.CODE


def test_checks_follow_the_project_setting(client, make, frozen_clock):
    _, lesson, trainee = enrolled(make, duration_s=3 * 3600, attention_checks_enabled=False)
    me = Learner(client, make, trainee)
    me.check_in(lesson)
    for _ in range(240):
        frozen_clock.advance(30)
        assert me.beat()["challenge"] is None
    assert me.last["credited_s"] == 7200


def test_an_open_check_dies_with_its_session(client, make, frozen_clock):
    me = _learner(client, make)
    challenge, credited = _until_challenge(me, frozen_clock)
    frozen_clock.advance(30)
    me.beat()
    frozen_clock.advance(10)
    assert me.end()["credited_s"] == credited
    assert _check(challenge["id"]).outcome is CheckOutcome.EXPIRED


def test_every_check_is_recorded(client, make, frozen_clock):
    me = _learner(client, make, interval=200)
    seen = set()
    for _ in range(120):
        frozen_clock.advance(30)
        reply = me.beat(answer=(c["id"], "B") if (c := me.last and me.last["challenge"]) else None)
        if reply["challenge"]:
            seen.add(reply["challenge"]["id"])
    drain()
    checks = db.session.scalars(select(AttentionCheck).order_by(AttentionCheck.id)).all()
    assert {c.id for c in checks} == seen
    assert len(seen) >= 5
    assert all(c.outcome is CheckOutcome.PASSED for c in checks[:-1])


def test_checks_ask_only_the_attention_pool(client, make, frozen_clock):
    # A quiz question beside the pool: the check never asks it (practice shows its answer).
    _, lesson, trainee = enrolled(make, duration_s=3 * 3600, attention_check_interval_s=200)
    make.question(lesson.course, stem="练习里见过的题")
    pooled = make.question(lesson.course, options=OPTIONS, attention_pool=True)
    me = Learner(client, make, trainee)
    me.check_in(lesson)
    for _ in range(3):
        challenge, _ = _until_challenge(me, frozen_clock)
        assert challenge["prompt"] == pooled.stem
        frozen_clock.advance(30)
        me.beat(answer=(challenge["id"], "B"))


def test_no_code_to_type_back_when_face_checks_are_on(client, make, frozen_clock):
    # Without pool questions a check would be a code readable from the JSON: with face checks
    # on there is none.
    _, lesson, trainee = enrolled(
        make, duration_s=3 * 3600, attention_check_interval_s=200, face_check_interval_s=100000
    )
    me = Learner(client, make, trainee)
    me.check_in(lesson)
    for _ in range(60):
        frozen_clock.advance(30)
        assert me.beat()["challenge"] is None


def test_a_check_open_when_redis_lost_the_session_forfeits_the_time_since(
    app, client, make, frozen_clock, redis_client, drain
):
    me = _learner(client, make)
    challenge, credited = _until_challenge(me, frozen_clock)
    drain()  # the database has everything up to the beat that brought the check
    redis_client.delete(*redis_client.scan_iter(match=app.config["REDIS_PREFIX"] + "*"))
    me.reauth()
    frozen_clock.advance(30)
    # Rebuilt: the unanswered check expires and the time since it was issued is not credited.
    assert me.beat()["credited_s"] == credited
    assert _check(challenge["id"]).outcome is CheckOutcome.EXPIRED
    frozen_clock.advance(30)
    assert me.beat()["credited_s"] == credited + 30
    drain()
    assert me.end()["credited_s"] == credited + 30
