"""Tamper-evident records: each project's credited spans form a hash chain.

Every span's ``chain_hash`` is SHA-256 over the previous link and the span's own fields, in the
order the spans were sealed (``chain_seq``: sealers hold the project's chain head locked until
they commit). An open span (``chain_hash`` None) is still being extended by the drain and is not
in the chain yet (``span_seal``). Editing, deleting or inserting a sealed span breaks every
later link and the head, which every export prints.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert

from backend.extensions import db
from backend.models import CreditedSpan, RecordChainHead

GENESIS = "0" * 64


def link(previous: str, span: CreditedSpan) -> str:
    """The chain link of ``span`` after the link ``previous``."""
    return link_of(
        previous,
        span.id,
        span.project_id,
        span.trainee_id,
        span.session_id,
        span.lesson_id,
        int(span.start_at.timestamp()),
        int(span.end_at.timestamp()),
        span.seconds,
        span.device,
        span.face_check_id,
    )


def link_of(
    previous: str,
    span_id: int,
    project_id: int,
    trainee_id: int,
    session_id: int,
    lesson_id: int,
    start_s: int,
    end_s: int,
    seconds: int,
    device: str,
    face_check_id: int | None,
) -> str:
    """The chain link after ``previous`` of a span given by its fields (times in epoch s)."""
    fields = (previous, span_id, project_id, trainee_id, session_id, lesson_id, start_s, end_s)
    fields += (seconds, device, face_check_id or "")
    return hashlib.sha256("|".join(str(f) for f in fields).encode("utf-8")).hexdigest()


def lock_head(project_id: int) -> RecordChainHead:
    """The project's chain head, locked until the caller's transaction ends."""
    # Created on first use; INSERT ... ON CONFLICT lets two first writers race safely.
    if db.engine.dialect.name == "postgresql":
        db.session.execute(
            pg_insert(RecordChainHead)
            .values(project_id=project_id, span_count=0, head_hash=GENESIS)
            .on_conflict_do_nothing()
        )
    head = db.session.scalar(
        sa.select(RecordChainHead)
        .where(RecordChainHead.project_id == project_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if head is None:  # SQLite (development): one writer at a time anyway
        head = RecordChainHead(project_id=project_id, span_count=0, head_hash=GENESIS)
        db.session.add(head)
    return head


def lock_heads(project_ids) -> dict[int, RecordChainHead]:
    """Lock the chain heads of several projects (a batch writer), in id order so that two
    writers never wait on each other crosswise."""
    return {project_id: lock_head(project_id) for project_id in sorted(set(project_ids))}


def append(head: RecordChainHead, spans: list[CreditedSpan]) -> None:
    """Chain newly added spans (flushed, in id order) onto the locked head."""
    db.session.flush()
    for span in sorted(spans, key=lambda s: s.id):
        span.chain_hash = link(head.head_hash, span)
        head.head_hash = span.chain_hash
        head.span_count += 1
        span.chain_seq = head.span_count


def head_digest(project_id: int) -> tuple[str, int]:
    """The project's head digest and how many spans it covers (for exports)."""
    head = db.session.get(RecordChainHead, project_id)
    return (head.head_hash, head.span_count) if head is not None else (GENESIS, 0)


@dataclass(frozen=True)
class Verdict:
    """What recomputing a project's chain found."""

    ok: bool
    checked: int
    head: str
    broken_span_id: int | None = None  # the first span whose link does not match
    problem: str = ""


def verify(project_id: int) -> Verdict:
    """Recompute the project's chain from its spans and name the first broken link."""
    previous, checked = GENESIS, 0
    spans = db.session.scalars(
        sa.select(CreditedSpan)
        .where(CreditedSpan.project_id == project_id, CreditedSpan.chain_hash.is_not(None))
        .order_by(CreditedSpan.chain_seq)
        .execution_options(yield_per=1000)
    )
    with spans:  # a server-side cursor: closed even when a broken link ends the walk
        for span in spans:
            expected = link(previous, span)
            if span.chain_hash != expected:
                problem = "链接不符：该记录或其前一条被修改过"
                return Verdict(False, checked, previous, span.id, problem)
            previous, checked = expected, checked + 1
    stored, count = head_digest(project_id)
    if (stored, count) != (previous, checked):
        problem = f"链头不符：记录了 {count} 条、摘要 {stored}，重算得 {checked} 条（有记录被删除）"
        return Verdict(False, checked, previous, None, problem)
    return Verdict(True, checked, previous)


def digest_line(project_id: int) -> str:
    """The line every export of the project prints: its chain head and what it covers (the
    digest on a line of its own, so that it fits a portrait page)."""
    head, count = head_digest(project_id)
    return f"记录链摘要（{count} 条计入时段，可在管理后台的诚信提示页核验）：\n{head}"
