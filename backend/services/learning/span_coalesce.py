"""Coalescing credited spans: a session's credit extends its trainee's open span.

The drain (``credit_drain.write_spans``) clips each new span to the seconds no stored span of
the trainee covers, then joins the pieces that continue each other (the same session and face
check, back to back, the same China-time day, at most ``span_seal.MAX_SPAN_S`` from the span's
start) and extends the trainee's open span with them where they continue it; anything else
opens a new span. ``span_seal`` seals open spans once nothing may extend them.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from backend.extensions import db
from backend.services.learning import span_seal


def csv_ints(values) -> str:
    """Integers (or hex digests) as one comma-separated text; None as n."""
    # The batch's columns travel as one text each, read by string_to_array(:x, ',', 'n'):
    # psycopg's list dumper cost the drainer 0.57 ms of CPU a 1,000-element array, a joined
    # string 0.11 ms.
    return ",".join("n" if v is None else str(v) for v in values)


# Each new span minus the stored spans of its trainee that overlap it, piece by piece, each
# with the trainee's stored span that starts last before it (the one it may extend: see
# _coalesce). Most new spans start where their trainee's last stored span ends: one index scan
# (the last span starting before the new one's end) finds it, and shows that nothing overlaps
# when it starts before the new span and ends at or before its start; only the others are cut
# (a trainee's spans never overlap, so what overlaps is the last one starting at or before the
# new span and those starting inside it: two more range scans) and looked up again (with the
# coalescing below: PostgreSQL's CPU per drained span 31.5 -> 27.7 us, bench/drain_cost.py).
_UNCOVERED_PIECES = sa.text(
    """
WITH v AS (
  SELECT trainee_id, session_id, lesson_id, project_id, a, b, to_timestamp(a) AS start_at,
    to_timestamp(b) AS end_at, device, face_check_id
  FROM unnest(
    CAST(string_to_array(:trainee, ',', 'n') AS integer[]),
    CAST(string_to_array(:session, ',', 'n') AS integer[]),
    CAST(string_to_array(:lesson, ',', 'n') AS integer[]),
    CAST(string_to_array(:project, ',', 'n') AS integer[]),
    CAST(string_to_array(:start, ',', 'n') AS bigint[]),
    CAST(string_to_array(:end, ',', 'n') AS bigint[]),
    CAST(:device AS varchar[]),
    CAST(string_to_array(:fcheck, ',', 'n') AS integer[])
  ) AS v(trainee_id, session_id, lesson_id, project_id, a, b, device, face_check_id)
), f AS MATERIALIZED (
  SELECT v.*, o.id AS o_id, o.start_at AS o_start_at, o.end_at AS o_end_at,
    o.session_id AS o_session_id, o.face_check_id AS o_face_check_id,
    o.chain_hash IS NULL AS o_open,
    o.id IS NULL OR (o.start_at < v.start_at AND o.end_at <= v.start_at) AS clear
  FROM v LEFT JOIN LATERAL (
    SELECT id, start_at, end_at, session_id, face_check_id, chain_hash FROM credited_span o
    WHERE o.trainee_id = v.trainee_id AND o.start_at < v.end_at
    ORDER BY o.start_at DESC LIMIT 1
  ) o ON true
), piece AS (
  SELECT f.*, unnest(tstzmultirange(tstzrange(f.start_at, f.end_at)) - coalesce((
    SELECT range_agg(tstzrange(c.start_at, c.end_at)) FROM credited_span c
    WHERE c.trainee_id = f.trainee_id AND c.start_at < f.end_at AND c.end_at > f.start_at
      AND c.start_at >= coalesce((
        SELECT max(p.start_at) FROM credited_span p
        WHERE p.trainee_id = f.trainee_id AND p.start_at <= f.start_at), f.start_at)
  ), '{}'::tstzmultirange)) AS r
  FROM f WHERE NOT f.clear
)
SELECT trainee_id, session_id, lesson_id, project_id, a AS start_s, b AS end_s, device,
  face_check_id, o_id, CAST(extract(epoch FROM o_start_at) AS bigint) AS o_start_s,
  CAST(extract(epoch FROM o_end_at) AS bigint) AS o_end_s, o_session_id, o_face_check_id, o_open
FROM f WHERE clear
UNION ALL
SELECT piece.trainee_id, piece.session_id, piece.lesson_id, piece.project_id,
  CAST(extract(epoch FROM lower(r)) AS bigint) AS start_s,
  CAST(extract(epoch FROM upper(r)) AS bigint) AS end_s, piece.device, piece.face_check_id,
  o.id AS o_id, CAST(extract(epoch FROM o.start_at) AS bigint) AS o_start_s,
  CAST(extract(epoch FROM o.end_at) AS bigint) AS o_end_s, o.session_id AS o_session_id,
  o.face_check_id AS o_face_check_id, o.chain_hash IS NULL AS o_open
FROM piece LEFT JOIN LATERAL (
  SELECT id, start_at, end_at, session_id, face_check_id, chain_hash FROM credited_span o
  WHERE o.trainee_id = piece.trainee_id AND o.start_at < lower(piece.r)
  ORDER BY o.start_at DESC LIMIT 1
) o ON true
"""
)
_INSERT_PIECES = sa.text(
    """
INSERT INTO credited_span
  (trainee_id, session_id, lesson_id, project_id, start_at, end_at, seconds, device,
   face_check_id)
SELECT trainee_id, session_id, lesson_id, project_id, to_timestamp(a), to_timestamp(b),
  b - a, device, face_check_id
