"""Where the yearly cap binds: each subsidizable hour paid in the order it was earned, in SQL.

Which hours of a person-year are paid, and so how the subsidy splits between the person's
projects, depends on the order in which the hours were earned across those projects. One
statement dates every subsidizable hour (where a span's running total in its project crosses a
whole class hour), orders a person-year's hours by (earned at, project, trainee, number) and
pays each its project's rate, up to what the cap and the claims of closed projects leave; only
the sums per trainee, project and year come back, never a row an hour.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import sqlalchemy as sa

from backend.clock import local_date
from backend.extensions import db
from backend.models import Project
from backend.policy import SubsidyPolicy
from backend.services.hours.figures import (
    EarnedHour,
    earned_hours,
    project_window,
    year_windows,
)

# One project's subsidizable hours: the n-th hour is earned inside the span whose running total
# passes n class hours, (n x hour - total before the span) seconds after the span starts. A
# trainee's spans never share a start (uq_credited_span_trainee_start), so the start orders them
# and the (project, trainee, start) index with its included seconds answers without the table;
# fed the trainees in order, it leaves only a small sort per trainee for the running totals.
_PROJECT_HOURS = """
SELECT trainee_id, project_id, number, rate, earned_at, {year} AS year FROM (
SELECT s.trainee_id, {pid} AS project_id, n AS number, {rate} AS rate,
  s.start_at + (n * {per_hour} - (s.cum - s.seconds)) * interval '1 second' AS earned_at
FROM (
  SELECT trainee_id, start_at, seconds,
    sum(seconds) OVER (PARTITION BY trainee_id ORDER BY start_at) AS cum
  FROM (SELECT unnest(CAST(:trainee_ids AS integer[])) AS id ORDER BY 1) AS wanted
  JOIN credited_span ON credited_span.trainee_id = wanted.id
  WHERE project_id = {pid} AND start_at >= :start_{i} AND start_at < :end_{i}
) AS s
CROSS JOIN LATERAL generate_series(
  (s.cum - s.seconds) / {per_hour} + 1, LEAST(s.cum / {per_hour}, {planned})) AS n
WHERE s.cum / {per_hour} > (s.cum - s.seconds) / {per_hour}
  AND (s.cum - s.seconds) / {per_hour} < {planned}
) AS h
"""

# Hours not in the stored spans yet, given with their project's rate and China-time year.
_EXTRA_HOURS = """
SELECT * FROM unnest(CAST(:x_trainee AS integer[]), CAST(:x_project AS integer[]),
  CAST(:x_number AS bigint[]), CAST(:x_rate AS integer[]), CAST(:x_at AS timestamptz[]),
  CAST(:x_year AS integer[])) AS x(trainee_id, project_id, number, rate, earned_at, year)
"""

# Each hour gets its rate, or what is left of the cap once the person-year's earlier hours and
# the closed projects' claims are paid: nothing once the cap is reached. Persons are numbered
# here (the same number for each of a person's trainee rows), so the hours sort by integers.
_PAID = """
WITH hours AS ({hours}),
persons AS (
  SELECT * FROM unnest(CAST(:trainee_ids AS integer[]), CAST(:person_nos AS integer[]))
    AS p(trainee_id, person)
),
ordered AS (
  SELECT hours.*, persons.person, sum(rate) OVER (
      PARTITION BY persons.person, year ORDER BY earned_at, project_id, hours.trainee_id, number
      ROWS UNBOUNDED PRECEDING
    ) - rate AS before
  FROM hours JOIN persons ON persons.trainee_id = hours.trainee_id
),
frozen AS (
  SELECT * FROM unnest(CAST(:frozen_persons AS integer[]), CAST(:frozen_years AS integer[]),
    CAST(:frozen_fen AS bigint[])) AS f(person, year, fen)
)
SELECT ordered.trainee_id, ordered.project_id, ordered.year,
  sum(LEAST(rate, GREATEST(0, :cap - coalesce(frozen.fen, 0) - before)))
