"""Redis lost mid-lesson: the session continues from the database's last drained beat, and spans
drained late or twice are clipped to what is not stored, so nothing is lost beyond the drain
lag and nothing doubled."""

import itertools

import pytest
from sqlalchemy import func, select

from backend.drainer import GROUP
from backend.extensions import db
from backend.models import CreditedSpan, LearningSession
from backend.services.learning import record_chain
from backend.services.learning.credit_drain import SpanRow, write_spans
from backend.services.learning.live import stream_keys
from tests.learning_driver import Learner, enrolled

pytestmark = pytest.mark.both_redis  # on one Redis and on a Redis Cluster

DRAIN_LAG_S = 2  # the drain's target: the database at most this far behind the beats


def _learner(client, make, **fields):
    fields.setdefault("attention_checks_enabled", False)
    project, lesson, trainee = enrolled(make, **fields)
    me = Learner(client, make, trainee)
    me.check_in(lesson)
    return me, project


def _flushall(app, redis_client):
    """FLUSHALL of the app's Redis namespace: sessions, tokens, watermarks, stream and group."""
    redis_client.delete(*redis_client.scan_iter(match=app.config["REDIS_PREFIX"] + "*"))


def _stored(trainee_id):
    """The trainee's spans as (start, end) epoch seconds, after checking they never overlap."""
    db.session.expire_all()
    spans = db.session.execute(
        select(CreditedSpan.start_at, CreditedSpan.end_at)
        .where(CreditedSpan.trainee_id == trainee_id)
        .order_by(CreditedSpan.start_at)
    ).all()
    for before, after in itertools.pairwise(spans):
        assert before.end_at <= after.start_at, (before, after)
    return [(int(a.timestamp()), int(b.timestamp())) for a, b in spans]


def _stored_s(trainee_id):
    return sum(b - a for a, b in _stored(trainee_id))


def _consistent(me, project):
    """The session's total is the sum of its spans, and the project's chain verifies."""
    session = db.session.get(LearningSession, me.session_id)
    total = db.session.scalar(
        select(func.sum(CreditedSpan.seconds)).where(CreditedSpan.session_id == me.session_id)
    )
    assert session.credited_s == total
    verdict = record_chain.verify(project.id)
    assert verdict.ok, verdict


def _read_as(redis_client, consumer):
    """What a drainer holds that read a batch and has not written it yet."""
    held = []
    for key in stream_keys():  # every partition's stream
        reply = redis_client.xreadgroup(GROUP, consumer, {key: ">"}, count=1000)
        held += [SpanRow.from_entry(fields) for _, fields in reply[0][1]] if reply else []
    return held


def _relogin_after_flush(me):
    assert me.beat(expect=401)["error"]["code"] == "invalid_token"
    me.seq -= 1  # the refused beat never reached the session
    me.reauth()


def test_a_flush_mid_lesson_loses_no_more_than_the_drain_lag(
    app, client, make, redis_client, frozen_clock, drain
):
    me, project = _learner(client, make)
    start = int(frozen_clock.now().timestamp())
    me.play(300)
    drain()
    me.play(30)  # this beat's credit is still in the stream when Redis loses everything
    _flushall(app, redis_client)
    frozen_clock.advance(30)
    _relogin_after_flush(me)
    # Rebuilt where the database has it (the beat at 300 s): the next beat, 60 s on, is within
    # the allowed gap, so the interval lost with the stream is earned again.
    assert me.beat(position=360)["credited_s"] == 360
    me.play(240)
    assert me.end()["credited_s"] == 600
    drain()
    learned = int(frozen_clock.now().timestamp()) - start
    assert learned == 600
    assert learned - _stored_s(me.trainee.id) <= DRAIN_LAG_S
    assert _stored(me.trainee.id)[0][0] == start
    _consistent(me, project)


