"""Credited spans from the live-session stream to the database: the one place spans are written."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from backend.extensions import db
from backend.models import CreditedSpan, LearningSession
from backend.models.types import UTCDateTime
from backend.services.live import at_second


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


def _insert(dialect: str):
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(CreditedSpan)


def write_spans(rows: list[SpanRow]) -> int:
    """Write spans the database does not have yet and add them to their sessions; return seconds."""
    # Idempotent: a span's key is (trainee, start) — spans of a trainee never overlap — so a
    # batch written again (a drain died before acknowledging it) adds nothing. Sessions gain
    # only the seconds actually inserted, and their last beat only moves forward.
    if not rows:
        return 0
    unique = {(row.trainee_id, row.start_s): row for row in rows}
    dialect = db.session.get_bind().dialect.name
    inserted = db.session.execute(
        _insert(dialect)
        .values(
            [
                {
                    "trainee_id": row.trainee_id,
                    "session_id": row.session_id,
                    "lesson_id": row.lesson_id,
                    "project_id": row.project_id,
                    "start_at": at_second(row.start_s),
                    "end_at": at_second(row.end_s),
                    "seconds": row.end_s - row.start_s,
                    "device": row.device,
                }
                for row in unique.values()
            ]
        )
        .on_conflict_do_nothing(index_elements=["trainee_id", "start_at"])
        .returning(CreditedSpan.session_id, CreditedSpan.seconds)
    ).all()
    added: dict[int, int] = {}
    for session_id, seconds in inserted:
        added[session_id] = added.get(session_id, 0) + seconds
    latest: dict[int, SpanRow] = {}
    for row in rows:
        if row.session_id not in latest or row.last_beat_s > latest[row.session_id].last_beat_s:
            latest[row.session_id] = row
    _update_sessions(dialect, latest, added)
    return sum(added.values())


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
