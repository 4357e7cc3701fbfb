"""The subsidy: class hours paid per person (resident ID) and China-time year, up to the cap,
shared across all of a person's projects in the order the hours were earned."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from backend import clock
from backend.extensions import db
from backend.models import (
    Claim,
    ClaimAllocation,
    ClaimLine,
    CreditedSpan,
    Enrolment,
    Project,
    Trainee,
)
from backend.policy import SubsidyPolicy, default_policy, policy_for
from backend.services.hours.cap_walk import paid_in_order
from backend.services.hours.figures import EarnedHour, in_window, year_windows
from backend.services.rows import any_of, plain_rows


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


def year_sums_query(project: Project, trainee_ids=None):
    """SELECT trainee_id, credited seconds in each China-time year of the project."""
    windows = year_windows(project)
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
    query = sa.select(CreditedSpan.trainee_id, *columns).where(in_window(project))
    if trainee_ids is not None:
        query = query.where(CreditedSpan.trainee_id.in_(trainee_ids))
    return query.group_by(CreditedSpan.trainee_id)


def _year_seconds(project: Project, trainee_ids=None) -> dict[int, list[int]]:
    """Per trainee with credit: seconds in each China-time year of the project (one aggregate);
    ``trainee_ids`` (a list or a SELECT) narrows it to some trainees."""
    return {
        tid: [int(x) for x in seconds]
        for tid, *seconds in plain_rows(year_sums_query(project, trainee_ids))
    }


def hours_by_year(years: list[int], planned: int, seconds_by_year: list[int], per_hour: int):
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


def one_project_totals(
    years: list[int], planned: int, seconds_by_year: list[int], policy: SubsidyPolicy
) -> tuple[int, int, int]:
    """(class hours, subsidizable hours, subsidy in fen) of a person who learns in this one
    project only: each year's subsidizable hours are paid up to that year's cap, in any order."""
    per_hour, rate, cap = (
        policy.seconds_per_class_hour,
        policy.fen_per_class_hour,
        policy.yearly_cap_fen_per_trainee,
    )
    if len(years) == 1:
        # Most projects lie within one year: the same arithmetic without building the list.
        hours = seconds_by_year[0] // per_hour
        paid = min(hours, planned)
        return hours, paid, min(paid * rate, cap)
    class_hours = paid = fen = 0
    for _, hours, subsidizable in hours_by_year(years, planned, seconds_by_year, per_hour):
        class_hours += hours
        paid += subsidizable
        fen += min(subsidizable * rate, cap)
    return class_hours, paid, fen


def yearly_subsidies(
    id_number_hashes, policy: SubsidyPolicy | None = None, live: LiveCredit | None = None
) -> dict[str, dict[int, PersonYear]]:
    """Per person (``Trainee.id_number_hash``; a list or a SELECT of hashes) and calendar year:
    class hours, subsidizable hours and subsidy, with its allocation to trainee rows and projects.

    The subsidy is rate x subsidizable hours, capped per person per year; when one person learns
    in several projects the hours are paid in the order they were earned, and an hour belongs to
    the China-time year of the moment it was earned. Where the cap does not bind, the order does
    not matter and per-year sums suffice; only person-years over the cap walk their hours in order.
    A closed project's figures are those its claim recorded at close (in the order projects
    closed); open projects share what those leave of each cap.

    Each project's hours count by its own policy (``policy_for``); the yearly cap is ``policy``'s,
    by default the deployment's. A given ``policy`` applies to every project.

    ``live``, called once the stored credit is read, gives credit not stored yet per (trainee,
    project): learning in progress, counted as earned now.
    """
    cap_policy = policy or default_policy()
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

    policies = {project.id: policy or policy_for(project) for project in projects}
    # Closed projects' figures are frozen in their claims: their recorded allocations come
    # first, and only open projects' hours share what is left of each cap.
    frozen_ids = _frozen_projects([p.id for p in projects])
    result = _frozen_allocations(hashes, frozen_ids)
    open_projects = [project for project in projects if project.id not in frozen_ids]
    stored = {project.id: _year_seconds(project, trainee_ids) for project in open_projects}
    extra = live() if live is not None else {}
    now = clock.now()
    for project in open_projects:
        seconds = _with_live(project, stored[project.id], extra, now)
        years = [year for year, _, _ in year_windows(project)]
        planned = max(project.planned_class_hours, 0)
        per_hour = policies[project.id].seconds_per_class_hour
        for trainee_id, per_year in seconds.items():
            person = person_of.get(trainee_id)
            if person is None:
                continue
            for year, class_hours, subsidizable in hours_by_year(
                years, planned, per_year, per_hour
            ):
                record = result[person].setdefault(year, PersonYear(person, year))
                key = (trainee_id, project.id)
                share = record.allocations.setdefault(key, Allocation(*key))
                fen = subsidizable * policies[project.id].fen_per_class_hour
                record.class_hours += class_hours
                record.subsidizable_hours += subsidizable
                record.subsidy_fen += fen
                share.class_hours += class_hours
                share.subsidizable_hours += subsidizable
                share.subsidy_fen += fen

    over_cap = {
        person
        for person, years in result.items()
        if any(r.subsidy_fen > cap_policy.yearly_cap_fen_per_trainee for r in years.values())
    }
    if over_cap:
        # The cap binds: which hours are paid depends on the order they were earned. Hours and
        # subsidizable hours stay what the sums gave; only the money is paid again in order.
        over = {tid: person for tid, person in person_of.items() if person in over_cap}
        live_hours: list[EarnedHour] = []
        for project in open_projects:
            live_hours += _live_hours(project, stored[project.id], extra, list(over), policies, now)
        frozen_fen = {
            (person, year): record.subsidy_fen
            for person, years in _frozen_allocations(list(over_cap), frozen_ids).items()
            for year, record in years.items()
        }
        paid = paid_in_order(
            open_projects,
            policies,
            over,
            cap_policy.yearly_cap_fen_per_trainee,
            frozen_fen,
            live_hours,
        )
        for person in over_cap:
            for year, record in result[person].items():
                record.subsidy_fen = 0
                for (trainee_id, project_id), share in record.allocations.items():
                    if project_id not in frozen_ids:
                        share.subsidy_fen = paid.get((trainee_id, project_id, year), 0)
                    record.subsidy_fen += share.subsidy_fen
    return dict(result)


# Per (trainee id, project id): credited seconds not stored yet (learning in progress).
LiveCredit = Callable[[], dict[tuple[int, int], int]]


def _with_live(project: Project, stored, extra, now: datetime) -> dict[int, list[int]]:
    """Per-year seconds with the project's credit in progress added to the year of ``now``."""
    mine = {tid: x for (tid, pid), x in extra.items() if pid == project.id}
    windows = year_windows(project)
    current = next((i for i, (_, a, b) in enumerate(windows) if a <= now < b), None)
    if not mine or current is None:
        return stored
    seconds = {tid: list(per_year) for tid, per_year in stored.items()}
    for tid, x in mine.items():
        seconds.setdefault(tid, [0] * len(windows))[current] += x
    return seconds


