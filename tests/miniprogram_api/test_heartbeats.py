"""Heartbeats: server time is the truth; gaps, background time and replays earn nothing."""

import pytest
from sqlalchemy import event, select

from backend.extensions import db
from backend.models import CreditedSpan
from tests.learning_driver import QUIET, Learner, enrolled

pytestmark = pytest.mark.both_redis  # on one Redis and on a Redis Cluster


def _learner(client, make, **project_fields):
    project_fields.setdefault("attention_checks_enabled", False)
    _, lesson, trainee = enrolled(make, **project_fields)
    me = Learner(client, make, trainee)
    me.check_in(lesson)
    return me, lesson


def test_check_in_is_the_first_beat_and_beats_credit_the_time_between(client, make, frozen_clock):
    me, _ = _learner(client, make)
    frozen_clock.advance(30)
    assert me.beat() == {"credited_s": 30, "acked_seq": 1, "challenge": None, **QUIET}
    frozen_clock.advance(17.6)  # whole wall-clock seconds: 17 now, the rest with the next beat
    assert me.beat()["credited_s"] == 47
    frozen_clock.advance(12.4)
    assert me.beat()["credited_s"] == 60


def test_a_gap_longer_than_twice_the_interval_earns_nothing(client, make, frozen_clock):
    me, _ = _learner(client, make)
    me.play(60)
    frozen_clock.advance(61)
    assert me.beat()["credited_s"] == 60
    frozen_clock.advance(60)  # exactly the allowed gap
    assert me.beat()["credited_s"] == 120


def test_time_in_the_background_earns_nothing(client, make, frozen_clock):
    me, _ = _learner(client, make)
    me.play(30)
    frozen_clock.advance(30)
    assert me.beat(playing=False)["credited_s"] == 60  # it played until this beat
    frozen_clock.advance(30)
    assert me.beat(playing=False)["credited_s"] == 60
    frozen_clock.advance(30)
    assert me.beat(playing=True)["credited_s"] == 60  # paused until now
    frozen_clock.advance(30)
    assert me.beat()["credited_s"] == 90


def test_replayed_beats_are_answered_alike_and_credit_nothing(client, make, frozen_clock):
    me, _ = _learner(client, make)
    me.play(90)
    frozen_clock.advance(30)
    assert me.beat(seq=2) == {"credited_s": 90, "acked_seq": 3, "challenge": None, **QUIET}
    assert me.beat(seq=3)["credited_s"] == 90
    me.seq = 3
    assert me.beat()["credited_s"] == 120
    frozen_clock.advance(30)
    assert me.batch([-60, -30, 0]) == {
        "credited_s": 150,
        "acked_seq": 7,
        "challenge": None,
        **QUIET,
    }
    # The same batch again, seq for seq.
    me.seq -= 3
    assert me.batch([-60, -30, 0])["credited_s"] == 150


def test_a_lesson_never_yields_more_than_its_duration(client, make, frozen_clock):
    me, lesson = _learner(client, make, duration_s=600)
    me.play(900)
    assert me.end()["lesson_credited_s"] == 600
    me.check_in(lesson)
    me.play(300)
    result = me.end()
    assert (result["credited_s"], result["lesson_credited_s"]) == (0, 600)


def test_an_offline_batch_is_mapped_through_the_check_in_offset(client, make, frozen_clock, drain):
    me, _ = _learner(client, make)
    checked_in = frozen_clock.now()
    me.play(60)
    frozen_clock.advance(600)  # ten minutes offline, beats buffered every 30 s
    assert me.batch([-570 + 30 * i for i in range(20)])["credited_s"] == 660
    # Two live beats, then the batch as one stretch, back to back: one span.
    assert drain() == 660
    spans = db.session.scalars(select(CreditedSpan).order_by(CreditedSpan.start_at)).all()
    assert [((s.start_at - checked_in).seconds, s.seconds, s.device) for s in spans] == [
        (0, 660, "iPhone 15"),
    ]


def test_a_batch_within_the_clock_tolerance_is_clamped_to_now(client, make, frozen_clock):
    me, _ = _learner(client, make)
    me.play(30)
    frozen_clock.advance(30)
    # The device clock ran 100 s fast meanwhile: within the 120 s tolerance, placed at now.
    assert me.batch([100])["credited_s"] == 60


