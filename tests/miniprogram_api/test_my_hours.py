"""GET /me/hours: class hours per project and subsidy per year, from whole lessons."""

from datetime import UTC, date, datetime

from sqlalchemy import select

from backend.extensions import db
from backend.models import CreditedSpan
from tests.learning_driver import Learner, enrolled

# The project's policy numbers, so that a client can say how the figures are computed.
RULES = {
    "minutes_per_class_hour": 45,
    "fen_per_class_hour": 3000,
    "yearly_cap_fen": 100000,
    "planned_class_hours": 8,
}


def test_44_minutes_59_seconds_is_no_class_hour_and_45_minutes_is_one(client, make, frozen_clock):
    project, lesson, trainee = enrolled(make, attention_checks_enabled=False)
    me = Learner(client, make, trainee)
    me.check_in(lesson)
    me.play(2699)
    me.end()
    assert me.hours() == {
        "projects": [
            {
                "project_id": project.id,
                "credited_s": 2699,
                "class_hours": 0,
                "subsidizable_hours": 0,
                "minutes_to_next_hour": 1,
                "rules": RULES,
            }
        ],
        "years": [],
    }
    me.check_in(lesson)
    me.play(1)
    me.end()
    assert me.hours() == {
        "projects": [
            {
                "project_id": project.id,
                "credited_s": 2700,
                "class_hours": 1,
                "subsidizable_hours": 1,
                "minutes_to_next_hour": 45,
                "rules": RULES,
            }
        ],
        "years": [{"year": 2026, "class_hours": 1, "subsidy_fen": 3000}],
    }


def test_learning_across_midnight_splits_spans_and_dates_the_hour(
    client, make, frozen_clock, drain
):
    _project, lesson, trainee = enrolled(
        make,
        start_date=date(2026, 12, 1),
        end_date=date(2027, 1, 31),
        attention_checks_enabled=False,
    )
    frozen_clock.freeze(datetime(2026, 12, 31, 15, 30, tzinfo=UTC))  # 23:30 in China
    me = Learner(client, make, trainee)
    me.check_in(lesson)
    me.play(2700)
    me.end()
    drain()
    spans = db.session.scalars(select(CreditedSpan).order_by(CreditedSpan.start_at)).all()
    midnight = datetime(2026, 12, 31, 16, tzinfo=UTC)
    before = [s for s in spans if s.start_at < midnight]
    assert all(s.end_at <= midnight for s in before)  # no span crosses the China midnight
    assert sum(s.seconds for s in before) == 1800
    assert sum(s.seconds for s in spans) == 2700
    assert me.hours()["years"] == [{"year": 2027, "class_hours": 1, "subsidy_fen": 3000}]


def test_credit_stops_at_the_end_of_the_projects_last_day(client, make, frozen_clock):
    _project, lesson, trainee = enrolled(
        make, end_date=date(2026, 3, 2), attention_checks_enabled=False
    )
    frozen_clock.freeze(datetime(2026, 3, 2, 15, 50, tzinfo=UTC))  # 23:50 in China
    me = Learner(client, make, trainee)
    me.check_in(lesson)
    me.play(1200)
    assert me.end()["credited_s"] == 600
    assert me.hours()["projects"][0]["credited_s"] == 600


def _my_hours(client, me):
    """GET /me/hours as it is now, without waiting for the drain."""
    response = client.get("/api/v1/me/hours", headers=me.headers)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    project = body["projects"][0]
    years = [(y["year"], y["class_hours"], y["subsidy_fen"]) for y in body["years"]]
    return project["credited_s"], project["class_hours"], years


def test_my_hours_include_learning_in_progress_once(client, make, frozen_clock, drain):
    _project, lesson, trainee = enrolled(make, attention_checks_enabled=False, duration_s=3600)
    me = Learner(client, make, trainee)
    me.check_in(lesson)
    me.play(2640)
    drain()
    assert _my_hours(client, me) == (2640, 0, [])
    me.play(60)  # the 45th minute, not drained yet
    assert _my_hours(client, me) == (2700, 1, [(2026, 1, 3000)])
    assert drain() == 60
    assert _my_hours(client, me) == (2700, 1, [(2026, 1, 3000)])  # the same, not doubled
    me.play(30)
    drain()
    me.play(30)
    assert _my_hours(client, me) == (2760, 1, [(2026, 1, 3000)])  # half stored, half live
    # Checked out: the session's last credit still counts until the drain has written it.
    frozen_clock.advance(20)
    me.end()
    assert _my_hours(client, me) == (2780, 1, [(2026, 1, 3000)])
    assert drain() == 50
    assert _my_hours(client, me) == (2780, 1, [(2026, 1, 3000)])


def test_learning_in_progress_counts_when_the_yearly_cap_binds(client, make, frozen_clock, drain):
    project, lesson, trainee = enrolled(
        make, attention_checks_enabled=False, planned_class_hours=50, duration_s=3600
    )
    earlier = make.lesson(make.course(project))
    for day in range(1, 6):  # 46 class hours and 30 minutes: over the 1000 元 of a year
        make.credited_span(trainee, earlier, datetime(2026, 3, day, 1, tzinfo=UTC), 7 * 3600)
    make.credited_span(trainee, earlier, datetime(2026, 3, 6, 1, tzinfo=UTC), 14 * 60)
    make.session.commit()
    frozen_clock.freeze(datetime(2026, 3, 10, 1, tzinfo=UTC))
    me = Learner(client, make, trainee)
    me.check_in(lesson)
    assert _my_hours(client, me) == (47 * 2700 - 60, 46, [(2026, 46, 100000)])
    me.play(60)  # the 47th class hour, in Redis only
    assert _my_hours(client, me) == (47 * 2700, 47, [(2026, 47, 100000)])
    drain()
    assert _my_hours(client, me) == (47 * 2700, 47, [(2026, 47, 100000)])
