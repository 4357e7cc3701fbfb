"""Credited seconds become class hours: figures per trainee and project, and when each hour was
earned. Every figure comes from the stored credited spans, so it can be explained span by span."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

import sqlalchemy as sa

from backend.clock import LOCAL_TZ
from backend.extensions import db
from backend.models import CreditedSpan, Enrolment, Project, Trainee
from backend.policy import SubsidyPolicy, policy_for


@dataclass(frozen=True)
class HourFigures:
    """One trainee's standing in one project."""

    credited_s: int  # credited seconds within the project's dates
    class_hours: int  # floor(credited minutes / 45)
    subsidizable_hours: int  # class hours up to the project's planned class hours
    minutes_to_next_hour: int  # credited minutes still missing for the next class hour


@dataclass(frozen=True)
class EarnedHour:
    """The moment a trainee's cumulative credit in a project crossed a whole class hour."""

    trainee_id: int
    project_id: int
    number: int  # 1 for the first class hour of the project, 2 for the second, ...
    earned_at: datetime
    subsidizable: bool  # within the project's planned class hours


def hour_figures(credited_s: int, planned_class_hours: int, policy: SubsidyPolicy) -> HourFigures:
    """Class hours, subsidizable hours and minutes to the next hour for a credited total."""
    per_hour = policy.seconds_per_class_hour
    hours = credited_s // per_hour
    missing_s = per_hour - credited_s % per_hour
    return HourFigures(
        credited_s=credited_s,
        class_hours=hours,
        subsidizable_hours=min(hours, max(planned_class_hours, 0)),
        minutes_to_next_hour=-(-missing_s // 60),
    )


def seconds_for_class_hours(class_hours: int, policy: SubsidyPolicy) -> int:
    """The least credited seconds that make ``class_hours`` (the inverse of ``hour_figures``)."""
    return class_hours * policy.seconds_per_class_hour


def project_window(project: Project) -> tuple[datetime, datetime]:
    """The project's dates as [first instant, instant after the last day), in UTC."""
    start = datetime.combine(project.start_date, time(0), LOCAL_TZ)
    end = datetime.combine(project.end_date + timedelta(days=1), time(0), LOCAL_TZ)
    return start.astimezone(UTC), end.astimezone(UTC)


def year_windows(project: Project) -> list[tuple[int, datetime, datetime]]:
    """The project's dates cut at China-time new years: (year, start, end) in UTC."""
    start, end = project_window(project)
    windows = []
    for year in range(project.start_date.year, project.end_date.year + 1):
        new_year = datetime(year, 1, 1, tzinfo=LOCAL_TZ).astimezone(UTC)
        next_year = datetime(year + 1, 1, 1, tzinfo=LOCAL_TZ).astimezone(UTC)
        windows.append((year, max(start, new_year), min(end, next_year)))
    return windows


def in_window(project: Project):
    start, end = project_window(project)
    # Spans never cross a China-time midnight, so selecting by start is exact.
    return sa.and_(
        CreditedSpan.project_id == project.id,
        CreditedSpan.start_at >= start,
        CreditedSpan.start_at < end,
    )


def project_credit_seconds(project: Project, trainee_ids: Iterable[int] | None = None):
    """Credited seconds within the project's dates per trainee id (one SQL aggregate)."""
    query = sa.select(CreditedSpan.trainee_id, sa.func.sum(CreditedSpan.seconds)).where(
        in_window(project)
    )
    if trainee_ids is not None:
        query = query.where(CreditedSpan.trainee_id.in_(list(trainee_ids)))
    rows = db.session.execute(query.group_by(CreditedSpan.trainee_id))
    return {trainee_id: int(total or 0) for trainee_id, total in rows}


def project_hours(project: Project, policy: SubsidyPolicy | None = None) -> dict[int, HourFigures]:
    """Hour figures of every trainee enrolled in the project (those without credit too)."""
    policy = policy or policy_for(project)
    credited = project_credit_seconds(project)
    enrolled = db.session.scalars(
        sa.select(Enrolment.trainee_id).where(Enrolment.project_id == project.id)
    )
    return {
        trainee_id: hour_figures(credited.get(trainee_id, 0), project.planned_class_hours, policy)
        for trainee_id in enrolled
    }


def trainee_hours(trainee: Trainee) -> list[tuple[Project, HourFigures]]:
    """Hour figures of one trainee in each project they are enrolled in."""
    projects = db.session.scalars(
        sa.select(Project)
        .join(Enrolment, Enrolment.project_id == Project.id)
        .where(Enrolment.trainee_id == trainee.id)
        .order_by(Project.start_date, Project.id)
    ).all()
    result = []
    for project in projects:
        seconds = project_credit_seconds(project, [trainee.id]).get(trainee.id, 0)
        figures = hour_figures(seconds, project.planned_class_hours, policy_for(project))
        result.append((project, figures))
    return result


def earned_hours(project: Project, trainee_ids=None, policy=None) -> list[EarnedHour]:
    """When each class hour of the project's trainees was earned (running totals in SQL)."""
    # trainee_ids: a list or a SELECT of ids, None for everyone in the project.
    per_hour = (policy or policy_for(project)).seconds_per_class_hour
    running = (
        sa.func.sum(CreditedSpan.seconds)
        .over(
            partition_by=CreditedSpan.trainee_id,
            order_by=(CreditedSpan.start_at, CreditedSpan.id),
        )
        .label("cum")
    )
    inner = sa.select(
        CreditedSpan.trainee_id, CreditedSpan.start_at, CreditedSpan.seconds, running
    ).where(in_window(project))
    if trainee_ids is not None:
        ids = trainee_ids if isinstance(trainee_ids, sa.Select) else list(trainee_ids)
        inner = inner.where(CreditedSpan.trainee_id.in_(ids))
    spans = inner.subquery()
    # Only the spans in which the running total passes a multiple of the class hour.
    crossing = sa.select(spans).where(
        spans.c.cum // per_hour > (spans.c.cum - spans.c.seconds) // per_hour
    )
    hours = []
    for trainee_id, start_at, seconds, cum in db.session.execute(crossing):
        before = int(cum) - int(seconds)
        for number in range(before // per_hour + 1, int(cum) // per_hour + 1):
            at = start_at + timedelta(seconds=number * per_hour - before)
            subsidizable = number <= project.planned_class_hours
            hours.append(EarnedHour(trainee_id, project.id, number, at, subsidizable))
    return hours
