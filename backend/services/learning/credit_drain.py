"""Credited spans from the live-session stream to the database: the one place spans are written."""

from __future__ import annotations

from dataclasses import dataclass, replace

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from backend.extensions import db, redis_store
from backend.models import (
    CreditedSpan,
    LearningSession,
    RecordChainHead,
)
from backend.services.learning import face_checks, record_chain, span_seal
from backend.services.learning.check_drain import is_check
from backend.services.learning.live import at_second, stream_keys
from backend.services.learning.span_coalesce import csv_ints, insert_uncovered_coalesced


@dataclass  # not frozen: a frozen dataclass's __init__ sets each field through
class SpanRow:  # object.__setattr__, a microsecond a drained span
    """One credited span as the live-session script published it, with its session's state."""

    session_id: int
    trainee_id: int
    lesson_id: int
    project_id: int
    device: str
    start_s: int  # epoch seconds, [start_s, end_s)
    end_s: int
    seq: int  # the session's state after the beat that credited it
    position_s: int
    last_beat_s: int
    playing: bool = True

    @classmethod
    def from_entry(cls, fields: dict[str, str]) -> SpanRow:
        """Read a stream entry (see live_state.lua, ``publish``)."""
        packed = fields.get("v")
        if packed is not None:
            sid, tid, lid, pid, a, b, seq, pos, last, play, device = packed.split("|", 10)
            return cls(
                int(sid), int(tid), int(lid), int(pid), device, int(a), int(b), int(seq),
                int(pos), int(last), play == "1",
            )  # fmt: skip
        # An entry a field per value, as the script wrote them before (still in a stream
        # when the new script is deployed).
        return cls(
            session_id=int(fields["s"]),
            trainee_id=int(fields["t"]),
            lesson_id=int(fields["l"]),
            project_id=int(fields["p"]),
            device=fields.get("d", ""),
            start_s=int(fields["a"]),
            end_s=int(fields["b"]),
            seq=int(fields["q"]),
            position_s=int(fields["o"]),
            last_beat_s=int(fields["z"]),
            playing=fields.get("y", "1") == "1",
        )


def _insert(dialect: str, model):
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model)