FROM unnest(
  CAST(string_to_array(:trainee, ',', 'n') AS integer[]),
  CAST(string_to_array(:session, ',', 'n') AS integer[]),
  CAST(string_to_array(:lesson, ',', 'n') AS integer[]),
  CAST(string_to_array(:project, ',', 'n') AS integer[]),
  CAST(string_to_array(:start, ',', 'n') AS bigint[]),
  CAST(string_to_array(:end, ',', 'n') AS bigint[]),
  CAST(:device AS varchar[]),
  CAST(string_to_array(:fcheck, ',', 'n') AS integer[])
) AS v(trainee_id, session_id, lesson_id, project_id, a, b, device, face_check_id)
"""
)
# Open spans extended to a new end; each only if still open and still ending where it was
# read (the chain head lock held since makes that certain; the count is checked anyway).
_EXTEND = sa.text(
    """
UPDATE credited_span c SET end_at = to_timestamp(v.b), seconds = c.seconds + (v.b - v.was)
FROM unnest(
  CAST(string_to_array(:id, ',') AS integer[]),
  CAST(string_to_array(:was, ',') AS bigint[]),
  CAST(string_to_array(:b, ',') AS bigint[])
) AS v(id, was, b)
WHERE c.id = v.id AND c.chain_hash IS NULL AND c.end_at = to_timestamp(v.was)
"""
)
# Parameter name and key (in a value and in a piece) of each array (epoch seconds: an integer
# array costs the driver a fraction of a timestamptz one to send).
_ARRAYS = [
    ("trainee", "trainee_id"),
    ("session", "session_id"),
    ("lesson", "lesson_id"),
    ("project", "project_id"),
    ("start", "start_s"),
    ("end", "end_s"),
    ("device", "device"),
    ("fcheck", "face_check_id"),
]


def _param(name: str, column) -> str | list:
    # The device is the client's text, which may hold a comma: it goes as an array.
    return list(column) if name == "device" else csv_ints(column)


class SpanMoved(SQLAlchemyError):
    """An open span changed between the read and the write: the batch is written again."""


@dataclass(slots=True)
class _Run:
    """Back-to-back pieces of one session and face check: one new span or one extension."""

    trainee_id: int
    session_id: int
    lesson_id: int
    project_id: int
    device: str
    face_check_id: int | None
    start_s: int  # the span's start (the open span's own, when extending one)
    end_s: int
    extends: int | None = None  # the id of the stored open span this run extends
    was_end_s: int = 0  # that span's end when read


_DAY_S = 86400
_OFFSET_S = span_seal.CHINA_OFFSET_S


def _joins(run_start: int, run_end: int, run_session: int, run_check, piece) -> bool:
    # The same session and face check, back to back, the same China-time day
    # (span_seal.china_day, inlined: this runs for every drained span), and within the longest
    # span.
    _, session_id, _, _, start, end, _, face_check_id = piece[:8]
    return (
        run_end == start
        and run_session == session_id
        and run_check == face_check_id
        and (run_start + _OFFSET_S) // _DAY_S == (end - 1 + _OFFSET_S) // _DAY_S
        and end - run_start <= span_seal.MAX_SPAN_S
    )


def _trainee_start(piece):
    return piece[0], piece[4]


def _coalesce(pieces) -> list[_Run]:
    """The pieces (rows of _UNCOVERED_PIECES, read by position: a row's attributes by name cost
    the drainer a tenth of its time) joined into runs: each extends the previous run or the
    trainee's stored open span when it can (``_joins``), or starts a new span."""
    runs: list[_Run] = []
    last: dict[int, _Run] = {}
    extended: set[int] = set()
    for p in sorted(pieces, key=_trainee_start):
        tid, sid, lid, pid, a, b, device, fc, o_id, o_a, o_b, o_sid, o_fc, o_open = p
        before = last.get(tid)
        if before is not None and _joins(
            before.start_s, before.end_s, before.session_id, before.face_check_id, p
        ):
            before.end_s = b
            continue
        # (o_open is true when there is no stored span: chain_hash IS NULL of none)
        open_before = o_id is not None and o_open and o_id not in extended
        if open_before and _joins(o_a, o_b, o_sid, o_fc, p):
            stored = _Run(tid, o_sid, lid, pid, device, o_fc, o_a, b, o_id, o_b)
            extended.add(o_id)
            runs.append(stored)
            last[tid] = stored
            continue
        run = _Run(tid, sid, lid, pid, device, fc, a, b)
        runs.append(run)
        last[tid] = run
    return runs


def insert_uncovered_coalesced(values: list[tuple]) -> dict[int, int]:
    """Write the seconds of ``values`` (tuples in the order of ``_ARRAYS``) no stored span
    covers, extending open spans where they continue them; the seconds added, by session."""
    if not values:
        return {}
    columns = zip(*values, strict=True)
    params = {name: _param(name, c) for (name, _), c in zip(_ARRAYS, columns, strict=True)}
    pieces = db.session.execute(_UNCOVERED_PIECES, params).all()
    if not pieces:
        return {}
    runs = _coalesce(pieces)
    new = [run for run in runs if run.extends is None]
    if new:
        arrays = {name: _param(name, (getattr(r, key) for r in new)) for name, key in _ARRAYS}
        db.session.execute(_INSERT_PIECES, arrays)
    grown = [run for run in runs if run.extends is not None]
    if grown:
        moved = db.session.execute(
            _EXTEND,
            {
                "id": csv_ints(r.extends for r in grown),
                "was": csv_ints(r.was_end_s for r in grown),
                "b": csv_ints(r.end_s for r in grown),
            },
        )
        if moved.rowcount != len(grown):
            raise SpanMoved("an open span changed under the drain")
    added: dict[int, int] = {}
    for p in pieces:
        added[p[1]] = added.get(p[1], 0) + p[5] - p[4]
    return added