FROM ordered LEFT JOIN frozen ON frozen.person = ordered.person AND frozen.year = ordered.year
GROUP BY ordered.trainee_id, ordered.project_id, ordered.year
"""


def paid_in_order(
    projects: Iterable[Project],
    policies: dict[int, SubsidyPolicy],
    person_of: dict[int, str],
    cap_fen: int,
    frozen_fen: dict[tuple[str, int], int],
    extra_hours: Sequence[EarnedHour] = (),
) -> dict[tuple[int, int, int], int]:
    """Per (trainee id, project id, year): the subsidy its subsidizable hours in the open
    ``projects`` get when every hour of each person-year is paid in the order earned, at its
    project's rate (``policies``), up to ``cap_fen`` less what ``frozen_fen`` (per person and
    year: closed projects' claims) took first. ``person_of``: the trainees concerned, with the
    person (``id_number_hash``) of each; ``extra_hours``: hours not in the stored spans yet
    (learning in progress), paid in their place in the order."""
    projects = list(projects)
    if not projects or not person_of:
        return {}
    if db.session.get_bind().dialect.name != "postgresql":
        return _walked(projects, policies, person_of, cap_fen, frozen_fen, extra_hours)
    parts, params = [], {}
    for i, project in enumerate(projects):
        policy = policies[project.id]
        start, end = project_window(project)
        params[f"start_{i}"], params[f"end_{i}"] = start, end
        windows = year_windows(project)
        # An hour's China-time year, by the new years inside the project's dates.
        year = str(int(windows[-1][0]))
        if len(windows) > 1:
            cases = ""
            for j, (y, _, next_year) in enumerate(windows[:-1]):
                params[f"new_year_{i}_{j}"] = next_year
                cases += f" WHEN earned_at < :new_year_{i}_{j} THEN {int(y)}"
            year = f"CASE{cases} ELSE {year} END"
        parts.append(
            _PROJECT_HOURS.format(
                i=i,
                year=year,
                pid=int(project.id),
                rate=int(policy.fen_per_class_hour),
                per_hour=int(policy.seconds_per_class_hour),
                planned=int(project.planned_class_hours),
            )
        )
    extra = [hour for hour in extra_hours if hour.subsidizable]
    if extra:
        parts.append(_EXTRA_HOURS)
        params.update(
            x_trainee=[h.trainee_id for h in extra],
            x_project=[h.project_id for h in extra],
            x_number=[h.number for h in extra],
            x_rate=[policies[h.project_id].fen_per_class_hour for h in extra],
            x_at=[h.earned_at for h in extra],
            x_year=[local_date(h.earned_at).year for h in extra],
        )
    numbers = {person: n for n, person in enumerate(sorted(set(person_of.values())))}
    frozen = [(key, fen) for key, fen in frozen_fen.items() if key[0] in numbers]
    params.update(
        trainee_ids=list(person_of),
        person_nos=[numbers[person] for person in person_of.values()],
        cap=cap_fen,
        frozen_persons=[numbers[person] for (person, _), _ in frozen],
        frozen_years=[year for (_, year), _ in frozen],
        frozen_fen=[fen for _, fen in frozen],
    )
    sql = _PAID.format(hours=" UNION ALL ".join(parts))
    # The planner takes generate_series for a thousand rows a span, so the statement looks huge
    # and would be JIT-compiled at every call, which costs more than it ever saves here; its two
    # sorts (spans by trainee, hours by person) get the memory to stay off the disk.
    before = db.session.execute(
        sa.text(
            "SELECT current_setting('jit'), current_setting('work_mem'),"
            " set_config('jit', 'off', true), set_config('work_mem', '64MB', true)"
        )
    ).first()
    rows = db.session.execute(sa.text(sql), params).all()
    db.session.execute(
        sa.text("SELECT set_config('jit', :jit, true), set_config('work_mem', :mem, true)"),
        {"jit": before[0], "mem": before[1]},
    )
    return {(trainee_id, pid, year): int(fen) for trainee_id, pid, year, fen in rows}


def _walked(projects, policies, person_of, cap_fen, frozen_fen, extra_hours):
    # SQLite (development): the same payment, walking every earned hour in Python.
    earned = list(extra_hours)
    for project in projects:
        earned += earned_hours(project, list(person_of), policies[project.id])
    earned.sort(key=lambda h: (h.earned_at, h.project_id, h.trainee_id, h.number))
    spent = dict(frozen_fen)
    paid: dict[tuple[int, int, int], int] = {}
    for hour in earned:
        if not hour.subsidizable:
            continue
        year = local_date(hour.earned_at).year
        person = (person_of[hour.trainee_id], year)
        rate = policies[hour.project_id].fen_per_class_hour
        fen = max(0, min(rate, cap_fen - spent.get(person, 0)))
        spent[person] = spent.get(person, 0) + fen
        key = (hour.trainee_id, hour.project_id, year)
        paid[key] = paid.get(key, 0) + fen
    return paid
