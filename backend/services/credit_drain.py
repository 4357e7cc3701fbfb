"""Credited spans from the live-session stream to the database: the one place spans are written."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from backend.extensions import db, redis_store
from backend.models import (
    CreditedSpan,
    LearningSession,
    RecordChainHead,
)
from backend.models.types import UTCDateTime
from backend.services import face_checks, record_chain
from backend.services.check_drain import is_check
from backend.services.live import at_second, stream_key


@dataclass(frozen=True)
class SpanRow:
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

    @classmethod
    def from_entry(cls, fields: dict[str, str]) -> SpanRow:
        """Read a stream entry (see live_session.lua, ``publish``)."""
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
    """Write spans the database does not have yet, chain them, add them to their sessions."""
    # Idempotent: a span's key is (trainee, start) — spans of a trainee never overlap — so a
    # batch written again (a drain died before acknowledging it) adds nothing. A span is cut
    # where a passed face check was issued, each piece naming the check that covers it; the
    # cuts depend only on the span and the checks, so a retried batch cuts alike.
    if not rows:
        return 0
    dialect = db.session.get_bind().dialect.name
    unique = list({(row.trainee_id, row.start_s): row for row in rows}.values())
    coverage = face_checks.coverage_points({row.trainee_id for row in unique})
    heads = _lock_heads(dialect, sorted({row.project_id for row in unique}))
    values = [
        {
            "trainee_id": row.trainee_id,
            "session_id": row.session_id,
            "lesson_id": row.lesson_id,
            "project_id": row.project_id,
            "start_at": at_second(a),
            "end_at": at_second(b),
            "seconds": b - a,
            "device": row.device,
            "face_check_id": check_id,
        }
        for row in unique
        for a, b, check_id in face_checks.split_by_coverage(
            row.start_s, row.end_s, coverage.get((row.trainee_id, row.project_id), [])
        )
    ]
    columns = [c for c in CreditedSpan.__table__.c if c.name != "chain_hash"]
    inserted = db.session.execute(
        _insert(dialect, CreditedSpan)
        .values(values)
        .on_conflict_do_nothing(index_elements=["trainee_id", "start_at"])
        .returning(*columns)
    ).all()
    _chain(dialect, heads, inserted)
    added: dict[int, int] = {}
    for span in inserted:
        added[span.session_id] = added.get(span.session_id, 0) + span.seconds
    latest: dict[int, SpanRow] = {}
    for row in rows:
        if row.session_id not in latest or row.last_beat_s > latest[row.session_id].last_beat_s:
            latest[row.session_id] = row
    _update_sessions(dialect, latest, added)
    return sum(added.values())


def _chain(dialect: str, heads: dict[int, RecordChainHead], inserted) -> None:
    # Links in id order onto each project's head (see record_chain).
    hashes = []
    for span in sorted(inserted, key=lambda span: span.id):
        head = heads[span.project_id]
        head.head_hash = record_chain.link(head.head_hash, span)
        head.span_count += 1
        hashes.append((span.id, head.head_hash))
    if not hashes:
        return
    table = CreditedSpan.__table__
    if dialect != "postgresql":
        db.session.execute(
            table.update().where(table.c.id == sa.bindparam("span_id")),
            [{"span_id": span_id, "chain_hash": digest} for span_id, digest in hashes],
        )
        return
    v = sa.values(sa.column("id", sa.Integer), sa.column("h", sa.String), name="v").data(hashes)
    db.session.execute(table.update().where(table.c.id == v.c.id).values(chain_hash=v.c.h))


def _update_sessions(dialect: str, latest: dict[int, SpanRow], added: dict[int, int]) -> None:
    # One statement for the whole batch on PostgreSQL; SQLite (development only) row by row.
    data = [
        (sid, added.get(sid, 0), at_second(row.last_beat_s), row.seq, row.position_s)
        for sid, row in sorted(latest.items())
    ]
    session = LearningSession
    if dialect != "postgresql":
        for sid, seconds, last, seq, pos in data:
            current = db.session.get(session, sid)
            if current is None:
                continue
            current.credited_s += seconds
            if last >= current.last_beat_at:
                current.last_beat_at, current.last_position_s = last, pos
            current.last_seq = max(current.last_seq, seq)
        db.session.flush()
        return
    values = sa.values(
        sa.column("id", sa.Integer),
        sa.column("added", sa.Integer),
        sa.column("last", UTCDateTime()),
        sa.column("seq", sa.Integer),
        sa.column("pos", sa.Integer),
        name="v",
    ).data(data)
    db.session.execute(
        sa.update(session)
        .where(session.id == values.c.id)
        .values(
            credited_s=session.credited_s + values.c.added,
            last_beat_at=sa.func.greatest(session.last_beat_at, values.c.last),
            last_seq=sa.func.greatest(session.last_seq, values.c.seq),
            last_position_s=sa.case(
                (values.c.last >= session.last_beat_at, values.c.pos),
                else_=session.last_position_s,
            ),
        )
        .execution_options(synchronize_session=False)
    )


def write_pending(project_id: int, chunk: int = 5000) -> int:
    """Write now the project's spans still in the credit stream; return the seconds added."""
    # For a project closing, before its figures freeze: the drain may be a second behind (or
    # down). Entries a drainer is writing at the same time are still in the stream; whichever
    # writes a span second adds nothing, so they are safe to write here too.
    client, key = redis_store.client, stream_key()
    rows: list[SpanRow] = []
    start = "-"
    while entries := client.xrange(key, start, "+", count=chunk):
        rows += [
            SpanRow.from_entry(fields)
            for _, fields in entries
            if fields and not is_check(fields) and int(fields["p"]) == project_id
        ]
        start = "(" + entries[-1][0]
    return write_spans(rows)
