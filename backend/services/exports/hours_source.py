"""Where the hours sheet gets its numbers: the class-hour engine, never rules of its own.

Everything about class hours and subsidy belongs to ``backend/services/hours.py`` (issue 4).
This module is the one seam between that engine and the exports: ``project_hours`` gives one
``TraineeHours`` a trainee.
"""

from __future__ import annotations

from sqlalchemy import func, select

from backend.models import CreditedSpan, Enrolment, Project
from backend.services import hours

# A trainee's figures: credited seconds, class hours, subsidizable hours, subsidy in fen.
TraineeHours = hours.SheetLine
NO_HOURS = hours.NO_CREDIT


def credited_seconds_query(project_id: int):
    """The bare SQL aggregate the sheet needs (credited seconds per enrolled trainee): the
    report benchmark's reference, not used to compute anything here."""
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


def project_hours(project: Project) -> dict[int, TraineeHours]:
    """Per enrolled trainee: credited time, class hours and subsidy after the yearly cap."""
    return hours.project_sheet(project)
