"""The drain of credit to the database, losing Redis mid-lesson, and the sweep."""

import itertools

import pytest
from sqlalchemy import create_engine, select, text

from backend.extensions import db
from backend.models import CreditedSpan, LearningSession, SessionStatus
from tests.learning_driver import QUIET, Learner, enrolled

pytestmark = pytest.mark.both_redis  # on one Redis and on a Redis Cluster


def _learner(client, make, **fields):
    fields.setdefault("attention_checks_enabled", False)
    _project, lesson, trainee = enrolled(make, **fields)
    me = Learner(client, make, trainee)
    me.check_in(lesson)
    return me, lesson


def _spans(**where):
    db.session.expire_all()
    query = select(CreditedSpan).filter_by(**where).order_by(CreditedSpan.start_at)
    return db.session.scalars(query).all()


def _assert_disjoint(spans):
    for before, after in itertools.pairwise(spans):
        assert before.end_at <= after.start_at


def test_a_lesson_reaches_the_database_through_the_drain(client, make, frozen_clock, drain):
    me, _ = _learner(client, make)
    start = frozen_clock.now()
    me.play(600)
    assert _spans() == []  # beats write Redis only
    assert drain() == 600
    spans = _spans()
    # The session's back-to-back credit is one open span, extended beat by beat.
    assert [((s.start_at - start).seconds, s.seconds, s.chain_hash) for s in spans] == [
        (0, 600, None)
    ]
    session = db.session.get(LearningSession, me.session_id)
    assert (session.credited_s, session.last_seq, session.last_position_s) == (600, 20, 600)
    assert session.last_beat_at == frozen_clock.now()
    assert drain() == 0  # nothing left, nothing twice
    me.play(60)
    assert me.end()["credited_s"] == 660  # answered live, before the drain caught up
    assert drain() == 60
    assert sum(s.seconds for s in _spans()) == 660
    # Extended again, and sealed (chained) once the session ended.
    spans = _spans()
    assert [(s.seconds, s.chain_seq) for s in spans] == [(660, 1)] and spans[0].chain_hash


def test_losing_redis_mid_lesson_loses_only_what_was_not_drained(
    app, client, make, redis_client, frozen_clock, drain
):
    me, _ = _learner(client, make)
    me.play(300)
    drain()
    me.play(120)  # 120 s credited in Redis, not drained yet
    keys = list(redis_client.scan_iter(match=app.config["REDIS_PREFIX"] + "*"))
    redis_client.delete(*keys)
    frozen_clock.advance(30)
    assert me.beat(expect=401)["error"]["code"] == "invalid_token"
    me.reauth()
    flushed_at = frozen_clock.now()
    # Rebuilt from the last drained beat, 150 s ago: past the allowed gap, so this beat earns
    # nothing (the 120 s lost with the stream were more than the drain lag of a running drain).
    assert me.beat() == {"credited_s": 300, "acked_seq": 16, "challenge": None, **QUIET}
    me.play(3000)
    result = me.end()
    # The lesson still yields at most its duration, and no second twice.
    assert result["lesson_credited_s"] == 2700
    assert result["credited_s"] == 2700
    drain()
    spans = _spans()
    _assert_disjoint(spans)
    assert sum(s.seconds for s in spans) == 2700
    assert next(s.start_at for s in spans if s.start_at >= flushed_at) == flushed_at


def test_checking_in_after_redis_lost_a_session_closes_it(
    app, client, make, redis_client, frozen_clock, drain
):
    me, lesson = _learner(client, make)
    me.play(330)
    drain()
    first = me.session_id
    redis_client.delete(*redis_client.scan_iter(match=app.config["REDIS_PREFIX"] + "*"))
    me.reauth()
    frozen_clock.advance(10)
    me.check_in(lesson)
    old = db.session.get(LearningSession, first)
    assert old.status is SessionStatus.SUPERSEDED
    assert old.credited_s == 330
    me.play(60)
    assert me.end()["lesson_credited_s"] == 390


def test_a_check_in_counts_credit_the_drain_has_not_written_yet(client, make, frozen_clock, drain):
    me, lesson = _learner(client, make, duration_s=600)
    me.play(500)
    me.end()
    me.check_in(lesson)  # before any drain: the lesson has 100 s left, not 600
    me.play(300)
    assert me.end()["lesson_credited_s"] == 600
    assert drain() == 600


def _sweep(app):
    result = app.test_cli_runner().invoke(args=["sweep-sessions", "--batch-size", "1"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    return result.output


def test_the_sweep_closes_abandoned_sessions_at_their_last_beat(
    app, client, make, frozen_clock, drain
):
    gone, _ = _learner(client, make)
    paused, _ = _learner(client, make)
    gone.play(400)
    last_beat = frozen_clock.now()
    for _ in range(61):  # the other one keeps its session open but paused for half an hour
        frozen_clock.advance(30)
        paused.beat(playing=False)
    assert "关闭 1 个" in _sweep(app)
    drain()
    closed = db.session.get(LearningSession, gone.session_id)
    assert closed.status is SessionStatus.ABANDONED
    assert closed.ended_at == last_beat
    assert closed.credited_s == 400
    assert sum(s.seconds for s in _spans(session_id=gone.session_id)) == 400
    alive = db.session.get(LearningSession, paused.session_id)
    assert alive.status is SessionStatus.ACTIVE
    assert alive.last_beat_at == frozen_clock.now()  # recorded, so it is not looked at again
    # Idempotent: a second run finds nothing to do.
    assert "检查 0 个" in _sweep(app)
    assert gone.beat(expect=409)["error"]["code"] == "session_abandoned"
    frozen_clock.advance(30)
    paused.beat()  # playing again: the paused half hour before it earns nothing
    frozen_clock.advance(30)
    assert paused.beat()["credited_s"] == 30


def test_the_sweep_closes_sessions_redis_forgot(
    app, client, make, redis_client, frozen_clock, drain
):
    me, _ = _learner(client, make)
    me.play(330)
    drain()
    forgotten = redis_client.scan_iter(match=app.config["REDIS_PREFIX"] + "{p*}ls:*")
    for key in list(forgotten):
        redis_client.delete(key)
    frozen_clock.advance(1801)
    _sweep(app)
    session = db.session.get(LearningSession, me.session_id)
    assert session.status is SessionStatus.ABANDONED
    assert (session.credited_s, session.ended_at) == (330, session.last_beat_at)


def test_sweeps_on_several_hosts_skip_each_others_rows(app, client, make, frozen_clock):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("row locks with SKIP LOCKED are a PostgreSQL feature")
    me, _ = _learner(client, make)
    me.play(60)
    frozen_clock.advance(1801)
    other_host = create_engine(db.engine.url)
    with other_host.connect() as conn:
        conn.execute(
            text("SELECT id FROM learning_session WHERE id = :id FOR UPDATE"),
            {"id": me.session_id},
        )
        assert "检查 0 个" in _sweep(app)
        conn.rollback()
    other_host.dispose()
    assert "关闭 1 个" in _sweep(app)
