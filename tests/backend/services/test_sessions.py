"""Checkpoints, losing Redis mid-lesson, and the sweep of abandoned sessions."""

import itertools
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, select, text

from backend.extensions import db
from backend.models import CreditedSpan, LearningSession, SessionStatus
from backend.services import sessions
from backend.services.live import epoch_s
from tests.learning_driver import QUIET, Learner, enrolled


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


def test_credit_is_checkpointed_every_five_minutes_of_credit(client, make, frozen_clock):
    me, _ = _learner(client, make)
    start = frozen_clock.now()
    me.play(270)
    assert _spans() == []  # nothing written on ordinary beats
    me.play(30)
    assert [(s.start_at, s.seconds) for s in _spans()] == [(start, 300)]
    me.play(300)
    spans = _spans()
    assert [(s.start_at, s.seconds) for s in spans] == [
        (start, 300),
        (start + timedelta(seconds=300), 300),
    ]
    session = db.session.get(LearningSession, me.session_id)
    assert (session.credited_s, session.last_seq) == (600, 20)
    assert session.last_beat_at == frozen_clock.now()
    # Repeating a checkpoint writes nothing twice.
    sessions.checkpoint(me.session_id, epoch_s(frozen_clock.now()))
    sessions.checkpoint(me.session_id, epoch_s(frozen_clock.now()))
    db.session.commit()
    assert sum(s.seconds for s in _spans()) == 600


def test_losing_redis_mid_lesson_loses_only_the_credit_since_the_checkpoint(
    app, client, make, redis_client, frozen_clock
):
    me, _ = _learner(client, make)
    me.play(420)  # checkpointed at 300 s; 120 s live only
    keys = list(redis_client.scan_iter(match=app.config["REDIS_PREFIX"] + "*"))
    redis_client.delete(*keys)
    frozen_clock.advance(30)
    assert me.beat(expect=401)["error"]["code"] == "invalid_token"
    me.reauth()
    flushed_at = frozen_clock.now()
    # Rebuilt from the database; this beat is a fresh start and earns nothing.
    assert me.beat() == {"credited_s": 300, "acked_seq": 16, "challenge": None, **QUIET}
    me.play(3000)
    result = me.end()
    # The lesson still yields at most its duration, and no second twice.
    assert result["lesson_credited_s"] == 2700
    assert result["credited_s"] == 2700
    spans = _spans()
    _assert_disjoint(spans)
    assert sum(s.seconds for s in spans) == 2700
    assert next(s.start_at for s in spans if s.start_at >= flushed_at) == flushed_at


def test_checking_in_after_redis_lost_a_session_closes_it(
    app, client, make, redis_client, frozen_clock
):
    me, lesson = _learner(client, make)
    me.play(330)
    first = me.session_id
    redis_client.delete(*redis_client.scan_iter(match=app.config["REDIS_PREFIX"] + "*"))
    me.reauth()
    frozen_clock.advance(10)
    me.check_in(lesson)
    old = db.session.get(LearningSession, first)
    assert old.status is SessionStatus.SUPERSEDED
    assert old.credited_s == 300
    me.play(60)
    assert me.end()["lesson_credited_s"] == 360


def _sweep(app):
    result = app.test_cli_runner().invoke(args=["sweep-sessions", "--batch-size", "1"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    return result.output


def test_the_sweep_closes_abandoned_sessions_at_their_last_beat(app, client, make, frozen_clock):
    gone, _ = _learner(client, make)
    paused, _ = _learner(client, make)
    gone.play(400)
    last_beat = frozen_clock.now()
    for _ in range(61):  # the other one keeps its session open but paused for half an hour
        frozen_clock.advance(30)
        paused.beat(playing=False)
    assert "关闭 1 个" in _sweep(app)
    closed = db.session.get(LearningSession, gone.session_id)
    assert closed.status is SessionStatus.ABANDONED
    assert closed.ended_at == last_beat
    assert closed.credited_s == 400  # the 100 s after the last checkpoint are written too
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


def test_the_sweep_closes_sessions_redis_forgot(app, client, make, redis_client, frozen_clock):
    me, _ = _learner(client, make)
    me.play(330)
    redis_client.delete(*redis_client.scan_iter(match=app.config["REDIS_PREFIX"] + "ls:*"))
    frozen_clock.advance(1801)
    _sweep(app)
    session = db.session.get(LearningSession, me.session_id)
    assert session.status is SessionStatus.ABANDONED
    assert (session.credited_s, session.ended_at) == (300, session.last_beat_at)


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