def _lock_heads(dialect: str, project_ids: list[int]) -> dict[int, RecordChainHead]:
    """The batch's projects' chain heads, locked in id order until the transaction ends."""
    # Drainers lock heads in the same order, so two batches never deadlock on them; while they
    # are held nobody else inserts spans of those projects, so span ids follow each chain.
    if dialect != "postgresql":
        return {pid: record_chain.lock_head(pid) for pid in project_ids}
    db.session.execute(
        _insert(dialect, RecordChainHead)
        .values(
            [
                {"project_id": pid, "span_count": 0, "head_hash": record_chain.GENESIS}
                for pid in project_ids
            ]
        )
        .on_conflict_do_nothing()
    )
    heads = db.session.scalars(
        sa.select(RecordChainHead)
        .where(RecordChainHead.project_id.in_(project_ids))
        .order_by(RecordChainHead.project_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return {head.project_id: head for head in heads}


def write_spans(rows: list[SpanRow]) -> int:
    """Write the parts of spans the database does not have yet (extending their trainees' open
    spans where they continue them: ``span_coalesce``; sealed later by ``span_seal``), add
    them to their sessions; return the seconds added."""
    # Idempotent and never doubling: a span is clipped to the seconds no stored span of its
    # trainee covers (other sessions and projects too), so a batch written again adds nothing,
    # and neither does a span drained late whose time a session rebuilt after a Redis loss has
    # credited again. Writers of the batch's trainees are serialized for the clipping to see
    # each other. A span is cut where a passed face check was issued, each piece naming the
    # check that covers it; the cuts depend only on the span and the checks, so a retried batch
    # cuts alike.
    if not rows:
        return 0
    dialect = db.session.get_bind().dialect.name
    unique = disjoint(rows)
    coverage = face_checks.coverage_points({row.trainee_id for row in unique})
    heads = _lock_heads(dialect, sorted({row.project_id for row in unique}))
    _lock_trainees(dialect, {row.trainee_id for row in unique})
    # In the order of span_coalesce._ARRAYS.
    values = [
        (row.trainee_id, row.session_id, row.lesson_id, row.project_id, a, b, row.device, check)
        for row in unique
        for a, b, check in _pieces(row, coverage.get((row.trainee_id, row.project_id)))
    ]
    if dialect == "postgresql":
        added = insert_uncovered_coalesced(values)
    else:
        inserted = _insert_uncovered_sqlite(values)
        _chain_sqlite(heads, inserted)
        added = {}
        for span in inserted:
            added[span.session_id] = added.get(span.session_id, 0) + span.seconds
    latest: dict[int, SpanRow] = {}
    for row in rows:
        if row.session_id not in latest or row.last_beat_s > latest[row.session_id].last_beat_s:
            latest[row.session_id] = row
    _update_sessions(dialect, latest, added)
    return sum(added.values())


def _pieces(row: SpanRow, points: list[tuple[int, int]] | None):
    # Most trainees have no face check to cut at: one piece, covered by none.
    if not points:
        return ((row.start_s, row.end_s, None),)
    return face_checks.split_by_coverage(row.start_s, row.end_s, points)


def disjoint(rows: list[SpanRow]) -> list[SpanRow]:
    """The batch's spans with the seconds another span of the same trainee in it already has
    cut off (earliest start first); spans left empty are dropped."""
    reach: dict[int, int] = {}
    out = []
    for row in sorted(rows, key=lambda r: (r.trainee_id, r.start_s, -r.end_s)):
        start = max(row.start_s, reach.get(row.trainee_id, row.start_s))
        if start < row.end_s:
            out.append(replace(row, start_s=start) if start != row.start_s else row)
            reach[row.trainee_id] = row.end_s
    return out


# Serializes span writers per trainee (hashed into this many advisory locks, so a batch of
# a thousand trainees takes at most this many locks of the server's shared lock table).
_TRAINEE_LOCKS = 64
_LOCK_CLASS = 0x5347  # the advisory-lock namespace of credited spans


def _lock_trainees(dialect: str, trainee_ids: set[int]) -> None:
    # Taken by its own statement, so that the insert's snapshot sees what the writers before
    # committed; in ascending order, after the chain heads, as every writer does: no deadlock.
    if dialect != "postgresql":
        return  # SQLite (development only) has one writer at a time
    buckets = sorted({tid % _TRAINEE_LOCKS for tid in trainee_ids})
    db.session.execute(
        sa.text("SELECT count(pg_advisory_xact_lock(:ns, b)) FROM unnest(CAST(:b AS integer[])) b"),
        {"ns": _LOCK_CLASS, "b": buckets},
    )


_COLUMNS = [c for c in CreditedSpan.__table__.c if c.name not in ("chain_hash", "chain_seq")]


_KEYS = ("trainee_id", "session_id", "lesson_id", "project_id", "start_s", "end_s", "device",
         "face_check_id")  # fmt: skip


def _insert_uncovered_sqlite(values: list[tuple]) -> list:
    """Insert the seconds of ``values`` no stored span covers; the rows inserted (SQLite,
    development only: the same clipping, read and cut here)."""
    if not values:
        return []
    pieces = []
    for value in values:
        v = dict(zip(_KEYS, value, strict=True))
        a, b = at_second(v.pop("start_s")), at_second(v.pop("end_s"))
        stored = db.session.execute(
            sa.select(CreditedSpan.start_at, CreditedSpan.end_at)
            .where(
                CreditedSpan.trainee_id == v["trainee_id"],
                CreditedSpan.start_at < b,
                CreditedSpan.end_at > a,
            )
            .order_by(CreditedSpan.start_at)
        ).all()
        for start, end in [*stored, (b, b)]:
            if start > a:
                seconds = int((start - a).total_seconds())
                pieces.append({**v, "start_at": a, "end_at": start, "seconds": seconds})
            a = max(a, end)
    if not pieces:
        return []
    return db.session.execute(
        _insert("sqlite", CreditedSpan).values(pieces).returning(*_COLUMNS)
    ).all()


def _chain_sqlite(heads: dict[int, RecordChainHead], inserted) -> None:
    # Links in id order onto each project's head (see record_chain).
    hashes = []
    for span in sorted(inserted, key=lambda span: span.id):
        head = heads[span.project_id]
        head.head_hash = record_chain.link(head.head_hash, span)
        head.span_count += 1
        hashes.append(
            {"span_id": span.id, "chain_hash": head.head_hash, "chain_seq": head.span_count}
        )
    if hashes:
        table = CreditedSpan.__table__
        db.session.execute(table.update().where(table.c.id == sa.bindparam("span_id")), hashes)


# The batch's rows travel as one array a column (unnest), not as a VALUES list of thousands of
# parameters: measured on 1000 spans, 4-6× less time in the driver and SQLAlchemy.
_ADD_TO_SESSIONS = sa.text(
    """
UPDATE learning_session s SET
  credited_s = s.credited_s + v.added,
  last_beat_at = greatest(s.last_beat_at, v.last),
  last_seq = greatest(s.last_seq, v.seq),
  last_position_s = CASE WHEN v.last >= s.last_beat_at THEN v.pos ELSE s.last_position_s END,
  last_playing = CASE WHEN v.last >= s.last_beat_at THEN v.play ELSE s.last_playing END
FROM (
  SELECT id, added, to_timestamp(last_s) AS last, seq, pos, play FROM unnest(
    CAST(string_to_array(:id, ',', 'n') AS integer[]),
    CAST(string_to_array(:added, ',', 'n') AS integer[]),
    CAST(string_to_array(:last, ',', 'n') AS bigint[]),
    CAST(string_to_array(:seq, ',', 'n') AS integer[]),
    CAST(string_to_array(:pos, ',', 'n') AS integer[]),
    CAST(string_to_array(:play, ',') AS boolean[])
  ) AS u(id, added, last_s, seq, pos, play)
) AS v
WHERE s.id = v.id
"""
)


def _update_sessions(dialect: str, latest: dict[int, SpanRow], added: dict[int, int]) -> None:
    # One statement for the whole batch on PostgreSQL; SQLite (development only) row by row.
    data = [
        (sid, added.get(sid, 0), row.last_beat_s, row.seq, row.position_s, row.playing)
        for sid, row in sorted(latest.items())
    ]
    session = LearningSession
    if dialect != "postgresql":
        for sid, seconds, last_s, seq, pos, playing in data:
            last = at_second(last_s)
            current = db.session.get(session, sid)
            if current is None:
                continue
            current.credited_s += seconds
            if last >= current.last_beat_at:
                current.last_beat_at, current.last_position_s = last, pos
                current.last_playing = playing
            current.last_seq = max(current.last_seq, seq)
        db.session.flush()
        return
    names = ("id", "added", "last", "seq", "pos", "play")
    columns = zip(*data, strict=True)
    params = {
        n: ",".join("t" if v else "f" for v in c) if n == "play" else csv_ints(c)
        for n, c in zip(names, columns, strict=True)
    }
    db.session.execute(_ADD_TO_SESSIONS, params)


def write_pending(project_id: int, chunk: int = 5000) -> int:
    """Write now the project's spans still in the credit stream; return the seconds added."""
    # For a project closing, before its figures freeze: the drain may be a second behind (or
    # down). Entries a drainer is writing at the same time are still in the stream; whichever
    # writes a span second adds nothing, so they are safe to write here too.
    client = redis_store.client
    rows: list[SpanRow] = []
    for key in stream_keys():
        start = "-"
        while entries := client.xrange(key, start, "+", count=chunk):
            spans = (SpanRow.from_entry(f) for _, f in entries if f and not is_check(f))
            rows += [row for row in spans if row.project_id == project_id]
            start = "(" + entries[-1][0]
    added = write_spans(rows)
    # Its sessions are closed: every span of the project is sealed, so the claim's chain
    # digest covers all of its credit.
    span_seal.seal_due(0, project_id=project_id)
    return added
