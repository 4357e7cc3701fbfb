"""The subsidy: 30 yuan a class hour, capped per person and China-time year across projects."""

from datetime import UTC, date, datetime, timedelta

from backend.clock import local_date
from backend.policy import default_policy
from backend.services import hours
from backend.services.hours.subsidy import Allocation, PersonYear

HOUR = 45 * 60
MARCH = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)


def allocate_in_order(result, earned, person_of, policy, rates=None) -> None:
    """The reference: every earned hour in order, paid its rate until the person-year's cap."""
    rates = rates or {}
    earned.sort(key=lambda h: (h.earned_at, h.project_id, h.trainee_id, h.number))
    for hour in earned:
        person = person_of[hour.trainee_id]
        year = local_date(hour.earned_at).year
        record = result[person].setdefault(year, PersonYear(person, year))
        key = (hour.trainee_id, hour.project_id)
        share = record.allocations.setdefault(key, Allocation(*key))
        record.class_hours += 1
        share.class_hours += 1
        if not hour.subsidizable:
            continue
        rate = rates.get(hour.project_id, policy.fen_per_class_hour)
        fen = min(rate, policy.yearly_cap_fen_per_trainee - record.subsidy_fen)
        record.subsidizable_hours += 1
        record.subsidy_fen += fen
        share.subsidizable_hours += 1
        share.subsidy_fen += fen


def test_the_yearly_cap_spans_projects_in_the_order_hours_were_earned(app, make):
    (a, lesson_a, ta), (b, lesson_b, tb) = make.same_person_in_two_enterprises(
        {"planned_class_hours": 40}, {"planned_class_hours": 40}
    )
    make.learning(ta, lesson_a, MARCH, 20 * HOUR)
    make.learning(tb, lesson_b, MARCH + timedelta(days=30), 20 * HOUR)
    years = hours.yearly_subsidies([ta.id_number_hash])[ta.id_number_hash]
    year = years[2026]
    assert (year.class_hours, year.subsidizable_hours, year.subsidy_fen) == (40, 40, 100_000)
    assert year.allocations[(ta.id, a.id)].subsidy_fen == 60_000
    second = year.allocations[(tb.id, b.id)]
    # 13 hours in full, then the 14th gets what is left of the cap, then nothing.
    assert (second.class_hours, second.subsidy_fen) == (20, 40_000)
    assert hours.project_subsidies(b) == {tb.id: {2026: second}}


def test_subsidizable_hours_stop_at_the_planned_class_hours(app, make):
    project = make.project(planned_class_hours=8)
    lesson = make.lesson(make.course(project))
    trainee = make.trainee(project.enterprise)
    make.enrol(trainee, project)
    make.learning(trainee, lesson, MARCH, 10 * HOUR)
    year = hours.yearly_subsidies([trainee.id_number_hash])[trainee.id_number_hash][2026]
    assert (year.class_hours, year.subsidizable_hours, year.subsidy_fen) == (10, 8, 24_000)


def test_hours_belong_to_the_china_year_in_which_they_were_earned(app, make):
    project = make.project(
        planned_class_hours=80, start_date=date(2026, 12, 1), end_date=date(2027, 1, 31)
    )
    lesson = make.lesson(make.course(project))
    trainee = make.trainee(project.enterprise)
    make.enrol(trainee, project)
    # 30.5 hours in December...
    make.learning(trainee, lesson, datetime(2026, 12, 1, 0, tzinfo=UTC), 30 * HOUR + 1350)
    # ... and 10 more hours from 00:00 China time on 1 January: the 31st is earned at 00:22:30.
    make.learning(trainee, lesson, datetime(2026, 12, 31, 16, tzinfo=UTC), 10 * HOUR)
    years = hours.yearly_subsidies([trainee.id_number_hash])[trainee.id_number_hash]
    assert (years[2026].class_hours, years[2026].subsidy_fen) == (30, 90_000)
    assert (years[2027].class_hours, years[2027].subsidy_fen) == (10, 30_000)
    first_of_2027 = next(h for h in hours.earned_hours(project) if h.number == 31)
    assert first_of_2027.earned_at == datetime(2026, 12, 31, 16, 22, 30, tzinfo=UTC)


