"""For random beat streams: credit never exceeds wall time, never counts a second twice, and
replays change nothing."""

from datetime import UTC, datetime, timedelta
from itertools import pairwise

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from backend.clock import clock
from backend.extensions import db
from backend.models import CreditedSpan
from tests.learning_driver import drain

START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)

tick = st.tuples(st.just("tick"), st.sampled_from([1, 15, 29, 30, 30, 30, 45, 59, 60, 61]))
steps = st.one_of(
    # Mostly a wait and a live beat, playing or not, as a real client sends them.
    *[st.tuples(tick, st.booleans())] * 6,
    *[st.tuples(st.just("replay"), st.integers(0, 3))] * 2,
    st.tuples(st.just("wait"), st.integers(0, 400)),
    st.tuples(st.just("batch"), st.lists(st.integers(-150, 130), min_size=1, max_size=6)),
    st.tuples(st.just("switch"), st.integers(-200_000, 200_000)),
    st.tuples(st.just("end"), st.just(0)),
)
# A replayed beat that was playing must not revive a session paused since.
REPLAY_AFTER_PAUSE = [
    (("tick", 30), True),
    (("tick", 30), False),
    ("replay", 1),
    (("tick", 30), True),
]
# A batch refused for a beat 130 s in the future, sent again once that time has passed.
RESEND_AFTER_FUTURE_BATCH = [("batch", [4, 130]), ("wait", 217), ("replay", 0)]


class Device:
    """A trainee's client: sends requests and can resend any earlier one byte for byte."""

    def __init__(self, client, headers, lesson):
        self.client, self.headers, self.lesson = client, headers, lesson
        self.session_id = None
        self.seq = 0
        self.skew_ms = 0
        self.sent: list[tuple[str, dict]] = []

    def _post(self, url, body):
        return self.client.post(url, json=body, headers=self.headers).status_code

    def _ts(self, offset_s=0):
        return int((clock.now().timestamp() + offset_s) * 1000) + self.skew_ms

    def check_in(self, skew_ms):
        self.skew_ms = skew_ms
        response = self.client.post(
            f"/api/v1/lessons/{self.lesson.id}/sessions",
            json={"client_ts": self._ts(), "device": "d"},
            headers=self.headers,
        )
        self.session_id, self.seq, self.sent = response.get_json()["session_id"], 0, []
        return response.status_code

    def send(self, body):
        url = f"/api/v1/sessions/{self.session_id}/heartbeats"
        self.sent.append((url, body))
        return self._post(url, body)

    def beat(self, playing):
        self.seq += 1
        return self.send(
            {"seq": self.seq, "client_ts": self._ts(), "position_s": 0, "playing": playing}
        )

    def batch(self, offsets):
        beats = []
        for offset in sorted(offsets):
            self.seq += 1
            beats.append(
                {"seq": self.seq, "client_ts": self._ts(offset), "position_s": 0, "playing": True}
            )
        return self.send({"beats": beats})

    def replay(self, index):
        if not self.sent:
            return None
        return self._post(*self.sent[-1 - index % len(self.sent)])  # mostly recent ones

    def end(self):
        return self._post(f"/api/v1/sessions/{self.session_id}/end", {"position_s": 0})


def _spans(trainee_id):
    query = select(CreditedSpan).where(CreditedSpan.trainee_id == trainee_id)
    return db.session.scalars(query.order_by(CreditedSpan.start_at)).all()


@settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(stream=st.lists(steps, min_size=1, max_size=30), duration=st.sampled_from([300, 36000]))
@example(stream=REPLAY_AFTER_PAUSE, duration=36000)
@example(stream=RESEND_AFTER_FUTURE_BATCH, duration=36000)
def test_random_beat_streams(client, make, stream, duration):
    clock.freeze(START)
    project = make.project(attention_checks_enabled=False)
    lesson = make.lesson(make.course(project), duration_s=duration)
    replayed, plain = make.trainee(project.enterprise), make.trainee(project.enterprise)
    make.enrol(replayed, project)
    make.enrol(plain, project)
    # Two trainees in lockstep: one also gets every replay, the other never does.
    a, b = (Device(client, make.auth(t), lesson) for t in (replayed, plain))
    assert a.check_in(0) == b.check_in(0) == 201
    for op, arg in stream:
        if isinstance(op, tuple):
            clock.advance(op[1])
            assert a.beat(arg) == b.beat(arg)
        elif op == "wait":
            clock.advance(arg)
        elif op == "batch":
            assert a.batch(arg) == b.batch(arg)
        elif op == "replay":
            a.replay(arg)
        elif op == "switch":
            assert a.check_in(arg) == b.check_in(arg) == 201
        else:
            assert a.end() == b.end()
    a.end()
    b.end()
    elapsed = int((clock.now() - START).total_seconds())
    drain()
    spans_a, spans_b = _spans(replayed.id), _spans(plain.id)
    total = sum(s.seconds for s in spans_a)
    assert total <= elapsed
    assert total <= duration
    for before, after in pairwise(spans_a):
        assert before.end_at <= after.start_at  # no second counted twice
    assert all(s.start_at >= START and s.end_at <= clock.now() for s in spans_a)
    assert all(s.seconds == (s.end_at - s.start_at) / timedelta(seconds=1) for s in spans_a)
    # Replays changed nothing: the same seconds were credited.
    assert [(s.start_at, s.end_at) for s in spans_a] == [(s.start_at, s.end_at) for s in spans_b]
