"""Where the hours sheet gets its numbers: the class-hour engine, never rules of its own.

Everything about class hours and subsidy belongs to ``backend/services/hours.py`` (issue 4).
This module is the one seam between that engine and the exports: ``project_hours`` yields one
``TraineeHours`` a trainee.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import func, select

from backend.models import CreditedSpan, Enrolment, Project
from backend.services import hours


@dataclass(frozen=True)
class TraineeHours:
    """One trainee's figures for one project."""

    trainee_id: int
    credited_s: int
    class_hours: int
    subsidizable_hours: int
    subsidy_fen: int


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


def project_hours(project: Project) -> Iterator[TraineeHours]:
    """Per-trainee credited time, class hours and subsidy of a project."""
    for trainee_id, (figure, capped) in hours.project_sheet(project).items():
        yield TraineeHours(
            trainee_id,
            figure.credited_s,
            figure.class_hours,
            figure.subsidizable_hours,
            capped.subsidy_fen,
        )
