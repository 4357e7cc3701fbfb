"""Where the hours sheet gets its numbers: the class-hour engine, never rules of its own.

Everything about class hours and subsidy belongs to ``backend/services/hours/``.
This module is the one seam between that engine and the exports: ``trainees_with_hours``
streams one ``TraineeHours`` a trainee beside the trainee's columns.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import Row

from backend.models import Project
from backend.services import hours
from backend.services.hours.subsidy import year_windows

# A trainee's figures: credited seconds, class hours, subsidizable hours, subsidy in fen.
TraineeHours = hours.SheetLine


def trainees_with_hours(
    project: Project, columns, order_by, span_sums=()
) -> Iterator[tuple[Row, TraineeHours]]:
    """Each enrolled trainee's ``columns`` with their figures, streamed in ``order_by`` order;
    ``span_sums`` (labelled aggregates over the trainee's spans in the project) end each row."""
    return hours.sheet_rows(project, columns, order_by, span_sums=span_sums)


def project_years(project: Project) -> list[int]:
    """The China-time calendar years the project's dates touch."""
    return [year for year, _, _ in year_windows(project)]


def yearly_shares(project: Project) -> dict[int, dict[int, hours.Allocation]]:
    """Per trainee and year, this project's subsidizable hours and subsidy after the yearly cap."""
    return hours.project_subsidies(project)
