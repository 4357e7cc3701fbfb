"""Coalesced spans: a session's credit extends one open span, sealed when the session ends, a
pause or a China-time midnight cuts it, or 15 minutes after it opened; the chain verifies."""

import itertools
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from backend.extensions import db
from backend.models import CreditedSpan, LearningSession, RecordChainHead
from backend.services.learning import record_chain
from tests.learning_driver import Learner, enrolled

pytestmark = pytest.mark.both_redis  # on one Redis and on a Redis Cluster


def _spans(trainee_id):
    spans = db.session.scalars(
        sa.select(CreditedSpan)
        .where(CreditedSpan.trainee_id == trainee_id)
        .order_by(CreditedSpan.start_at)
    ).all()
    for before, after in itertools.pairwise(spans):
        assert before.end_at <= after.start_at  # never overlapping
    return spans


def _shape(spans, start):
    at = int(start.timestamp())
    return [(int(s.start_at.timestamp()) - at, s.seconds, s.chain_hash is not None) for s in spans]


def _learner(client, make, **fields):
    project, lesson, trainee = enrolled(
        make, duration_s=4 * 3600, attention_checks_enabled=False, **fields
    )
    me = Learner(client, make, trainee)
    me.check_in(lesson)
    return project, lesson, me


def test_a_long_session_is_a_span_per_15_minutes_sealed_as_it_goes(
    app, client, make, frozen_clock, drain
):
    project, _, me = _learner(client, make)
    start = frozen_clock.now()
    for _ in range(8):  # drained every five minutes of learning
        me.play(300)
        drain()
    assert _shape(_spans(me.trainee.id), start) == [
        (0, 900, True),
        (900, 900, True),
        (1800, 600, False),
    ]
    # Open spans count in every figure; only sealed ones are in the chain.
    session = db.session.get(LearningSession, me.session_id)
    assert session.credited_s == 2400
    verdict = record_chain.verify(project.id)
    assert (verdict.ok, verdict.checked) == (True, 2)
    me.end()
    drain()
    spans = _spans(me.trainee.id)
    assert _shape(spans, start) == [(0, 900, True), (900, 900, True), (1800, 600, True)]
    assert [s.chain_seq for s in spans] == [1, 2, 3]
    head = db.session.get(RecordChainHead, project.id)
    assert (head.span_count, head.head_hash) == (3, spans[-1].chain_hash)
    result = app.test_cli_runner().invoke(args=["verify-records", str(project.id)])
    assert result.exit_code == 0 and "3 条计入时段" in result.output
    assert me.hours()["projects"][0]["credited_s"] == 2400


def test_a_pause_and_a_china_midnight_cut_the_span(app, client, make, frozen_clock, drain):
    # 23:50 China time (15:50 UTC).
    frozen_clock.freeze(datetime(2026, 3, 2, 15, 50, tzinfo=UTC))
    _, _, me = _learner(client, make)
    start = frozen_clock.now()
    me.play(300)
    me.play(120, playing=False)  # paused: the time stops counting
    me.play(600)  # across midnight
    drain()
    spans = _spans(me.trainee.id)
    midnight = 600  # seconds after the start
    shapes = _shape(spans, start)
    assert (
        sum(seconds for _, seconds, _ in shapes)
        == db.session.get(LearningSession, me.session_id).credited_s
    )
    # Before the pause, after it until midnight, and from midnight on (the one still open).
    assert [a for a, _, _ in shapes][-1] == midnight
    assert len(shapes) == 3 and [sealed for _, _, sealed in shapes] == [True, True, False]
    assert shapes[0][0] == 0 and shapes[1][0] + shapes[1][1] == midnight


def test_a_retried_batch_extends_nothing_twice(app, client, make, redis_client, frozen_clock):
    from backend.services.learning.credit_drain import SpanRow, write_spans

    _, _, me = _learner(client, make)
    start = int(frozen_clock.now().timestamp())
    me.play(120)
    row = dict(session_id=me.session_id, trainee_id=me.trainee.id, device="iPhone 15")
    session = db.session.get(LearningSession, me.session_id)
    row |= dict(lesson_id=session.lesson_id, project_id=session.project_id, seq=1, position_s=0)
    rows = [
        SpanRow(**row, start_s=start + a, end_s=start + a + 30, last_beat_s=start + a + 30)
        for a in (0, 30, 60, 90)
    ]
    assert write_spans(rows[:2]) == 60
    assert write_spans(rows) == 60  # the first half again, then the rest extends the span
    assert write_spans(rows) == 0
    db.session.commit()
    assert [(s.seconds, s.chain_hash) for s in _spans(me.trainee.id)] == [(120, None)]
    db.session.expire_all()
    assert db.session.get(LearningSession, me.session_id).credited_s == 120