def test_the_yearly_cap_restarts_in_a_new_year(app, make):
    (_, lesson_a, ta), (_, lesson_b, tb) = make.same_person_in_two_enterprises(
        {"planned_class_hours": 40, "start_date": date(2026, 12, 1), "end_date": date(2027, 1, 31)},
        {"planned_class_hours": 40, "start_date": date(2027, 1, 1), "end_date": date(2027, 3, 31)},
    )
    make.learning(ta, lesson_a, datetime(2026, 12, 1, tzinfo=UTC), 35 * HOUR)
    make.learning(tb, lesson_b, datetime(2027, 1, 10, tzinfo=UTC), 35 * HOUR)
    years = hours.yearly_subsidies([ta.id_number_hash])[ta.id_number_hash]
    assert {y: r.subsidy_fen for y, r in years.items()} == {2026: 100_000, 2027: 100_000}


def test_per_year_sums_agree_with_paying_every_hour_in_order(app, make):
    """The fast path (per-year sums where the cap cannot bind) gives exactly what walking every
    earned hour in order gives, across a year boundary, two projects and interleaved learning."""
    import random

    rng = random.Random(20261127)
    december = datetime(2026, 12, 20, 0, 0, tzinfo=UTC)
    window = {"start_date": date(2026, 12, 1), "end_date": date(2027, 2, 28)}
    (a, lesson_a, ta), (b, lesson_b, tb) = make.same_person_in_two_enterprises(
        {"planned_class_hours": 12, **window}, {"planned_class_hours": 30, **window}
    )
    solo = make.trainee(a.enterprise)
    make.enrol(solo, a)
    for day in range(40):
        at = december + timedelta(days=day, hours=rng.randint(0, 10))
        for trainee, lesson in ((ta, lesson_a), (tb, lesson_b), (solo, lesson_a)):
            if rng.random() < 0.6:
                at = make.learning(trainee, lesson, at, rng.randint(1, 5) * 900, piece_s=900)
    policy = default_policy()
    hashes = [ta.id_number_hash, solo.id_number_hash]
    fast = hours.yearly_subsidies(hashes, policy)
    person_of = {ta.id: ta.id_number_hash, tb.id: tb.id_number_hash, solo.id: solo.id_number_hash}
    walked: dict = {h: {} for h in hashes}
    earned = hours.earned_hours(a, list(person_of), policy)
    earned += hours.earned_hours(b, list(person_of), policy)
    allocate_in_order(walked, earned, person_of, policy)
    assert fast == walked
    assert set(fast[ta.id_number_hash]) == {2026, 2027}


def test_paying_in_order_where_the_cap_binds_agrees_with_the_hour_by_hour_walk(app, make):
    """Over the cap, the statement that pays each hour in order gives exactly what walking
    every earned hour in Python gives: interleaved learning in two projects, across a year."""
    import random

    rng = random.Random(20261202)
    december = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
    window = {"start_date": date(2026, 11, 1), "end_date": date(2027, 3, 31)}
    (a, lesson_a, ta), (b, lesson_b, tb) = make.same_person_in_two_enterprises(
        {"planned_class_hours": 30, **window}, {"planned_class_hours": 25, **window}
    )
    for day in range(60):
        at = december + timedelta(days=day, hours=rng.randint(0, 6))
        for trainee, lesson in rng.sample([(ta, lesson_a), (tb, lesson_b)], 2):
            if rng.random() < 0.8:
                at = make.learning(trainee, lesson, at, rng.randint(2, 9) * 900, piece_s=900)
    policy = default_policy()
    fast = hours.yearly_subsidies([ta.id_number_hash], policy)
    person_of = {ta.id: ta.id_number_hash, tb.id: tb.id_number_hash}
    walked: dict = {ta.id_number_hash: {}}
    earned = hours.earned_hours(a, list(person_of), policy)
    earned += hours.earned_hours(b, list(person_of), policy)
    allocate_in_order(walked, earned, person_of, policy)
    assert fast == walked
    # The cap binds in 2026 and both projects have paid hours in it: the order decided.
    year = fast[ta.id_number_hash][2026]
    cap = policy.yearly_cap_fen_per_trainee
    assert year.subsidy_fen == cap < year.subsidizable_hours * policy.fen_per_class_hour
    assert all(share.subsidy_fen > 0 for share in year.allocations.values())
    assert len(year.allocations) == 2
