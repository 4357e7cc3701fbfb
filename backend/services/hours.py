"""Class hours and subsidy: the one place that turns credited seconds into hours and fen.

Every figure comes from the stored credited spans (CreditedSpan), so it can be explained span by
span. The admin dashboard and the filing exports call these functions; the mini-program too.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import NamedTuple

import sqlalchemy as sa

from backend.clock import LOCAL_TZ, local_date
from backend.extensions import db
from backend.models import CreditedSpan, Enrolment, Project, Trainee
from backend.policy import SubsidyPolicy, current_policy
from backend.services.rows import plain_rows


@dataclass(frozen=True)
class HourFigures:
    """One trainee's standing in one project."""

    credited_s: int  # credited seconds within the project's dates
    class_hours: int  # floor(credited minutes / 45)
    subsidizable_hours: int  # class hours up to the project's planned class hours
    minutes_to_next_hour: int  # credited minutes still missing for the next class hour


class SheetLine(NamedTuple):
    """One trainee's line of a project sheet: credit, hours and subsidy after the yearly cap."""

    credited_s: int  # credited seconds within the project's dates
    class_hours: int
    subsidizable_hours: int  # class hours up to the project's planned class hours
    subsidy_fen: int  # this project's share of the person's capped yearly subsidy


NO_CREDIT = SheetLine(0, 0, 0, 0)


@dataclass(frozen=True)
class EarnedHour:
    """The moment a trainee's cumulative credit in a project crossed a whole class hour."""

    trainee_id: int
    project_id: int
    number: int  # 1 for the first class hour of the project, 2 for the second, ...
    earned_at: datetime
    subsidizable: bool  # within the project's planned class hours


@dataclass
class Allocation:
    """The part of one person-year's subsidy that falls on one trainee row in one project."""

    trainee_id: int
    project_id: int
    class_hours: int = 0
    subsidizable_hours: int = 0
    subsidy_fen: int = 0


@dataclass
class PersonYear:
    """One person's (resident ID's) class hours and subsidy in one China-time calendar year."""

    id_number_hash: str
    year: int
    class_hours: int = 0
    subsidizable_hours: int = 0
    subsidy_fen: int = 0
    allocations: dict[tuple[int, int], Allocation] = field(default_factory=dict)


def hour_figures(
    credited_s: int, planned_class_hours: int, policy: SubsidyPolicy | None = None
) -> HourFigures:
    """Class hours, subsidizable hours and minutes to the next hour for a credited total."""
    policy = policy or current_policy()
    per_hour = policy.seconds_per_class_hour
    hours = credited_s // per_hour
    missing_s = per_hour - credited_s % per_hour
    return HourFigures(
        credited_s=credited_s,
        class_hours=hours,
        subsidizable_hours=min(hours, max(planned_class_hours, 0)),
        minutes_to_next_hour=-(-missing_s // 60),
    )


def seconds_for_class_hours(class_hours: int, policy: SubsidyPolicy | None = None) -> int:
    """The least credited seconds that make ``class_hours`` (the inverse of ``hour_figures``)."""
    return class_hours * (policy or current_policy()).seconds_per_class_hour


def project_window(project: Project) -> tuple[datetime, datetime]:
    """The project's dates as [first instant, instant after the last day), in UTC."""
    start = datetime.combine(project.start_date, time(0), LOCAL_TZ)
    end = datetime.combine(project.end_date + timedelta(days=1), time(0), LOCAL_TZ)
    return start.astimezone(UTC), end.astimezone(UTC)


def _in_window(project: Project):
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
        _in_window(project)
    )
    if trainee_ids is not None:
        query = query.where(CreditedSpan.trainee_id.in_(list(trainee_ids)))
    rows = db.session.execute(query.group_by(CreditedSpan.trainee_id))
    return {trainee_id: int(total or 0) for trainee_id, total in rows}


