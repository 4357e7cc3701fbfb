"""Who is learning right now, and the credit their open sessions hold that is not stored yet.

Beats change only the live state in Redis; the database learns of the credit from the drain
(backend/drainer.py), about a second later. The admin pages add what Redis holds on top, so a
trainee learning now shows 学习中 with the credit so far.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from backend import clock
from backend.extensions import db, redis_store
from backend.models import LearningSession, Project, SessionStatus
from backend.policy import policy_for
from backend.services.live import epoch_s


@dataclass(frozen=True)
class LiveSession:
    """An open session that beat recently."""

    session_id: int
    trainee_id: int
    lesson_id: int
    credited_s: int  # the session's credit so far (Redis), stored or not
    unstored_s: int  # the part the database does not have yet


def _peek(session_ids: list[int]) -> dict[int, tuple[int, int]]:
    """(credited seconds, last beat epoch second) of each session Redis still holds."""
    pipe = redis_store.client.pipeline(transaction=False)
    for session_id in session_ids:
        pipe.hmget(redis_store.key("ls", session_id), "cred", "last")
    found = {}
    for session_id, (cred, last) in zip(session_ids, pipe.execute(), strict=True):
        if cred is not None:
            found[session_id] = (int(float(cred)), int(float(last or 0)))
    return found


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
    live = _peek([s.id for s in open_sessions])
    recent = epoch_s(clock.now()) - policy_for(project).max_gap_s
    out = {}
    for session in open_sessions:
        cred, last = live.get(session.id, (None, 0))
        if cred is None or last < recent:
            continue
        out[session.trainee_id] = LiveSession(
            session.id,
            session.trainee_id,
            session.lesson_id,
            cred,
            max(cred - session.credited_s, 0),
        )
    return out
