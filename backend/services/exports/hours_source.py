"""Where the hours sheet gets its numbers: the class-hour engine, never rules of its own.

Everything about class hours and subsidy belongs to ``backend/services/hours.py`` (issue 4).
This module is the one seam between that engine and the exports: ``project_hours`` yields one
``TraineeHours`` a trainee. Until the engine lands, only credited seconds are known (summed
from credited spans); the class-hour and subsidy fields stay ``None`` and the sheet shows them
blank rather than guessing.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import func, select

from backend.extensions import db
from backend.models import CreditedSpan, Enrolment


@dataclass(frozen=True)
class TraineeHours:
    """One trainee's figures for one project."""

    trainee_id: int
    credited_s: int
    class_hours: int | None
    subsidizable_hours: int | None
    subsidy_fen: int | None


def credited_seconds_query(project_id: int):
    """The bare SQL aggregate: credited seconds per enrolled trainee of the project."""
    credited = (
        select(CreditedSpan.trainee_id, func.sum(CreditedSpan.seconds).label("seconds"))
        .where(CreditedSpan.project_id == project_id)
        .group_by(CreditedSpan.trainee_id)
        .subquery()
    )
    return (
        select(Enrolment.trainee_id, func.coalesce(credited.c.seconds, 0))
        .outerjoin(credited, credited.c.trainee_id == Enrolment.trainee_id)
        .where(Enrolment.project_id == project_id)
    )


def project_hours(project_id: int) -> Iterator[TraineeHours]:
    """Per-trainee credited time, class hours and subsidy of a project."""
    for trainee_id, seconds in db.session.execute(credited_seconds_query(project_id)):
        yield TraineeHours(trainee_id, int(seconds), None, None, None)
