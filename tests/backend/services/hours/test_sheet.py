"""A project's sheet: every enrolled trainee's line in one pass, equal to the general rules."""

from datetime import UTC, date, datetime, timedelta

from backend.models import Trainee
from backend.services import hours

HOUR = 45 * 60
MARCH = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)


def test_project_sheet_agrees_with_hours_and_capped_subsidies(app, make):
    (_a, lesson_a, ta), (b, lesson_b, tb) = make.same_person_in_two_enterprises(
        {"planned_class_hours": 40}, {"planned_class_hours": 40}
    )
    other = make.trainee(b.enterprise)
    make.enrol(other, b)
    make.learning(ta, lesson_a, MARCH, 20 * HOUR)
    make.learning(tb, lesson_b, MARCH + timedelta(days=30), 20 * HOUR)
    make.learning(other, lesson_b, MARCH, 2 * HOUR + 100)
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
    (_a, lesson_a, ta), (b, lesson_b, tb) = make.same_person_in_two_enterprises(
        {"planned_class_hours": 30, **window}, {"planned_class_hours": 40, **window}
    )
    solo_over_cap, solo_small, idle = (make.trainee(b.enterprise) for _ in range(3))
    for trainee in (solo_over_cap, solo_small, idle):
        make.enrol(trainee, b)
    december = datetime(2026, 12, 20, 1, tzinfo=UTC)
    make.learning(ta, lesson_a, december, 25 * HOUR)
    make.learning(tb, lesson_b, december + timedelta(days=1), 12 * HOUR)
    # 36 class hours in December (over the cap) and 10 more in January (a new year's cap).
    make.learning(solo_over_cap, lesson_b, december, 36 * HOUR)
    make.learning(solo_over_cap, lesson_b, datetime(2027, 1, 5, 1, tzinfo=UTC), 10 * HOUR)
    make.learning(solo_small, lesson_b, december, 3 * HOUR + 5)
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


def test_sheet_rows_stream_the_asked_columns_in_order_with_each_line(app, make):
    project = make.project(planned_class_hours=2)
    lesson = make.lesson(make.course(project))
    trainees = [make.trainee(project.enterprise, roster_seq=seq) for seq in (3, 1, 2)]
    for trainee in trainees:
        make.enrol(trainee, project)
    make.learning(trainees[0], lesson, MARCH, 3 * HOUR + 60)
    make.learning(trainees[2], lesson, MARCH, HOUR - 1)
    rows = list(hours.sheet_rows(project, (Trainee.name,), (Trainee.roster_seq,)))
    assert [row.name for row, _ in rows] == [
        t.name for t in (trainees[1], trainees[2], trainees[0])
    ]
    assert [line for _, line in rows] == [
        hours.NO_CREDIT,
        hours.SheetLine(HOUR - 1, 0, 0, 0),
        hours.SheetLine(3 * HOUR + 60, 3, 2, 2 * 3000),
    ]
    assert hours.project_sheet(project) == {row.trainee_id: line for row, line in rows}
