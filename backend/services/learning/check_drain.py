"""Attention checks from the live-session stream to the database: opened, answered, expired."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from backend.extensions import db
from backend.models import AttentionCheck, CheckKind, CheckOutcome
from backend.services.learning.live import at_second

KIND = "ac"  # the ``k`` field of a check's stream entries (spans have none)


@dataclass(frozen=True)
class CheckRow:
    """An attention check's whole row as the live-session script published it (check_event)."""

    id: int
    session_id: int
    trainee_id: int
    kind: CheckKind
    question_id: int | None
    expected: str
    issued_s: int
    expires_s: int
    answered_s: int | None
    answer: str | None
    outcome: CheckOutcome

    @classmethod
    def from_entry(cls, fields: dict[str, str]) -> CheckRow:
        """Read a stream entry of a check."""
        answered = int(fields["aa"])
        return cls(
            id=int(fields["i"]),
            session_id=int(fields["s"]),
            trainee_id=int(fields["t"]),
            kind=CheckKind(fields["kd"]),
            question_id=int(fields["qn"]) or None,
            expected=fields["x"],
            issued_s=int(fields["ia"]),
            expires_s=int(fields["ea"]),
            answered_s=answered or None,
            answer=fields["an"] if answered else None,
            outcome=CheckOutcome(fields["oc"]),
        )


def is_check(fields: dict[str, str]) -> bool:
    """Whether a stream entry is an attention check's (else a credited span's)."""
    return fields.get("k") == KIND


def write_checks(rows: list[CheckRow]) -> None:
    """Insert or settle the checks' rows."""
    # Order-independent and idempotent: each event is the whole row, and an outcome, once
    # settled, never moves (a late "opened" event, or the same event twice, changes nothing).
    if not rows:
        return
    settled = {}
    for row in rows:
        if row.id not in settled or settled[row.id].outcome is CheckOutcome.PENDING:
            settled[row.id] = row
    values = [
        {
            "id": row.id,
            "session_id": row.session_id,
            "trainee_id": row.trainee_id,
            "kind": row.kind,
            "question_id": row.question_id,
            "expected": row.expected,
            "issued_at": at_second(row.issued_s),
            "expires_at": at_second(row.expires_s),
            "answered_at": at_second(row.answered_s) if row.answered_s else None,
            "answer": row.answer,
            "outcome": row.outcome,
        }
        for row in sorted(settled.values(), key=lambda row: row.id)
    ]
    # Executed once per row (psycopg pipelines them) with one statement the compiled cache
    # keeps: a multi-row VALUES of the batch's length was compiled anew every batch, which
    # cost the drainer more than all its spans (py-spy, bench/heartbeat.py).
    db.session.execute(_upsert(db.session.get_bind().dialect.name), values)


def _upsert(dialect: str):
    table = AttentionCheck.__table__
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    return insert.on_conflict_do_update(
        index_elements=["id"],
        set_={
            "answered_at": insert.excluded.answered_at,
            "answer": insert.excluded.answer,
            "outcome": insert.excluded.outcome,
        },
        where=sa.and_(
            table.c.outcome == CheckOutcome.PENDING,
            insert.excluded.outcome != CheckOutcome.PENDING,
        ),
    )