def test_a_flush_after_a_pause_keeps_the_pause(
    app, client, make, redis_client, frozen_clock, drain
):
    me, _ = _learner(client, make)
    me.play(120)
    me.play(30, playing=False)  # credits up to this beat, which says the video stopped
    drain()
    _flushall(app, redis_client)
    frozen_clock.advance(30)
    _relogin_after_flush(me)
    # The drained state says paused: the 30 s since are not credited, as without the flush.
    assert me.beat()["credited_s"] == 150
    me.play(60)
    assert me.end()["credited_s"] == 210
    drain()
    assert _stored_s(me.trainee.id) == 210


def test_a_batch_drained_late_never_doubles_the_rebuilt_credit(
    app, client, make, redis_client, frozen_clock, drain
):
    me, project = _learner(client, make)
    me.play(300)
    drain()
    me.play(30)
    late = _read_as(redis_client, "slow")  # a drainer read [300, 330) and is still writing it
    assert [(r.end_s - r.start_s) for r in late] == [30]
    _flushall(app, redis_client)
    frozen_clock.advance(30)
    _relogin_after_flush(me)
    assert me.beat()["credited_s"] == 360  # [300, 360) credited again by the rebuilt session
    assert drain() == 60
    # The slow drainer commits its batch after the rebuilt credit: it is covered, adds nothing.
    assert write_spans(late) == 0
    db.session.commit()
    assert _stored_s(me.trainee.id) == 360
    _consistent(me, project)


def test_a_late_batch_drained_first_leaves_the_rebuilt_credit_only_the_rest(
    app, client, make, redis_client, frozen_clock, drain
):
    me, project = _learner(client, make)
    start = int(frozen_clock.now().timestamp())
    me.play(300)
    drain()
    me.play(30)
    late = _read_as(redis_client, "slow")
    _flushall(app, redis_client)
    frozen_clock.advance(30)
    _relogin_after_flush(me)
    me.beat()
    assert write_spans(late) == 30  # [300, 330) lands first
    db.session.commit()
    # The rebuilt session's [300, 360) is clipped to [330, 360).
    assert drain() == 30
    # Both extend the session's open span back to back: one span, no second twice.
    assert _stored(me.trainee.id) == [(start, start + 360)]
    assert _stored_s(me.trainee.id) == 360
    _consistent(me, project)


def test_losing_only_the_session_state_credits_nothing_twice(
    app, client, make, redis_client, frozen_clock, drain
):
    me, project = _learner(client, make)
    me.play(300)
    drain()
    me.play(30)  # not drained; the stream and the watermark survive
    redis_client.delete(f"{app.config['REDIS_PREFIX']}ls:{me.session_id}")
    frozen_clock.advance(30)
    me.beat()
    me.play(60)
    me.end()
    drain()
    assert _stored_s(me.trainee.id) == 420
    _consistent(me, project)


def test_a_retried_or_overlapping_batch_adds_only_what_is_not_stored(
    client, make, redis_client, frozen_clock, drain
):
    me, project = _learner(client, make)
    drain()  # the group exists
    me.play(90)
    rows = _read_as(redis_client, "first")
    assert write_spans(rows) == 90
    db.session.commit()
    assert write_spans(rows) == 0  # the same batch again (its drainer died before XACK)
    db.session.commit()
    # One span over everything stored and 30 s beyond, and a duplicate inside the batch.
    first, last = rows[0], rows[-1]
    wide = SpanRow(**{**vars(last), "start_s": first.start_s, "end_s": last.end_s + 30})
    assert write_spans([wide, wide, *rows]) == 30
    db.session.commit()
    assert _stored_s(me.trainee.id) == 120
    assert drain() == 0  # the stream's entries are all stored already
    _consistent(me, project)


def test_checking_out_after_a_flush_credits_the_time_since_the_last_drained_beat(
    app, client, make, redis_client, frozen_clock, drain
):
    me, project = _learner(client, make)
    me.play(300)
    drain()
    me.play(30)
    _flushall(app, redis_client)
    frozen_clock.advance(20)
    me.reauth()
    assert me.end()["credited_s"] == 350  # from the drained beat at 300 s, 50 s before
    drain()
    assert _stored_s(me.trainee.id) == 350
    _consistent(me, project)
