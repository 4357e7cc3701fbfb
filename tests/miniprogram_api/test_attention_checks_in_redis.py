"""Attention checks on the beat path: Redis only; their rows arrive through the credit drain."""

import re
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event, select

from backend.extensions import db
from backend.models import AttentionCheck, CheckKind, CheckOutcome
from backend.services.learning.live import state_key
from tests.learning_driver import Learner, drain, enrolled

pytestmark = pytest.mark.both_redis  # on one Redis and on a Redis Cluster

OPTIONS = ["装饰", "保护头部", "遮阳", "防雨"]


def _prepared_checks_only():
    # Checks are prepared ahead only where a sequence can reserve their ids (not SQLite).
    if db.engine.dialect.name != "postgresql":
        pytest.skip("attention checks are prepared ahead on PostgreSQL only")


@contextmanager
def sql_statements():
    """Collect every SQL statement the app sends while the block runs."""
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def _learner(client, make, *, interval=600, duration_s=3 * 3600):
    _, lesson, trainee = enrolled(make, duration_s=duration_s, attention_check_interval_s=interval)
    question = make.question(lesson.course, options=OPTIONS, attention_pool=True)
    me = Learner(client, make, trainee)
    me.check_in(lesson)
    return me, question


def _until_challenge(me, clock) -> dict:
    for _ in range(80):
        clock.advance(30)
        if challenge := me.beat()["challenge"]:
            return challenge
    raise AssertionError("no attention check within 40 minutes")


def _rows() -> list[AttentionCheck]:
    return db.session.scalars(select(AttentionCheck).order_by(AttentionCheck.id)).all()


def test_opening_answering_and_expiring_checks_run_no_sql(client, make, frozen_clock):
    _prepared_checks_only()
    me, _ = _learner(client, make)
    with sql_statements() as statements:
        first = _until_challenge(me, frozen_clock)
        frozen_clock.advance(30)
        wrong = me.beat(answer=(first["id"], "A"))  # a wrong answer opens the next at once
        frozen_clock.advance(30)
        right = me.beat(answer=(wrong["challenge"]["id"], "B"))
        third = _until_challenge(me, frozen_clock)
        for _ in range(5):  # unanswered past its window: expired, and a new one opened
            frozen_clock.advance(30)
            expired = me.beat()
    assert statements == []
    assert wrong["challenge"]["id"] != first["id"]
    assert right["challenge"] is None
    assert expired["challenge"]["id"] != third["id"]
    with sql_statements() as statements:
        frozen_clock.advance(10)
        me.end()
    assert not [s for s in statements if re.search(r"\battention_check\b", s)]
    drain()
    outcomes = [(c.id, c.outcome) for c in _rows()]
    assert outcomes == [
        (first["id"], CheckOutcome.FAILED),
        (wrong["challenge"]["id"], CheckOutcome.PASSED),
        (third["id"], CheckOutcome.EXPIRED),
        (expired["challenge"]["id"], CheckOutcome.EXPIRED),  # it died with the session
    ]


def test_the_drained_rows_are_the_record_of_every_check(client, make, frozen_clock):
    _prepared_checks_only()
    me, question = _learner(client, make)
    first = _until_challenge(me, frozen_clock)
    first_at = frozen_clock.now()
    frozen_clock.advance(45)
    me.beat(answer=(first["id"], " c, a "))
    wrong_at = frozen_clock.now()
    second = me.last["challenge"]
    frozen_clock.advance(121)  # answered one second late
    me.beat(answer=(second["id"], "b"))
    late_at = frozen_clock.now()
    third = me.last["challenge"]
    frozen_clock.advance(30)
    me.beat(answer=(third["id"], "b"))
    passed_at = frozen_clock.now()
    fourth = _until_challenge(me, frozen_clock)
    fourth_at = frozen_clock.now()
    frozen_clock.advance(20)
    me.end()
    drain()
    window = timedelta(seconds=120)
    assert [
        (c.id, c.issued_at, c.expires_at, c.answered_at, c.answer, c.outcome) for c in _rows()
    ] == [
        (first["id"], first_at, first_at + window, wrong_at, " c, a ", CheckOutcome.FAILED),
        (second["id"], wrong_at, wrong_at + window, late_at, "b", CheckOutcome.EXPIRED),
        (third["id"], late_at, late_at + window, passed_at, "b", CheckOutcome.PASSED),
        (fourth["id"], fourth_at, fourth_at + window, None, None, CheckOutcome.EXPIRED),
    ]
    for check in _rows():
        assert (check.session_id, check.trainee_id) == (me.session_id, me.trainee.id)
        assert (check.kind, check.question_id, check.expected) == (
            CheckKind.QUESTION,
            question.id,
            question.answer,
        )
    # What the mini-program was shown expires when the row says it does.
    assert first["expires_ts"] == int((first_at + window).timestamp() * 1000)


def test_once_the_prepared_checks_run_out_they_are_issued_through_the_database(
    client, make, redis_client, frozen_clock
):
    _prepared_checks_only()
    me, _ = _learner(client, make, interval=1200, duration_s=3600)
    prepared = redis_client.llen(state_key(me.session_id, me.trainee.id) + ":chk")
    assert 0 < prepared < 32
    challenge = _until_challenge(me, frozen_clock)
    credited = me.last["credited_s"]
    seen = [challenge["id"]]
    for _ in range(prepared - 1):  # wrong answers use up the prepared ones
        frozen_clock.advance(30)
        challenge = me.beat(answer=(challenge["id"], "A"))["challenge"]
        seen.append(challenge["id"])
    with sql_statements() as statements:
        frozen_clock.advance(30)
        challenge = me.beat(answer=(challenge["id"], "A"))["challenge"]
    assert any(s.startswith("INSERT INTO attention_check") for s in statements)
    assert challenge["id"] not in seen
    assert challenge["kind"] == "question"
    frozen_clock.advance(30)
    reply = me.beat(answer=(challenge["id"], "B"))
    # Time waited from the last wrong answer: the 30 s since the fallback check count.
    assert (reply["credited_s"], reply["challenge"]) == (credited + 30, None)
    drain()
    rows = _rows()
    assert [c.id for c in rows] == [*seen, challenge["id"]]
    assert [c.outcome for c in rows] == [CheckOutcome.FAILED] * prepared + [CheckOutcome.PASSED]
    assert rows[-1].answer == "B"


def test_a_session_rebuilt_after_redis_lost_it_gets_prepared_checks(
    app, client, make, redis_client, frozen_clock
):
    _prepared_checks_only()
    me, _ = _learner(client, make)
    me.play(60)
    key = state_key(me.session_id, me.trainee.id)
    redis_client.delete(key, key + ":held", key + ":chk")
    frozen_clock.advance(30)
    me.beat()  # rebuilt from the database
    assert redis_client.llen(key + ":chk") > 0
    with sql_statements() as statements:
        challenge = _until_challenge(me, frozen_clock)
        frozen_clock.advance(30)
        me.beat(answer=(challenge["id"], "B"))
    assert statements == []
    drain()
    assert [(c.id, c.outcome) for c in _rows()] == [(challenge["id"], CheckOutcome.PASSED)]