def project_hours(project: Project, policy: SubsidyPolicy | None = None) -> dict[int, HourFigures]:
    """Hour figures of every trainee enrolled in the project (those without credit too)."""
    policy = policy or current_policy()
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
    policy = current_policy()
    projects = db.session.scalars(
        sa.select(Project)
        .join(Enrolment, Enrolment.project_id == Project.id)
        .where(Enrolment.trainee_id == trainee.id)
        .order_by(Project.start_date, Project.id)
    ).all()
    result = []
    for project in projects:
        seconds = project_credit_seconds(project, [trainee.id]).get(trainee.id, 0)
        result.append((project, hour_figures(seconds, project.planned_class_hours, policy)))
    return result


def earned_hours(project: Project, trainee_ids=None, policy=None) -> list[EarnedHour]:
    """When each class hour of the project's trainees was earned (running totals in SQL)."""
    # trainee_ids: a list or a SELECT of ids, None for everyone in the project.
    per_hour = (policy or current_policy()).seconds_per_class_hour
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
    ).where(_in_window(project))
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


def _year_windows(project: Project) -> list[tuple[int, datetime, datetime]]:
    """The project's dates cut at China-time new years: (year, start, end) in UTC."""
    start, end = project_window(project)
    windows = []
    for year in range(project.start_date.year, project.end_date.year + 1):
        new_year = datetime(year, 1, 1, tzinfo=LOCAL_TZ).astimezone(UTC)
        next_year = datetime(year + 1, 1, 1, tzinfo=LOCAL_TZ).astimezone(UTC)
        windows.append((year, max(start, new_year), min(end, next_year)))
    return windows


def _year_seconds(project: Project, trainee_ids=None) -> dict[int, list[int]]:
    """Per trainee: credited seconds in each China-time year of the project (one aggregate).

    ``trainee_ids`` (a list or a SELECT) narrows it to some trainees; without it every trainee
    with credit in the project is summed, aggregating first (no join before the sums).
    """
    windows = _year_windows(project)
    columns = [
        sa.func.sum(
            sa.case(
                (
                    sa.and_(CreditedSpan.start_at >= a, CreditedSpan.start_at < b),
                    CreditedSpan.seconds,
                ),
                else_=0,
            )
        )
        for _, a, b in windows
    ]
    if len(windows) == 1:
        # Most projects lie within one year: the project window already selects its spans.
        columns = [sa.func.sum(CreditedSpan.seconds)]
    query = sa.select(CreditedSpan.trainee_id, *columns).where(_in_window(project))
    if trainee_ids is not None:
        query = query.where(CreditedSpan.trainee_id.in_(trainee_ids))
    rows = plain_rows(query.group_by(CreditedSpan.trainee_id))
    if len(windows) == 1:
        return {tid: [int(seconds)] for tid, seconds in rows}
    return {tid: [int(x) for x in seconds] for tid, *seconds in rows}


def _hours_by_year(years: list[int], planned: int, seconds_by_year: list[int], per_hour: int):
    """[(year, class hours earned that year, subsidizable ones)] from per-year seconds.

    Spans never cross a China-time midnight, so each lies wholly in one year; an hour belongs to
    the year in which the running total crossed it, which per-year running sums give exactly.
    """
    running, hours_before, earned = 0, 0, []
    for year, part in zip(years, seconds_by_year, strict=True):
        running += part
        hours = running // per_hour
        if hours > hours_before:
            subsidizable = min(hours, planned) - min(hours_before, planned)
            earned.append((year, hours - hours_before, subsidizable))
        hours_before = hours
    return earned


def _allocate_in_order(
    result: dict[str, dict[int, PersonYear]], earned: list[EarnedHour], person_of, policy
) -> None:
    """Pay hours in the order they were earned until each person-year's cap is reached."""
    earned.sort(key=lambda h: (h.earned_at, h.project_id, h.trainee_id, h.number))
    for hour in earned:
        person = person_of[hour.trainee_id]
        year = local_date(hour.earned_at).year
        record = result[person].setdefault(year, PersonYear(person, year))
        key = (hour.trainee_id, hour.project_id)
        share = record.allocations.setdefault(key, Allocation(*key))
        record.class_hours += 1
        share.class_hours += 1
        if not hour.subsidizable:
            continue
        fen = min(policy.fen_per_class_hour, policy.yearly_cap_fen_per_trainee - record.subsidy_fen)
        record.subsidizable_hours += 1
        record.subsidy_fen += fen
        share.subsidizable_hours += 1
        share.subsidy_fen += fen


