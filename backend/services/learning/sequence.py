"""Lessons in order: in a ``sequential`` project a lesson opens once the one before is completed."""

from __future__ import annotations

from backend.kernel.errors import DomainError, register
from backend.models import Lesson, Project
from backend.policy import policy_for
from backend.services.content.catalog import project_lesson_rows
from backend.services.learning.progress import completion_threshold_s, live_lesson_credit_s

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
    # Live: the previous lesson's last seconds may still be on their way to the database.
    credited = live_lesson_credit_s(trainee_id, previous.id, project_id=project.id)
    if credited < completion_threshold_s(previous.duration_s, policy_for(project)):
        raise DomainError("lesson_locked", previous=previous.title)
