"""A project's sheet: every enrolled trainee's credit, class hours and capped subsidy in one
pass over the project's spans, as the dashboard and the hours export need it."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import chain
from typing import NamedTuple

import sqlalchemy as sa

from backend.extensions import db
from backend.models import Claim, ClaimLine, CreditedSpan, Enrolment, Project, Trainee
from backend.policy import policy_for
from backend.services.hours.subsidy import (
    one_project_totals,
    project_subsidies,
    year_sums_query,
    year_windows,
)
from backend.services.rows import plain_rows


class SheetLine(NamedTuple):
    """One trainee's line of a project sheet: credit, hours and subsidy after the yearly cap."""

    credited_s: int  # credited seconds within the project's dates
    class_hours: int
    subsidizable_hours: int  # class hours up to the project's planned class hours
    subsidy_fen: int  # this project's share of the person's capped yearly subsidy


NO_CREDIT = SheetLine(0, 0, 0, 0)


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


def sheet_query(
    project: Project, columns: Sequence = (), order_by: Sequence = (), span_sums: Sequence = ()
) -> sa.Select:
    """SELECT each enrolled trainee's id, ``columns`` (of Trainee) and credited seconds in each
    China-time year of the project; alone, the aggregate the whole sheet rests on. ``span_sums``
    (labelled aggregates over CreditedSpan) follow, summed over all the trainee's spans in the
    project whatever their dates, in the same pass.

    The spans are summed first and the sums joined to the enrolments, so the aggregate runs once
    over the project's spans with no join inside it."""
    sums = _span_sums_query(project, span_sums) if span_sums else year_sums_query(project)
    sums = sums.subquery()
    figures = list(sums.c)[1:]
    extra = figures[len(figures) - len(span_sums) :] if span_sums else []
    query = (
        sa.select(
            Enrolment.trainee_id,
            *columns,
            *(sa.func.coalesce(c, 0) for c in figures[: len(figures) - len(extra)]),
            *(sa.func.coalesce(c, 0).label(c.name) for c in extra),
        )
        .outerjoin(sums, sums.c.trainee_id == Enrolment.trainee_id)
        .where(Enrolment.project_id == project.id)
    )
    if columns or order_by:
        query = query.join(Trainee, Trainee.id == Enrolment.trainee_id)
    return query.order_by(*order_by)


def _span_sums_query(project: Project, span_sums: Sequence) -> sa.Select:
    """``year_sums_query`` over all the project's spans, each year's sum a CASE on its dates,
    with ``span_sums`` after them: one scan where two aggregates would read the spans twice."""
    years = [
        sa.func.sum(
            sa.case(
                (
                    sa.and_(CreditedSpan.start_at >= a, CreditedSpan.start_at < b),
                    CreditedSpan.seconds,
                ),
                else_=0,
            )
        )
        for _, a, b in year_windows(project)
    ]
    return (
        sa.select(CreditedSpan.trainee_id, *years, *span_sums)
        .where(CreditedSpan.project_id == project.id)
        .group_by(CreditedSpan.trainee_id)
    )


def sheet_rows(
    project: Project,
    columns: Sequence = (),
    order_by: Sequence = (),
    batch: int = 2000,
    span_sums: Sequence = (),
) -> Iterator[tuple[sa.Row, SheetLine]]:
    """Each enrolled trainee's ``columns`` (of Trainee) with their sheet line, streamed in
    ``order_by`` order: credited time, class hours, and this project's subsidizable hours and
    subsidy summed over the years after the yearly cap shared with the person's other projects.
    ``span_sums`` (see ``sheet_query``) end each row, by their labels.

    One statement (``sheet_query``) reads it all. Only people enrolled in other projects too
    go through ``project_subsidies``; for everyone else this project is their whole year, so the
    cap applies to each year's sum directly.
    """
    frozen = frozen_lines(project)
    if frozen is not None:
        # Closed: the lines frozen in the claim, whatever the person learned elsewhere since.
        for row in chain.from_iterable(
            plain_rows(sheet_query(project, columns, order_by, span_sums)).partitions(batch)
        ):
            yield row, frozen.get(row[0], NO_CREDIT)
        return
    policy = policy_for(project)
    shared = _shared_trainees(project)
    capped = project_subsidies(project, only=shared) if shared else {}
    years = [year for year, _, _ in year_windows(project)]
    planned = max(project.planned_class_hours, 0)
    first_year = 1 + len(columns)
    after_years = first_year + len(years)
    query = sheet_query(project, columns, order_by, span_sums)
    # A client-side result (about 150 bytes a trainee, held by libpq) rather than a server-side
    # cursor: PostgreSQL never runs a cursor's query in parallel, and the aggregate needs it.
    for row in chain.from_iterable(plain_rows(query).partitions(batch)):
        per_year = row[first_year:after_years]
        credited_s = sum(per_year)
        if not credited_s:
            yield row, NO_CREDIT
        elif row[0] in shared:
            shares = capped.get(row[0], {}).values()
            yield (
                row,
                SheetLine(
                    credited_s,
                    sum(share.class_hours for share in shares),
                    sum(share.subsidizable_hours for share in shares),
                    sum(share.subsidy_fen for share in shares),
                ),
            )
        else:
            yield row, SheetLine(credited_s, *one_project_totals(years, planned, per_year, policy))


def frozen_lines(project: Project) -> dict[int, SheetLine] | None:
    """Per trainee id, the line frozen in the project's claim; None while it is not closed."""
    claim_id = db.session.scalar(sa.select(Claim.id).where(Claim.project_id == project.id))
    if claim_id is None:
        return None
    rows = db.session.execute(
        sa.select(
            ClaimLine.trainee_id,
            ClaimLine.credited_s,
            ClaimLine.class_hours,
            ClaimLine.subsidizable_hours,
            ClaimLine.subsidy_fen,
        ).where(ClaimLine.claim_id == claim_id)
    )
    return {trainee_id: SheetLine(*figures) for trainee_id, *figures in rows}


def project_sheet(project: Project) -> dict[int, SheetLine]:
    """Per enrolled trainee id: the sheet line (see ``sheet_rows``)."""
    return {row[0]: line for row, line in sheet_rows(project)}
