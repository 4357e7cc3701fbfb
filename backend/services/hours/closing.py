"""Figures frozen when a project closes: each trainee's class hours and subsidy per year, the
yearly cap per person shared with the projects that closed before (their recorded allocations)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import sqlalchemy as sa

from backend.extensions import db
from backend.models import ClaimAllocation, Project
from backend.policy import SubsidyPolicy
from backend.services.hours.subsidy import hours_by_year, year_sums_query, year_windows
from backend.services.rows import plain_rows


@dataclass(frozen=True)
class FrozenYear:
    """One trainee's class hours and subsidy in one China-time year of a closing project."""

    year: int
    class_hours: int
    subsidizable_hours: int
    subsidy_fen: int


@dataclass
class FrozenLine:
    """One trainee's figures at close; ``years`` are what the cap allocation records."""

    trainee_id: int
    credited_s: int = 0
    years: list[FrozenYear] = field(default_factory=list)

    @property
    def class_hours(self) -> int:
        """Class hours over the project's years."""
        return sum(y.class_hours for y in self.years)

    @property
    def subsidizable_hours(self) -> int:
        """Subsidizable hours (within the planned hours) over the project's years."""
        return sum(y.subsidizable_hours for y in self.years)

    @property
    def subsidy_fen(self) -> int:
        """Subsidy after the yearly cap, summed over the years."""
        return sum(y.subsidy_fen for y in self.years)


def allocated_before(hashes: Iterable[str], exclude_claim_id: int | None = None):
    """Per (person, year): the subsidy in fen claims already closed have taken of the cap."""
    query = (
        sa.select(
            ClaimAllocation.id_number_hash,
            ClaimAllocation.year,
            sa.func.sum(ClaimAllocation.subsidy_fen),
        )
        .where(ClaimAllocation.id_number_hash.in_(list(hashes)))
        .group_by(ClaimAllocation.id_number_hash, ClaimAllocation.year)
    )
    if exclude_claim_id is not None:
        query = query.where(ClaimAllocation.claim_id != exclude_claim_id)
    return {(person, year): int(fen) for person, year, fen in db.session.execute(query)}


def closing_figures(
    project: Project,
    persons: dict[int, str],
    counted: set[int],
    policy: SubsidyPolicy,
) -> dict[int, FrozenLine]:
    """Per trainee of ``persons`` (trainee id -> resident-ID hash): credit, class hours per
    year and the subsidy the cap leaves after the claims closed before; trainees outside
    ``counted`` (not qualifying) keep their hours but are paid nothing and take no cap.

    The caller holds the persons' locks (see services/claims), so two closes sharing a person
    allocate one after the other."""
    years = [year for year, _, _ in year_windows(project)]
    planned = max(project.planned_class_hours, 0)
    per_hour, rate, cap = (
        policy.seconds_per_class_hour,
        policy.fen_per_class_hour,
        policy.yearly_cap_fen_per_trainee,
    )
    seconds = {
        tid: [int(x or 0) for x in per_year]
        for tid, *per_year in plain_rows(year_sums_query(project))
    }
    used = allocated_before(set(persons.values()))
    lines: dict[int, FrozenLine] = {}
    for trainee_id, person in persons.items():
        per_year = seconds.get(trainee_id, [0] * len(years))
        line = FrozenLine(trainee_id, sum(per_year))
        for year, hours, subsidizable in hours_by_year(years, planned, per_year, per_hour):
            fen = 0
            if trainee_id in counted:
                fen = max(min(subsidizable * rate, cap - used.get((person, year), 0)), 0)
                used[(person, year)] = used.get((person, year), 0) + fen
            line.years.append(FrozenYear(year, hours, subsidizable, fen))
        lines[trainee_id] = line
    return lines
