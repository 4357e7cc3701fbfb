"""The fault script on a small scale: a lesson, a killed drainer, a database restart, a flush."""

from bench import faults


def test_faults_lose_at_most_two_beat_intervals_and_double_nothing():
    outcomes = faults.run(trainees=4, rounds=12, log=lambda _: None)
    assert [o.learned_s for o in outcomes] == [360] * 4
    assert all(o.doubled_s == 0 for o in outcomes)
    # The flush costs everyone the interval before their first beat after it (a fresh start);
    # the two who had just beaten also lose that beat's credit if it was not drained yet.
    assert [o.lost_s for o in outcomes[2:]] == [30, 30]
    assert all(o.lost_s in (30, 60) for o in outcomes[:2])