def _live_hours(project, stored, extra, trainee_ids, policies, now) -> list[EarnedHour]:
    """The class hours credit in progress completes, as earned now."""
    if not any(a <= now < b for _, a, b in year_windows(project)):
        return []  # as in _with_live: nothing is learned outside the project's dates
    per_hour = policies[project.id].seconds_per_class_hour
    hours = []
    for tid in trainee_ids:
        x = extra.get((tid, project.id), 0)
        before = sum(stored.get(tid, ()))
        for number in range(before // per_hour + 1, (before + x) // per_hour + 1):
            hours.append(
                EarnedHour(tid, project.id, number, now, number <= project.planned_class_hours)
            )
    return hours


def _frozen_projects(project_ids: list[int]) -> set[int]:
    if not project_ids:
        return set()
    query = sa.select(Claim.project_id).where(Claim.project_id.in_(project_ids))
    return set(db.session.scalars(query))


def _frozen_allocations(hashes, frozen_ids: set[int]) -> dict[str, dict[int, PersonYear]]:
    """Per person and year: what the claims of closed projects recorded (a fresh copy)."""
    result: dict[str, dict[int, PersonYear]] = defaultdict(dict)
    if not frozen_ids:
        return result
    rows = db.session.execute(
        sa.select(
            ClaimAllocation.id_number_hash,
            ClaimAllocation.year,
            ClaimLine.trainee_id,
            Claim.project_id,
            ClaimAllocation.class_hours,
            ClaimAllocation.subsidizable_hours,
            ClaimAllocation.subsidy_fen,
        )
        .join(ClaimLine, ClaimLine.id == ClaimAllocation.line_id)
        .join(Claim, Claim.id == ClaimAllocation.claim_id)
        .where(
            ClaimAllocation.id_number_hash.in_(hashes)
            if isinstance(hashes, sa.Select)
            else any_of(ClaimAllocation.id_number_hash, hashes),
            Claim.project_id.in_(frozen_ids),
        )
    )
    for person, year, trainee_id, project_id, class_hours, subsidizable, fen in rows:
        record = result[person].setdefault(year, PersonYear(person, year))
        share = record.allocations.setdefault(
            (trainee_id, project_id), Allocation(trainee_id, project_id)
        )
        record.class_hours += class_hours
        record.subsidizable_hours += subsidizable
        record.subsidy_fen += fen
        share.class_hours += class_hours
        share.subsidizable_hours += subsidizable
        share.subsidy_fen += fen
    return result


def project_subsidies(
    project: Project, only: set[int] | None = None
) -> dict[int, dict[int, Allocation]]:
    """Per enrolled trainee (``only``: just these) and year, this project's hours and subsidy
    after the yearly cap."""
    # The cap counts every project of the same person, so other projects are read too.
    enrolled = sa.select(Enrolment.trainee_id).where(Enrolment.project_id == project.id)
    if only is not None:
        enrolled = enrolled.where(any_of(Enrolment.trainee_id, only))
    hashes = sa.select(Trainee.id_number_hash).where(Trainee.id.in_(enrolled))
    result: dict[int, dict[int, Allocation]] = defaultdict(dict)
    for years in yearly_subsidies(hashes).values():
        for year, record in years.items():
            for (trainee_id, project_id), share in record.allocations.items():
                if project_id == project.id:
                    result[trainee_id][year] = share
    return dict(result)


def trainee_years(trainee: Trainee, live: LiveCredit | None = None) -> list[tuple[int, Allocation]]:
    """Per year, this trainee row's class hours and subsidy after the person's yearly cap
    (``live``: with credit not stored yet, see ``yearly_subsidies``)."""
    hashes = [trainee.id_number_hash]
    years = yearly_subsidies(hashes, live=live).get(trainee.id_number_hash, {})
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