def test_a_late_batch_is_rejected_whole(client, make, frozen_clock):
    me, _ = _learner(client, make)
    me.play(60)
    frozen_clock.advance(1801)
    error = me.batch([-1771 + 30 * i for i in range(59)], expect=409)
    assert error["error"]["code"] == "batch_too_late"
    assert me.end()["credited_s"] == 60


def test_an_early_batch_is_rejected_whole(client, make, frozen_clock):
    me, _ = _learner(client, make)
    me.play(60)
    frozen_clock.advance(30)
    # Beats that would lie before the check-in: the device clock was set back.
    error = me.batch([-300, -200, 0], expect=422)
    assert error["error"]["code"] == "batch_clock_skew"
    error = me.batch([0, 500], expect=422)  # and ones in the future
    assert error["error"]["code"] == "batch_clock_skew"
    assert me.beat()["credited_s"] == 90


def test_a_batch_refused_for_future_beats_credits_nothing_when_sent_again(
    client, make, frozen_clock
):
    me, _ = _learner(client, make)
    me.play(30)
    beats = [
        {"seq": me.seq + n, "client_ts": me.client_ts(at), "position_s": 0, "playing": True}
        for n, at in ((1, 20), (2, 50), (3, 200))
    ]
    url = f"/api/v1/sessions/{me.session_id}/heartbeats"
    refused = client.post(url, json={"beats": beats}, headers=me.headers)
    assert refused.get_json()["error"]["code"] == "batch_clock_skew"
    # Five minutes on, the beats no longer lie in the future; the same batch is still refused
    # credit (a replay), and later beats carry on from it.
    frozen_clock.advance(300)
    again = client.post(url, json={"beats": beats}, headers=me.headers)
    assert again.status_code == 200 and again.get_json()["credited_s"] == 30
    me.seq += 3
    me.play(60)  # the first beat after the pause restarts the count, the next credits 30 s
    assert me.end()["credited_s"] == 30 + 30


def test_a_batch_needs_increasing_seq(client, make, frozen_clock):
    me, _ = _learner(client, make)
    frozen_clock.advance(61)  # past the allowed gap, so that check-out adds nothing either
    beats = [
        {"seq": 2, "client_ts": me.client_ts(-31), "position_s": 0, "playing": True},
        {"seq": 1, "client_ts": me.client_ts(), "position_s": 0, "playing": True},
    ]
    response = client.post(
        f"/api/v1/sessions/{me.session_id}/heartbeats", json={"beats": beats}, headers=me.headers
    )
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "batch_seq_not_increasing"
    assert me.end()["credited_s"] == 0


def test_an_offline_batch_never_credits_a_second_again(client, make, frozen_clock):
    me, _ = _learner(client, make)
    me.play(120)
    # A batch of beats the device also sent live (new seq numbers, same moments).
    assert me.batch([-90, -60, -30, 0])["credited_s"] == 120
    frozen_clock.advance(30)
    assert me.beat()["credited_s"] == 150


def test_a_beat_issues_no_database_statement_even_past_five_minutes_of_credit(
    app, client, make, frozen_clock
):
    me, _ = _learner(client, make)
    me.play(600)
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        for _ in range(5):
            frozen_clock.advance(30)
            me.beat()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert statements == []
    assert me.last["credited_s"] == 750


def test_heartbeat_bodies_are_validated(client, make, frozen_clock):
    me, _ = _learner(client, make)
    url = f"/api/v1/sessions/{me.session_id}/heartbeats"
    for body in (
        {"seq": 0, "client_ts": 1, "position_s": 0, "playing": True},
        {"seq": 1, "client_ts": 1, "position_s": 0},
        {"beats": []},
        {"seq": 1, "client_ts": 1, "position_s": 0, "playing": True, "extra": 1},
    ):
        response = client.post(url, json=body, headers=me.headers)
        assert response.status_code == 422, body
        assert response.get_json()["error"]["code"] == "validation_error"
    assert client.post(url, json={"beats": []}).status_code == 401
