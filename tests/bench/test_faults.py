"""The fault script on a small scale: a lesson, a killed drainer, a database restart, a flush."""

import pytest

from bench import faults


@pytest.mark.parametrize("redis_kind", ["redis", "cluster"])
def test_faults_lose_at_most_five_seconds_a_trainee_and_double_nothing(redis_kind):
    # On one redis-server, and on a Redis Cluster of three masters (FLUSHALL on each).
    cluster = redis_kind == "cluster"
    outcomes = faults.run(trainees=4, rounds=12, cluster=cluster, log=lambda _: None)
    assert [o.learned_s for o in outcomes] == [360] * 4
    assert all(o.doubled_s == 0 for o in outcomes)
    # After the flush each session continues from its last drained beat: the two who had just
    # beaten (credit not drained yet) earn that interval again with the next beat, within the
    # allowed gap; the two who had not beaten yet lose nothing either.
    assert all(o.lost_s <= faults.LOST_TARGET_S for o in outcomes)
