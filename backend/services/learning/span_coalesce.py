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


# Each new span minus the stored spans of its trainee that overlap it (a trainee's spans never
# overlap, so those are the last one starting at or before it and those starting inside it:
# two index range scans), piece by piece, each with the trainee's stored span that starts last
# before it (the one it may extend: see _coalesce).
_UNCOVERED_PIECES = sa.text(
    """
WITH v AS (
  SELECT trainee_id, session_id, lesson_id, project_id, to_timestamp(a) AS start_at,
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
), piece AS (
  SELECT v.*, unnest(tstzmultirange(tstzrange(v.start_at, v.end_at)) - coalesce((
    SELECT range_agg(tstzrange(c.start_at, c.end_at)) FROM credited_span c
    WHERE c.trainee_id = v.trainee_id AND c.start_at < v.end_at AND c.end_at > v.start_at
      AND c.start_at >= coalesce((
        SELECT max(p.start_at) FROM credited_span p
        WHERE p.trainee_id = v.trainee_id AND p.start_at <= v.start_at), v.start_at)
  ), '{}'::tstzmultirange)) AS r
  FROM v
)
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


@dataclass(frozen=True)
class _Written:
    session_id: int
    seconds: int


class SpanMoved(SQLAlchemyError):
    """An open span changed between the read and the write: the batch is written again."""


@dataclass
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


def _joins(run: _Run, session_id: int, face_check_id: int | None, start: int, end: int) -> bool:
    # The same session and face check, back to back, the same China-time day, and within the
    # longest span.
    return (
        run.end_s == start
        and run.session_id == session_id
        and run.face_check_id == face_check_id
        and span_seal.china_day(run.start_s) == span_seal.china_day(end - 1)
        and end - run.start_s <= span_seal.MAX_SPAN_S
    )


def _coalesce(pieces) -> list[_Run]:
    """The pieces joined into runs: each extends the previous run or the trainee's stored open
    span when it can (``_joins``), or starts a new span."""
    runs: list[_Run] = []
    last: dict[int, _Run] = {}
    extended: set[int] = set()
    for p in sorted(pieces, key=lambda p: (p.trainee_id, p.start_s)):
        before = last.get(p.trainee_id)
        if before is not None and _joins(before, p.session_id, p.face_check_id, p.start_s, p.end_s):
            before.end_s = p.end_s
            continue
        if p.o_id is not None and p.o_open and p.o_id not in extended:
            stored = _Run(
                p.trainee_id, p.o_session_id, p.lesson_id, p.project_id, p.device,
                p.o_face_check_id, p.o_start_s, p.o_end_s, p.o_id, p.o_end_s,
            )  # fmt: skip
            if _joins(stored, p.session_id, p.face_check_id, p.start_s, p.end_s):
                stored.end_s = p.end_s
                extended.add(p.o_id)
                runs.append(stored)
                last[p.trainee_id] = stored
                continue
        run = _Run(
            p.trainee_id, p.session_id, p.lesson_id, p.project_id, p.device, p.face_check_id,
            p.start_s, p.end_s,
        )  # fmt: skip
        runs.append(run)
        last[p.trainee_id] = run
    return runs


def insert_uncovered_coalesced(values: list[dict]) -> list:
    """Write the seconds of ``values`` no stored span covers, extending open spans where they
    continue them; what was added, by session."""
    if not values:
        return []
    params = {name: _param(name, (v[key] for v in values)) for name, key in _ARRAYS}
    pieces = db.session.execute(_UNCOVERED_PIECES, params).all()
    if not pieces:
        return []
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
    return [_Written(p.session_id, p.end_s - p.start_s) for p in pieces]