def yearly_subsidies(
    id_number_hashes,
    policy: SubsidyPolicy | None = None,
    known_seconds: dict[int, dict[int, list[int]]] | None = None,
) -> dict[str, dict[int, PersonYear]]:
    """Per person (``Trainee.id_number_hash``; a list or a SELECT of hashes) and calendar year:
    class hours, subsidizable hours and subsidy, with its allocation to trainee rows and projects.

    The subsidy is rate x subsidizable hours, capped per person per year; when one person learns
    in several projects the hours are paid in the order they were earned, and an hour belongs to
    the China-time year of the moment it was earned. Where the cap does not bind, the order does
    not matter and per-year sums suffice; only person-years over the cap walk their hours in order.
    ``known_seconds`` (project id → ``_year_seconds`` result) spares a caller's repeated query.
    """
    policy = policy or current_policy()
    hashes = id_number_hashes if isinstance(id_number_hashes, sa.Select) else list(id_number_hashes)
    person_of = dict(
        db.session.execute(
            sa.select(Trainee.id, Trainee.id_number_hash).where(Trainee.id_number_hash.in_(hashes))
        ).all()
    )
    trainee_ids = sa.select(Trainee.id).where(Trainee.id_number_hash.in_(hashes))
    projects = db.session.scalars(
        sa.select(Project).where(
            Project.id.in_(
                sa.select(Enrolment.project_id).where(Enrolment.trainee_id.in_(trainee_ids))
            )
        )
    ).all()

    result: dict[str, dict[int, PersonYear]] = defaultdict(dict)
    for project in projects:
        seconds = (known_seconds or {}).get(project.id)
        if seconds is None:
            seconds = _year_seconds(project, trainee_ids)
        years = [year for year, _, _ in _year_windows(project)]
        planned = max(project.planned_class_hours, 0)
        per_hour = policy.seconds_per_class_hour
        for trainee_id, per_year in seconds.items():
            person = person_of.get(trainee_id)
            if person is None:
                continue
            for year, class_hours, subsidizable in _hours_by_year(
                years, planned, per_year, per_hour
            ):
                record = result[person].setdefault(year, PersonYear(person, year))
                key = (trainee_id, project.id)
                share = record.allocations.setdefault(key, Allocation(*key))
                fen = subsidizable * policy.fen_per_class_hour
                record.class_hours += class_hours
                record.subsidizable_hours += subsidizable
                record.subsidy_fen += fen
                share.class_hours += class_hours
                share.subsidizable_hours += subsidizable
                share.subsidy_fen += fen

    over_cap = {
        person
        for person, years in result.items()
        if any(r.subsidy_fen > policy.yearly_cap_fen_per_trainee for r in years.values())
    }
    if over_cap:
        # The cap binds: which hours are paid depends on the order they were earned.
        over_ids = [tid for tid, person in person_of.items() if person in over_cap]
        earned: list[EarnedHour] = []
        for project in projects:
            earned += earned_hours(project, over_ids, policy)
        for person in over_cap:
            result[person] = {}
        _allocate_in_order(result, earned, person_of, policy)
    return dict(result)


