"""The credit drain: batches written once, dead drainers taken over, a lost stream recreated."""

import pytest
from sqlalchemy import func, select

from backend.drainer import GROUP, Drainer
from backend.extensions import db
from backend.models import CreditedSpan, LearningSession
from backend.services.learning import record_chain
from backend.services.learning.credit_drain import SpanRow, write_spans
from backend.services.learning.live import stream_keys
from tests.learning_driver import Learner, enrolled

pytestmark = pytest.mark.both_redis  # on one Redis and on a Redis Cluster


def _learning(client, make, seconds=600):
    _, lesson, trainee = enrolled(make, attention_checks_enabled=False)
    me = Learner(client, make, trainee)
    me.check_in(lesson)
    me.play(seconds)
    return me


def _written(session_id):
    db.session.expire_all()
    total = db.session.scalar(
        select(func.coalesce(func.sum(CreditedSpan.seconds), 0)).where(
            CreditedSpan.session_id == session_id
        )
    )
    return total, db.session.get(LearningSession, session_id).credited_s


def _read_as(redis_client, consumer):
    """What a drainer that read a batch and then died holds: entries pending in its name."""
    held = []
    for key in stream_keys():  # every partition's stream
        reply = redis_client.xreadgroup(GROUP, consumer, {key: ">"}, count=1000)
        held += [fields for _, fields in reply[0][1]] if reply else []
    return held


def test_a_batch_written_again_is_not_doubled(client, make, redis_client, frozen_clock, drain):
    me = _learning(client, make)
    drain()  # creates the group; nothing read yet by anyone else
    me.play(300)
    # A drainer wrote its batch and died before acknowledging it.
    entries = _read_as(redis_client, "dead")
    assert write_spans([SpanRow.from_entry(fields) for fields in entries]) == 300
    db.session.commit()
    assert _written(me.session_id) == (900, 900)
    # Another drainer takes the batch over and writes it again: nothing is added.
    assert drain() == 0
    assert _written(me.session_id) == (900, 900)
    assert sum(redis_client.xpending(key, GROUP)["pending"] for key in stream_keys()) == 0
    # The 900 s are one span, 15 minutes long and so sealed: chained once.
    project_id = db.session.get(LearningSession, me.session_id).project_id
    verdict = record_chain.verify(project_id)
    assert (verdict.ok, verdict.checked) == (True, 1)


def test_a_dead_drainers_pending_entries_are_taken_over(
    client, make, redis_client, frozen_clock, drain
):
    me = _learning(client, make, 0)
    drain()
    me.play(600)
    assert len(_read_as(redis_client, "dead")) == 20  # read, never written
    # A live drainer leaves them alone while they are young ...
    assert Drainer("patient", claim_idle_ms=60_000).drain_once().entries == 0
    assert _written(me.session_id) == (0, 0)
    # ... and takes them over once they look abandoned.
    assert drain() == 600
    assert _written(me.session_id) == (600, 600)


def test_the_drain_recreates_a_stream_redis_lost(
    app, client, make, redis_client, frozen_clock, drain
):
    me = _learning(client, make, 60)
    drain()
    for key in stream_keys():
        redis_client.delete(key)  # the group goes with it
    me.play(90)
    assert drain() == 90
    assert _written(me.session_id) == (150, 150)


def test_a_running_drainer_recreates_a_stream_redis_lost(client, make, redis_client, frozen_clock):
    me = _learning(client, make, 60)
    # Past its first batch it reads new entries only (dead drainers' looked for once a minute).
    drainer = Drainer("steady", claim_idle_ms=120_000)
    while drainer.drain_once().entries:
        pass
    for key in stream_keys():
        redis_client.delete(key)  # the group goes with it
    me.play(90)
    while drainer.drain_once().entries:
        pass
    assert _written(me.session_id) == (150, 150)


def test_the_drain_command_once_writes_what_is_there(app, client, make, frozen_clock):
    me = _learning(client, make, 120)
    result = app.test_cli_runner().invoke(args=["drain-credit", "--once"])
    assert result.exit_code == 0, result.output
    assert "4 条" in result.output and "120 秒" in result.output
    assert _written(me.session_id) == (120, 120)
