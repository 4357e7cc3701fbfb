"""Lessons in order: in a ``sequential`` project a lesson opens once the one before is completed."""

from __future__ import annotations

import sqlalchemy as sa

from backend.extensions import db
from backend.kernel.errors import DomainError, register
from backend.models import CreditedSpan, Lesson, Project
from backend.policy import policy_for
from backend.services.content.catalog import project_lesson_rows
from backend.services.progress import completion_threshold_s

register("lesson_locked", 409, "请先学完上一课节「{previous}」，再学习本课节")


def previous_lesson(project: Project, lesson: Lesson) -> Lesson | None:
    """The live lesson before ``lesson`` in the project's order, None for the first."""
    previous = None
    for candidate, _course in project_lesson_rows(project.id):
        if candidate.id == lesson.id:
            return previous
        previous = candidate
    return None


def ensure_unlocked(trainee_id: int, project: Project, lesson: Lesson) -> None:
    """Raise ``lesson_locked`` when the project is sequential and the previous lesson is open."""
    if not project.sequential:
        return
    previous = previous_lesson(project, lesson)
    if previous is None:
        return
    credited = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(CreditedSpan.seconds), 0)).where(
            CreditedSpan.trainee_id == trainee_id,
            CreditedSpan.project_id == project.id,
            CreditedSpan.lesson_id == previous.id,
        )
    )
    if int(credited) < completion_threshold_s(previous.duration_s, policy_for(project)):
        raise DomainError("lesson_locked", previous=previous.title)
