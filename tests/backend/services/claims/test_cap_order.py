"""The yearly cap across closed projects: allocated in the order projects closed, recorded, and
never changed by learning afterwards."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from backend.clock import clock
from backend.models import ClaimAllocation, Role
from backend.services import hours
from backend.services.claims.closing import close_project
from backend.services.claims.snapshot import digest as recompute

HOUR = 45 * 60
MARCH = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)


def _people(make):
    (a, lesson_a, ta), (b, lesson_b, tb) = make.same_person_in_two_enterprises(
        {"planned_class_hours": 40}, {"planned_class_hours": 40}
    )
    return (a, lesson_a, ta), (b, lesson_b, tb), make.admin(Role.OPERATOR)


def test_the_project_closed_first_takes_the_cap_first(app, make):
    (a, lesson_a, ta), (b, lesson_b, tb), operator = _people(make)
    # B's hours were earned first, yet A closes first: A is paid in full.
    make.learning(tb, lesson_b, MARCH, 20 * HOUR)
    make.learning(ta, lesson_a, MARCH + timedelta(days=10), 20 * HOUR)
    clock.freeze(datetime(2026, 7, 1, 2, tzinfo=UTC))
    first = close_project(a, operator, client_address="192.0.2.10")
    assert [(line.class_hours, line.subsidy_fen) for line in first.lines] == [(20, 60_000)]
    # Live figures of the open project already count what A's claim took.
    assert hours.project_sheet(b)[tb.id].subsidy_fen == 40_000

    second = close_project(b, operator, client_address="192.0.2.10")
    assert [(line.class_hours, line.subsidy_fen) for line in second.lines] == [(20, 40_000)]
    recorded = make.session.scalars(
        select(ClaimAllocation.subsidy_fen).order_by(ClaimAllocation.id)
    ).all()
    assert recorded == [60_000, 40_000]


def test_learning_elsewhere_after_close_changes_no_snapshot(app, make):
    (a, lesson_a, ta), (b, lesson_b, tb), operator = _people(make)
    make.learning(ta, lesson_a, MARCH, 10 * HOUR)
    clock.freeze(datetime(2026, 7, 1, 2, tzinfo=UTC))
    claim = close_project(a, operator, client_address="192.0.2.10")
    digest = claim.digest
    # Later the same person learns a lot in B, dated before A's hours: A's claim stays.
    make.learning(tb, lesson_b, MARCH - timedelta(days=1), 40 * HOUR)
    assert hours.project_sheet(a)[ta.id].subsidy_fen == 30_000
    assert hours.project_sheet(b)[tb.id].subsidy_fen == 70_000
    make.session.expire_all()
    assert [line.subsidy_fen for line in claim.lines] == [30_000]
    assert recompute(claim) == digest
