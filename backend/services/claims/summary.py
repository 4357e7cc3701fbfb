"""A claim's totals: trainees, class hours and subsidy, overall and per calendar year."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from backend.extensions import db
from backend.models import Claim, ClaimAllocation


@dataclass
class YearTotals:
    """One calendar year of a claim: trainees paid, their class hours and subsidy."""

    year: int
    trainees: int = 0
    class_hours: int = 0
    subsidizable_hours: int = 0
    subsidy_fen: int = 0


@dataclass
class ClaimTotals:
    """A claim's totals over qualifying trainees (the rest are listed apart)."""

    trainees: int = 0  # on the roster at close
    qualifying: int = 0
    class_hours: int = 0
    subsidizable_hours: int = 0
    subsidy_fen: int = 0
    years: list[YearTotals] = field(default_factory=list)


def summary(claim: Claim) -> ClaimTotals:
    """Totals of the claim's qualifying lines, and per year from its allocations."""
    totals = ClaimTotals(trainees=len(claim.lines))
    for line in claim.lines:
        if line.qualifies:
            totals.qualifying += 1
            totals.class_hours += line.class_hours
            totals.subsidizable_hours += line.subsidizable_hours
            totals.subsidy_fen += line.subsidy_fen
    rows = db.session.execute(
        sa.select(
            ClaimAllocation.year,
            sa.func.count(sa.distinct(ClaimAllocation.line_id)),
            sa.func.sum(ClaimAllocation.class_hours),
            sa.func.sum(ClaimAllocation.subsidizable_hours),
            sa.func.sum(ClaimAllocation.subsidy_fen),
        )
        .where(ClaimAllocation.claim_id == claim.id)
        .group_by(ClaimAllocation.year)
        .order_by(ClaimAllocation.year)
    )
    totals.years = [YearTotals(*(int(v or 0) for v in row)) for row in rows]
    return totals
