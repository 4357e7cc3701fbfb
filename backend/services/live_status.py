"""Who is learning right now, and the credit their open sessions hold that is not stored yet.

Beats change only the live state in Redis; the database learns of the credit from the drain
(backend/drainer.py), about a second later. The admin pages add what Redis holds on top, so a
trainee learning now shows 学习中 with the credit so far.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from backend import clock
from backend.extensions import db
from backend.models import LearningSession, Project, SessionStatus
from backend.policy import policy_for
from backend.services.live import epoch_s, peek_many


@dataclass(frozen=True)
class LiveSession:
    """An open session that beat recently."""

    session_id: int
    trainee_id: int
    lesson_id: int
    credited_s: int  # the session's credit so far (Redis), stored or not
    unstored_s: int  # the part the database does not have yet


def learning_now(project: Project, trainee_ids: list[int] | None = None) -> dict[int, LiveSession]:
    """Per trainee learning in the project now (a beat within the allowed gap), their session."""
    query = select(LearningSession).where(
        LearningSession.project_id == project.id,
        LearningSession.status == SessionStatus.ACTIVE,
    )
    if trainee_ids is not None:
        if not trainee_ids:
            return {}
        query = query.where(LearningSession.trainee_id.in_(trainee_ids))
    open_sessions = list(db.session.scalars(query))
    if not open_sessions:
        return {}
    live = peek_many([s.id for s in open_sessions])
    recent = epoch_s(clock.now()) - policy_for(project).max_gap_s
    out = {}
    for session in open_sessions:
        state = live.get(session.id)
        if state is None or state.last < recent:
            continue
        out[session.trainee_id] = LiveSession(
            session.id,
            session.trainee_id,
            session.lesson_id,
            state.cred,
            # What the drainer has not written to the session's total yet.
            max(state.cred - session.credited_s, 0),
        )
    return out
