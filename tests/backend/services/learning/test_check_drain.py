"""The drain writes attention checks the same whatever the order and however often it sees them."""

import random

import pytest
from sqlalchemy import delete, select

from backend.extensions import db, redis_store
from backend.models import AttentionCheck, CheckOutcome
from backend.services.learning.check_drain import CheckRow, is_check, write_checks
from backend.services.learning.live import stream_key, stream_keys
from tests.learning_driver import Learner, drain, enrolled

pytestmark = pytest.mark.both_redis  # on one Redis and on a Redis Cluster


def _prepared_checks_only():
    # Checks are prepared ahead only where a sequence can reserve their ids (not SQLite).
    if db.engine.dialect.name != "postgresql":
        pytest.skip("attention checks are prepared ahead on PostgreSQL only")


def _events(client, make, clock) -> list[dict]:
    """Checks passed, failed, expired and closed with the session; their stream entries."""
    _, lesson, trainee = enrolled(make, duration_s=3 * 3600, attention_check_interval_s=300)
    make.question(lesson.course, options=["甲", "乙", "丙"], attention_pool=True)
    me = Learner(client, make, trainee)
    me.check_in(lesson)
    seen: list[int] = []
    for _ in range(120):
        clock.advance(30)
        open_check = me.last and me.last["challenge"]
        answer = None
        if open_check:
            if open_check["id"] not in seen:
                seen.append(open_check["id"])
            # In turn: a wrong answer, a right one, none (it expires).
            given = ["A", "B", None][seen.index(open_check["id"]) % 3]
            answer = (open_check["id"], given) if given else None
        me.beat(answer=answer)
    clock.advance(5)
    me.end()
    entries = [e for key in stream_keys() for e in redis_store.client.xrange(key)]
    return [fields for _, fields in entries if is_check(fields)]


def _rows() -> list[tuple]:
    db.session.expire_all()
    columns = [c.key for c in AttentionCheck.__table__.c]
    checks = db.session.scalars(select(AttentionCheck).order_by(AttentionCheck.id))
    return [tuple(getattr(c, name) for name in columns) for c in checks]


def _write(batches: list[list[dict]]) -> list[tuple]:
    db.session.execute(delete(AttentionCheck))
    for batch in batches:
        write_checks([CheckRow.from_entry(fields) for fields in batch])
    db.session.commit()
    return _rows()


def test_events_in_any_order_or_twice_give_the_same_rows(client, make, frozen_clock):
    _prepared_checks_only()
    events = _events(client, make, frozen_clock)
    in_order = _write([[e] for e in events])
    outcomes = {row[-1] for row in in_order}
    assert outcomes == {CheckOutcome.PASSED, CheckOutcome.FAILED, CheckOutcome.EXPIRED}
    assert len(in_order) >= 6
    assert len(events) > len(in_order)  # opened, then settled: two events per check
    assert _write([[e] for e in reversed(events)]) == in_order
    shuffled = events * 2
    random.Random(7).shuffle(shuffled)
    assert _write([shuffled]) == in_order  # one batch, each event twice, any order
    halves = [shuffled[len(shuffled) // 2 :], shuffled[: len(shuffled) // 2]]
    assert _write(halves) == in_order
    # Only the opening of the last check seen: its row is pending until the rest arrives.
    last_opened = [e for e in events if e["oc"] == "pending"][-1]
    assert _write([[last_opened]])[0][-1] is CheckOutcome.PENDING
    assert _write([[last_opened], events, [last_opened]]) == in_order


def test_the_drainer_writes_a_redelivered_stream_alike(client, make, frozen_clock):
    _prepared_checks_only()
    events = _events(client, make, frozen_clock)
    drain()
    written = _rows()
    assert len(written) == len({e["i"] for e in events})
    for fields in reversed(events):  # a drainer's batch delivered again, and out of order
        partition = redis_store.partition_of(int(fields["t"]))
        redis_store.client.xadd(stream_key(partition), fields)
    drain()
    assert _rows() == written
