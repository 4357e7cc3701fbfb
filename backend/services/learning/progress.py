"""A trainee's progress per lesson, and the credited spans that explain every second of it."""

from __future__ import annotations

import sqlalchemy as sa

from backend.extensions import db
from backend.kernel.scope import enrolment_for
from backend.models import (
    CreditedSpan,
    LearningSession,
    Lesson,
    Project,
    SessionStatus,
    Trainee,
)
from backend.policy import SubsidyPolicy, policy_for
from backend.services.content import catalog, delivery
from backend.services.learning import live


def completion_threshold_s(duration_s: int, policy: SubsidyPolicy) -> int:
    """Credited seconds at which a lesson counts as completed (a share of its duration)."""
    share = policy.completion_share_percent
    return -(-duration_s * share // 100)


def lesson_credit_s(trainee_id: int, lesson_id: int) -> int:
    """Seconds of a lesson credited to a trainee and written to the database."""
    total = db.session.scalar(
        sa.select(sa.func.sum(CreditedSpan.seconds)).where(
            CreditedSpan.trainee_id == trainee_id, CreditedSpan.lesson_id == lesson_id
        )
    )
    return int(total or 0)


def live_lesson_credit_s(trainee_id: int, lesson_id: int, project_id: int | None = None) -> int:
    """Seconds of a lesson credited to a trainee, including credit still on its way to the DB."""
    # Each session counts what the database has of it, or what Redis has if that is more (the
    # drain is at most a few seconds behind); one statement, so a drain commit between two
    # reads cannot be counted twice.
    query = sa.select(LearningSession.id, LearningSession.credited_s).where(
        LearningSession.trainee_id == trainee_id, LearningSession.lesson_id == lesson_id
    )
    if project_id is not None:
        query = query.where(LearningSession.project_id == project_id)
    rows = db.session.execute(query).all()
    states = live.peek_many([(session_id, trainee_id) for session_id, _ in rows])
    return sum(
        max(saved, states[session_id].cred if session_id in states else 0)
        for session_id, saved in rows
    )


def credited_until_s(trainee_id: int) -> int:
    """The end (epoch second) of the trainee's latest credited span, 0 if none."""
    end = db.session.scalar(
        sa.select(sa.func.max(CreditedSpan.end_at)).where(CreditedSpan.trainee_id == trainee_id)
    )
    return live.epoch_s(end) if end is not None else 0


def enrolled_project(trainee: Trainee, project_id: int) -> Project:
    """The project if the trainee is enrolled in it, else 404."""
    return enrolment_for(trainee, project_id, message="未找到你参加的该培训项目").project


def project_lessons(trainee: Trainee, project_id: int) -> dict:
    """The project's lessons in course order with the trainee's credit and resume position."""
    # Credit still on its way to the database is included (read from Redis), as is the
    # position of an open session.
    project = enrolled_project(trainee, project_id)
    rows = catalog.project_lesson_rows(project.id)
    credit: dict[int, int] = {}
    position: dict[int, int] = {}
    sessions = db.session.execute(
        sa.select(
            LearningSession.id,
            LearningSession.lesson_id,
            LearningSession.credited_s,
            LearningSession.last_position_s,
            LearningSession.status,
        )
        .where(LearningSession.trainee_id == trainee.id, LearningSession.project_id == project.id)
        .order_by(LearningSession.id)
    ).all()
    states = live.peek_many([(row.id, trainee.id) for row in sessions])
    for row in sessions:
        state = states.get(row.id)
        seconds = max(row.credited_s, state.cred) if state else row.credited_s
        credit[row.lesson_id] = credit.get(row.lesson_id, 0) + seconds
        live_position = state is not None and row.status is SessionStatus.ACTIVE
        position[row.lesson_id] = state.pos if live_position else row.last_position_s
    policy = policy_for(project)
    lessons = []
    previous_done = True
    for lesson, course in rows:
        credited = int(credit.get(lesson.id) or 0)
        completed = credited >= completion_threshold_s(lesson.duration_s, policy)
        lessons.append(
            {
                "lesson_id": lesson.id,
                "course_id": course.id,
                "course_name": course.name,
                "title": lesson.title,
                "position": lesson.position,
                "kind": lesson.kind.value,
                "duration_s": lesson.duration_s,
                "page_count": lesson.page_count,
                "credited_s": credited,
                "completed": completed,
                "locked": project.sequential and not previous_done,
                "resume_position_s": position.get(lesson.id, 0),
                **media_link(lesson),
            }
        )
        previous_done = completed
    return {"project_id": project.id, "lessons": lessons}


def media_link(lesson: Lesson) -> dict:
    """The lesson's signed media URL and its expiry, or nulls when it has no file."""
    if not lesson.media_key:
        return {"media_url": None, "media_expires_at": None}
    url, expires_at = delivery.signed_url(lesson)
    return {"media_url": url, "media_expires_at": expires_at}
