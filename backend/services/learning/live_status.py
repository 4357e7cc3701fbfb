"""Who is learning right now, and the credit their open sessions hold that is not stored yet.

Beats change only the live state in Redis; the database learns of the credit from the drain
(backend/drainer.py), about a second later. The admin pages and the trainee's own figures add
what Redis holds on top, so a trainee learning now shows 学习中 with the credit so far.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from backend import clock
from backend.extensions import db
from backend.models import LearningSession, Project, SessionStatus, Trainee
from backend.policy import policy_for
from backend.services import hours
from backend.services.hours import HourFigures
from backend.services.learning.live import at_second, epoch_s, peek_many


@dataclass(frozen=True)
class LiveSession:
    """An open session that beat recently."""

    session_id: int
    trainee_id: int
    lesson_id: int
    credited_s: int  # the session's credit so far (Redis), stored or not


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
    live = peek_many([(s.id, s.trainee_id) for s in open_sessions])
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
        )
    return out


# A session closed this recently may still have its last spans on the way to the database.
RECENTLY_CLOSED_S = 3600


def unstored_s(
    *, project: Project | None = None, trainee_id: int | None = None
) -> dict[tuple[int, int], int]:
    """Per (trainee, project): credit Redis holds that the drain has not written yet, summed over
    the open sessions of ``project`` or over ``trainee_id``'s open and recently closed ones."""
    # Per session, what Redis has credited beyond the session's drained total. Read after the
    # stored figure it is added to, and the total before Redis: a drain committing in between
    # can then hide a second for a moment but never count one twice.
    query = select(
        LearningSession.id,
        LearningSession.trainee_id,
        LearningSession.project_id,
        LearningSession.credited_s,
    )
    if trainee_id is not None:
        since = clock.now().timestamp() - RECENTLY_CLOSED_S
        query = query.where(
            LearningSession.trainee_id == trainee_id,
            (LearningSession.status == SessionStatus.ACTIVE)
            | (LearningSession.ended_at >= at_second(int(since))),
        )
    if project is not None:
        query = query.where(
            LearningSession.project_id == project.id,
            LearningSession.status == SessionStatus.ACTIVE,
        )
    rows = db.session.execute(query).all()
    states = peek_many([(row.id, row.trainee_id) for row in rows])
    out: dict[tuple[int, int], int] = {}
    for row in rows:
        state = states.get(row.id)
        extra = max(state.cred - row.credited_s, 0) if state else 0
        if extra:
            key = (row.trainee_id, row.project_id)
            out[key] = out.get(key, 0) + extra
    return out


def trainee_hours(trainee: Trainee) -> list[tuple[Project, HourFigures]]:
    """A trainee's hour figures per project (``hours.trainee_hours``) with the credit of their
    learning in progress that the drain has not written yet."""
    stored = hours.trainee_hours(trainee)
    extra = unstored_s(trainee_id=trainee.id)
    return [
        (project, _with(project, figures, extra.get((trainee.id, project.id), 0)))
        for project, figures in stored
    ]


def _with(project: Project, figures: HourFigures, extra_s: int) -> HourFigures:
    if not extra_s:
        return figures
    credited = figures.credited_s + extra_s
    return hours.hour_figures(credited, project.planned_class_hours, policy_for(project))


def trainee_years(trainee: Trainee) -> list[tuple[int, hours.Allocation]]:
    """A trainee's class hours and subsidy per year (``hours.trainee_years``) with the credit
    of their learning in progress that the drain has not written yet."""
    return hours.trainee_years(trainee, live=lambda: unstored_s(trainee_id=trainee.id))
