"""Sealing open spans: linking them onto their projects' chains, never to change again.

The drain (``credit_drain.write_spans``) extends a trainee's open span while the session's
credit keeps coming in back to back, so a credited hour is a handful of rows, not one per beat.
A span is sealed once nothing may extend it any more: its session ended (checked out,
superseded, abandoned, closed with its project) and its credit up to the end is drained, a
later span of the trainee exists (a face check, a pause or a midnight cut it), it covers 15
minutes, or it opened 16 minutes ago (the drain never extends it past 15). Sealing gives the
span its link (``record_chain.link``) and its place in the chain (``chain_seq``), under the
project's chain head lock, which every span writer takes first.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from backend.extensions import db
from backend.models import CreditedSpan, LearningSession, RecordChainHead, SessionStatus
from backend.services.learning import record_chain
from backend.services.learning.live import at_second

MAX_SPAN_S = (
    15 * 60
)  # an open span covers at most this much, and is sealed this long after it opened
CHINA_OFFSET_S = 8 * 3600
# A span of an ended session is sealed once its credit reached the session's end, or this long
# after the end (the last credit drained within a second or two; the rest was forfeited); an
# open span of a live session this long after its 15 minutes ran out (its last seconds drained).
GRACE_S = 60


def china_day(epoch_s: int) -> int:
    """The China-time day (days since the epoch) of an epoch second."""
    return (epoch_s + CHINA_OFFSET_S) // 86400


def _due(now_s: int):
    # Open spans nothing may extend any more (the partial index ix_credited_span_open holds
    # the open spans: about one per trainee learning now).
    span, later = CreditedSpan, aliased(CreditedSpan)
    return (
        sa.select(span.id, span.project_id)
        .join(LearningSession, LearningSession.id == span.session_id)
        .where(
            span.chain_hash.is_(None),
            sa.or_(
                # opened 15 minutes ago: the credit of its last seconds has had a minute to
                # be drained
                span.start_at <= at_second(now_s - MAX_SPAN_S - GRACE_S),
                span.seconds >= MAX_SPAN_S,
                sa.and_(
                    LearningSession.status != SessionStatus.ACTIVE,
                    # its credit drained up to the session's end, or ended a while ago (the
                    # rest forfeited: a check open at check-out)
                    sa.or_(
                        span.end_at >= LearningSession.ended_at,
                        LearningSession.ended_at <= at_second(now_s - GRACE_S),
                    ),
                ),
                sa.exists().where(
                    later.trainee_id == span.trainee_id, later.start_at > span.start_at
                ),
            ),
        )
    )


def seal_due(now_s: int, *, project_id: int | None = None) -> int:
    """Seal the open spans that are due (every open span of ``project_id`` if given: a project
    closing); return how many were sealed. The caller commits."""
    if project_id is not None:
        span = CreditedSpan
        query = sa.select(span.id, span.project_id).where(
            span.chain_hash.is_(None), span.project_id == project_id
        )
    else:
        query = _due(now_s)
    found = db.session.execute(query).all()
    if not found:
        return 0
    return seal([row.id for row in found], sorted({row.project_id for row in found}))


def seal(span_ids: list[int], project_ids: list[int]) -> int:
    """Seal these spans (of these projects) in id order, if still open."""
    heads = {pid: record_chain.lock_head(pid) for pid in sorted(project_ids)}
    spans = db.session.scalars(
        sa.select(CreditedSpan)
        .where(CreditedSpan.id.in_(span_ids), CreditedSpan.chain_hash.is_(None))
        .order_by(CreditedSpan.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    for span in spans:
        head: RecordChainHead = heads[span.project_id]
        head.head_hash = record_chain.link(head.head_hash, span)
        head.span_count += 1
        span.chain_hash, span.chain_seq = head.head_hash, head.span_count
    db.session.flush()
    return len(spans)
