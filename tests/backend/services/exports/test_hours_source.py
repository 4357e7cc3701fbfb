"""The hours sheet's figures come from the class-hour engine."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from backend.models import Trainee
from backend.services.exports.hours_source import TraineeHours, trainees_with_hours


def test_figures_per_enrolled_trainee_in_the_asked_order(make):
    project = make.project(planned_class_hours=8)
    lesson = make.lesson(make.course(project))
    learner = make.trainee(project.enterprise, roster_seq=2)
    idle = make.trainee(project.enterprise, roster_seq=1)
    make.enrol(learner, project)
    make.enrol(idle, project)
    start = datetime(2026, 3, 2, 1, tzinfo=UTC)
    session = make.ended_session(learner, lesson, start, 3300)
    for offset, seconds in ((0, 2700), (3000, 600)):
        make.credited_span(
            learner, lesson, start + timedelta(seconds=offset), seconds, session=session
        )
    rows = trainees_with_hours(project, (Trainee.account,), (Trainee.roster_seq,))
    assert [(row.account, hours) for row, hours in rows] == [
        (idle.account, TraineeHours(0, 0, 0, 0)),
        (learner.account, TraineeHours(3300, 1, 1, 3000)),
    ]
