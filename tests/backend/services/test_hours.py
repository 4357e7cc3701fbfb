"""Class hours and subsidy arithmetic, from stored credited spans."""

from datetime import UTC, date, datetime, timedelta

from backend.services import hours
from tests.factories import id_number

HOUR = 45 * 60
MARCH = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)


def test_hour_figures_count_whole_45_minute_hours(app):
    assert hours.hour_figures(HOUR - 1, 8) == hours.HourFigures(HOUR - 1, 0, 0, 1)
    assert hours.hour_figures(HOUR, 8) == hours.HourFigures(HOUR, 1, 1, 45)
    assert hours.hour_figures(0, 8).minutes_to_next_hour == 45
    assert hours.hour_figures(HOUR + 61, 8).minutes_to_next_hour == 44
    assert hours.hour_figures(10 * HOUR, 8) == hours.HourFigures(10 * HOUR, 10, 8, 45)


def _learn(make, trainee, lesson, start, total_s, piece_s=1800):
    """Credited spans of ``piece_s`` seconds back to back, never across a China midnight."""
    at, left = start, total_s
    while left:
        seconds = min(piece_s, left)
        make.credited_span(trainee, lesson, at, seconds)
        at += timedelta(seconds=seconds)
        left -= seconds
    return at


def test_project_hours_cover_every_enrolled_trainee_within_the_dates(app, make):
    project = make.project(planned_class_hours=2)
    lesson = make.lesson(make.course(project))
    busy, idle = make.trainee(project.enterprise), make.trainee(project.enterprise)
    make.enrol(busy, project)
    make.enrol(idle, project)
    _learn(make, busy, lesson, MARCH, 3 * HOUR + 600)
    # Before the project's first day (China time): not counted.
    make.credited_span(busy, lesson, datetime(2026, 2, 28, 15, 0, tzinfo=UTC), 900)
    figures = hours.project_hours(project)
    assert figures == {
        busy.id: hours.HourFigures(3 * HOUR + 600, 3, 2, 35),
        idle.id: hours.HourFigures(0, 0, 0, 45),
    }


def test_an_hour_is_earned_when_the_running_total_crosses_45_minutes(app, make):
    project = make.project()
    lesson = make.lesson(make.course(project))
    trainee = make.trainee(project.enterprise)
    make.enrol(trainee, project)
    make.credited_span(trainee, lesson, MARCH, 2000)
    make.credited_span(trainee, lesson, MARCH + timedelta(hours=5), 4000)
    earned = hours.earned_hours(project)
    assert [(h.number, h.earned_at) for h in earned] == [
        (1, MARCH + timedelta(hours=5, seconds=700)),
        (2, MARCH + timedelta(hours=5, seconds=700 + HOUR)),
    ]


def _person_in_two_enterprises(make, first_fields, second_fields):
    plain_id = id_number(777)
    rows = []
    for fields in (first_fields, second_fields):
        project = make.project(**fields)
        lesson = make.lesson(make.course(project))
        trainee = make.trainee(project.enterprise, id_number=plain_id)
        make.enrol(trainee, project)
        rows.append((project, lesson, trainee))
    return rows


def test_the_yearly_cap_spans_projects_in_the_order_hours_were_earned(app, make):
    (a, lesson_a, ta), (b, lesson_b, tb) = _person_in_two_enterprises(
        make, {"planned_class_hours": 40}, {"planned_class_hours": 40}
    )
    _learn(make, ta, lesson_a, MARCH, 20 * HOUR)
    _learn(make, tb, lesson_b, MARCH + timedelta(days=30), 20 * HOUR)
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
    _learn(make, trainee, lesson, MARCH, 10 * HOUR)
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
    _learn(make, trainee, lesson, datetime(2026, 12, 1, 0, tzinfo=UTC), 30 * HOUR + 1350)
    # ... and 10 more hours from 00:00 China time on 1 January: the 31st is earned at 00:22:30.
    _learn(make, trainee, lesson, datetime(2026, 12, 31, 16, tzinfo=UTC), 10 * HOUR)
    years = hours.yearly_subsidies([trainee.id_number_hash])[trainee.id_number_hash]
    assert (years[2026].class_hours, years[2026].subsidy_fen) == (30, 90_000)
    assert (years[2027].class_hours, years[2027].subsidy_fen) == (10, 30_000)
    first_of_2027 = next(h for h in hours.earned_hours(project) if h.number == 31)
    assert first_of_2027.earned_at == datetime(2026, 12, 31, 16, 22, 30, tzinfo=UTC)


def test_the_yearly_cap_restarts_in_a_new_year(app, make):
    (_, lesson_a, ta), (_, lesson_b, tb) = _person_in_two_enterprises(
        make,
        {"planned_class_hours": 40, "start_date": date(2026, 12, 1), "end_date": date(2027, 1, 31)},
        {"planned_class_hours": 40, "start_date": date(2027, 1, 1), "end_date": date(2027, 3, 31)},
    )
    _learn(make, ta, lesson_a, datetime(2026, 12, 1, tzinfo=UTC), 35 * HOUR)
    _learn(make, tb, lesson_b, datetime(2027, 1, 10, tzinfo=UTC), 35 * HOUR)
    years = hours.yearly_subsidies([ta.id_number_hash])[ta.id_number_hash]
    assert {y: r.subsidy_fen for y, r in years.items()} == {2026: 100_000, 2027: 100_000}