def project_subsidies(
    project: Project, seconds: dict[int, list[int]] | None = None, only: set[int] | None = None
) -> dict[int, dict[int, Allocation]]:
    """Per enrolled trainee (``only``: just these) and year, this project's hours and subsidy
    after the yearly cap (``seconds``: the project's ``_year_seconds``, when already read)."""
    # The cap counts every project of the same person, so other projects are read too.
    enrolled = sa.select(Enrolment.trainee_id).where(Enrolment.project_id == project.id)
    if only is not None:
        enrolled = enrolled.where(Enrolment.trainee_id.in_(list(only)))
    hashes = sa.select(Trainee.id_number_hash).where(Trainee.id.in_(enrolled))
    known = {project.id: seconds} if seconds is not None else None
    result: dict[int, dict[int, Allocation]] = defaultdict(dict)
    for years in yearly_subsidies(hashes, known_seconds=known).values():
        for year, record in years.items():
            for (trainee_id, project_id), share in record.allocations.items():
                if project_id == project.id:
                    result[trainee_id][year] = share
    return dict(result)


def _shared_trainees(project: Project) -> set[int]:
    """Enrolled trainees whose person (resident ID) is also enrolled in another project."""
    other = sa.orm.aliased(Trainee)
    elsewhere = (
        sa.select(Enrolment.id)
        .join(other, other.id == Enrolment.trainee_id)
        .where(other.id_number_hash == Trainee.id_number_hash, Enrolment.project_id != project.id)
        .exists()
    )
    return set(
        db.session.scalars(
            sa.select(Trainee.id).where(
                Trainee.id.in_(
                    sa.select(Enrolment.trainee_id).where(Enrolment.project_id == project.id)
                ),
                elsewhere,
            )
        )
    )


def project_sheet(project: Project) -> dict[int, SheetLine]:
    """For each enrolled trainee: credited time, class hours, and this project's subsidizable
    hours and subsidy summed over the years after the yearly cap shared with the person's other
    projects.

    One aggregate over the project's spans serves all of it. Only people enrolled in other
    projects too go through ``yearly_subsidies``; for everyone else the project is their whole
    year, so the cap applies to each year's sum directly.
    """
    policy = current_policy()
    seconds = _year_seconds(project)
    shared = _shared_trainees(project)
    capped = project_subsidies(project, seconds, only=shared) if shared else {}
    years = [year for year, _, _ in _year_windows(project)]
    planned = max(project.planned_class_hours, 0)
    per_hour, rate = policy.seconds_per_class_hour, policy.fen_per_class_hour
    cap = policy.yearly_cap_fen_per_trainee
    single_year = len(years) == 1
    enrolled = sa.select(Enrolment.trainee_id).where(Enrolment.project_id == project.id)
    sheet = {}
    for trainee_id in db.session.scalars(enrolled):
        per_year = seconds.get(trainee_id)
        if per_year is None:
            sheet[trainee_id] = NO_CREDIT
            continue
        class_hours = paid = fen = 0
        if trainee_id in shared:
            for share in capped.get(trainee_id, {}).values():
                class_hours += share.class_hours
                paid += share.subsidizable_hours
                fen += share.subsidy_fen
        elif single_year:
            # _hours_by_year for one year, inline: this loop runs once per trainee.
            class_hours = per_year[0] // per_hour
            paid = min(class_hours, planned)
            fen = min(paid * rate, cap)
        else:
            for _, hours, subsidizable in _hours_by_year(years, planned, per_year, per_hour):
                class_hours += hours
                paid += subsidizable
                fen += min(subsidizable * rate, cap)
        sheet[trainee_id] = SheetLine(sum(per_year), class_hours, paid, fen)
    return sheet


def trainee_years(trainee: Trainee) -> list[tuple[int, Allocation]]:
    """Per year, this trainee row's class hours and subsidy after the person's yearly cap."""
    years = yearly_subsidies([trainee.id_number_hash]).get(trainee.id_number_hash, {})
    result = []
    for year in sorted(years):
        mine = Allocation(trainee.id, 0)
        for (trainee_id, _), share in years[year].allocations.items():
            if trainee_id == trainee.id:
                mine.class_hours += share.class_hours
                mine.subsidizable_hours += share.subsidizable_hours
                mine.subsidy_fen += share.subsidy_fen
        if mine.class_hours:
            result.append((year, mine))
    return result
