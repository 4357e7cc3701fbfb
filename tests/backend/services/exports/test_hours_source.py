"""The hours sheet's figures come from the class-hour engine."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from backend.services.exports.hours_source import TraineeHours, project_hours


def test_figures_per_enrolled_trainee(make):
    project = make.project(planned_class_hours=8)
    lesson = make.lesson(make.course(project))
    learner, idle = make.trainee(project.enterprise), make.trainee(project.enterprise)
    make.enrol(learner, project)
    make.enrol(idle, project)
    start = datetime(2026, 3, 2, 1, tzinfo=UTC)
    session = make.ended_session(learner, lesson, start, 3300)
    for offset, seconds in ((0, 2700), (3000, 600)):
        make.credited_span(
            learner, lesson, start + timedelta(seconds=offset), seconds, session=session
        )
    assert project_hours(project) == {
        learner.id: TraineeHours(3300, 1, 1, 3000),
        idle.id: TraineeHours(0, 0, 0, 0),
    }