def test_per_year_sums_agree_with_paying_every_hour_in_order(app, make):
    """The fast path (per-year sums where the cap cannot bind) gives exactly what walking every
    earned hour in order gives, across a year boundary, two projects and interleaved learning."""
    import random

    rng = random.Random(20261127)
    december = datetime(2026, 12, 20, 0, 0, tzinfo=UTC)
    window = {"start_date": date(2026, 12, 1), "end_date": date(2027, 2, 28)}
    (a, lesson_a, ta), (b, lesson_b, tb) = _person_in_two_enterprises(
        make, {"planned_class_hours": 12, **window}, {"planned_class_hours": 30, **window}
    )
    solo = make.trainee(a.enterprise)
    make.enrol(solo, a)
    for day in range(40):
        at = december + timedelta(days=day, hours=rng.randint(0, 10))
        for trainee, lesson in ((ta, lesson_a), (tb, lesson_b), (solo, lesson_a)):
            if rng.random() < 0.6:
                at = _learn(make, trainee, lesson, at, rng.randint(1, 5) * 900, piece_s=900)
    policy = hours.current_policy()
    hashes = [ta.id_number_hash, solo.id_number_hash]
    fast = hours.yearly_subsidies(hashes, policy)
    person_of = {ta.id: ta.id_number_hash, tb.id: tb.id_number_hash, solo.id: solo.id_number_hash}
    walked: dict = {h: {} for h in hashes}
    earned = hours.earned_hours(a, list(person_of), policy)
    earned += hours.earned_hours(b, list(person_of), policy)
    hours._allocate_in_order(walked, earned, person_of, policy)
    assert fast == walked
    assert set(fast[ta.id_number_hash]) == {2026, 2027}


def test_project_sheet_agrees_with_hours_and_capped_subsidies(app, make):
    (_a, lesson_a, ta), (b, lesson_b, tb) = _person_in_two_enterprises(
        make, {"planned_class_hours": 40}, {"planned_class_hours": 40}
    )
    other = make.trainee(b.enterprise)
    make.enrol(other, b)
    _learn(make, ta, lesson_a, MARCH, 20 * HOUR)
    _learn(make, tb, lesson_b, MARCH + timedelta(days=30), 20 * HOUR)
    _learn(make, other, lesson_b, MARCH, 2 * HOUR + 100)
    sheet = hours.project_sheet(b)
    figures = hours.project_hours(b)
    assert {tid: (line.credited_s, line.class_hours) for tid, line in sheet.items()} == {
        tid: (fig.credited_s, fig.class_hours) for tid, fig in figures.items()
    }
    # The same person's earlier hours in project a used up most of the yearly cap.
    assert sheet[tb.id] == hours.SheetLine(20 * HOUR, 20, 20, 40_000)
    assert sheet[other.id] == hours.SheetLine(2 * HOUR + 100, 2, 2, 2 * 3000)


def test_project_sheet_short_cut_agrees_with_the_cross_project_allocation(app, make):
    """People learning only in this project skip the cross-project allocation; their lines must
    equal what it gives, over a year boundary and with the yearly cap binding in one project."""
    window = {"start_date": date(2026, 12, 1), "end_date": date(2027, 2, 28)}
    (_a, lesson_a, ta), (b, lesson_b, tb) = _person_in_two_enterprises(
        make, {"planned_class_hours": 30, **window}, {"planned_class_hours": 40, **window}
    )
    solo_over_cap, solo_small, idle = (make.trainee(b.enterprise) for _ in range(3))
    for trainee in (solo_over_cap, solo_small, idle):
        make.enrol(trainee, b)
    december = datetime(2026, 12, 20, 1, tzinfo=UTC)
    _learn(make, ta, lesson_a, december, 25 * HOUR)
    _learn(make, tb, lesson_b, december + timedelta(days=1), 12 * HOUR)
    # 36 class hours in December (over the cap) and 10 more in January (a new year's cap).
    _learn(make, solo_over_cap, lesson_b, december, 36 * HOUR)
    _learn(make, solo_over_cap, lesson_b, datetime(2027, 1, 5, 1, tzinfo=UTC), 10 * HOUR)
    _learn(make, solo_small, lesson_b, december, 3 * HOUR + 5)
    sheet = hours.project_sheet(b)
    general = hours.project_subsidies(b)
    figures = hours.project_hours(b)
    for trainee in (tb, solo_over_cap, solo_small, idle):
        years = general.get(trainee.id, {}).values()
        assert sheet[trainee.id] == hours.SheetLine(
            figures[trainee.id].credited_s,
            sum(share.class_hours for share in years),
            sum(share.subsidizable_hours for share in years),
            sum(share.subsidy_fen for share in years),
        )
    # 36 hours of December pay 1000 yuan (the cap), January's four remaining planned hours 120.
    assert sheet[solo_over_cap.id] == hours.SheetLine(46 * HOUR, 46, 40, 100_000 + 12_000)
    assert sheet[idle.id] == hours.NO_CREDIT
    assert sheet[tb.id].subsidy_fen == 100_000 - 25 * 3000  # ta's 25 hours came first
