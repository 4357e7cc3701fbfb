"""The daily maximum of credited time per trainee and China-time day (policy data)."""

from backend.extensions import db
from backend.services.learning.heartbeats import DAILY_CAP_NOTICE
from tests.factories import days
from tests.learning_driver import Learner, enrolled

CAP_S = 8 * 3600  # guangdong_2020's daily_credit_cap_s


def test_credit_stops_at_the_daily_maximum_and_says_why(client, make, frozen_clock):
    _, lesson, trainee = enrolled(make, duration_s=20 * 3600, attention_checks_enabled=False)
    me = Learner(client, make, trainee)
    me.check_in(lesson)  # 09:00 China time
    reply = me.play(CAP_S, every=60)
    assert reply["credited_s"] == CAP_S and reply["notice"] is None
    reply = me.play(60, every=60)
    assert reply["credited_s"] == CAP_S
    assert reply["notice"] == DAILY_CAP_NOTICE
    me.end()
    # Another session the same day: nothing more counts.
    frozen_clock.advance(600)
    me.check_in(lesson)
    reply = me.play(120, every=60)
    assert reply["credited_s"] == 0 and reply["notice"]["code"] == "daily_cap_reached"
    me.end()
    # The next day counts again.
    frozen_clock.advance(days(1).total_seconds())
    me.check_in(lesson)
    reply = me.play(120, every=60)
    assert reply["credited_s"] == 120 and reply["notice"] is None
    me.end()
    db.session.expire_all()
    assert me.hours()["projects"][0]["credited_s"] == CAP_S + 120
