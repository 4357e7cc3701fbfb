"""Credited seconds become whole 45-minute class hours, from stored credited spans."""

from datetime import UTC, datetime, timedelta

from backend.policy import default_policy
from backend.services import hours

HOUR = 45 * 60
MARCH = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)


def test_hour_figures_count_whole_45_minute_hours(app):
    p = default_policy()
    assert hours.hour_figures(HOUR - 1, 8, p) == hours.HourFigures(HOUR - 1, 0, 0, 1)
    assert hours.hour_figures(HOUR, 8, p) == hours.HourFigures(HOUR, 1, 1, 45)
    assert hours.hour_figures(0, 8, p).minutes_to_next_hour == 45
    assert hours.hour_figures(HOUR + 61, 8, p).minutes_to_next_hour == 44
    assert hours.hour_figures(10 * HOUR, 8, p) == hours.HourFigures(10 * HOUR, 10, 8, 45)


def test_project_hours_cover_every_enrolled_trainee_within_the_dates(app, make):
    project = make.project(planned_class_hours=2)
    lesson = make.lesson(make.course(project))
    busy, idle = make.trainee(project.enterprise), make.trainee(project.enterprise)
    make.enrol(busy, project)
    make.enrol(idle, project)
    make.learning(busy, lesson, MARCH, 3 * HOUR + 600)
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
