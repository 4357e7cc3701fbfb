"""Quizzes: creating them, what a trainee may take, and whether a trainee passed the assessments."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from backend import audit, clock
from backend.extensions import db
from backend.kernel.errors import DomainError, register
from backend.kernel.lifecycle import Activity, ensure
from backend.kernel.scope import get_for_trainee
from backend.models import (
    AdminUser,
    Project,
    Quiz,
    QuizKind,
    Trainee,
)
from backend.services.content import catalog

register("quiz_retired", 409, "该测验已停用，不能再作答")
register("quiz_retired_edit", 409, "该测验已停用，不能再修改")


@dataclass
class QuizSettings:
    """What an admin sets on a quiz."""

    title: str
    kind: QuizKind
    course_id: int | None = None
    attempt_limit: int | None = None
    time_limit_s: int | None = None
    pass_score: int = 60
    question_count: int = 10
    shuffle_options: bool = True


def _check_settings(project: Project, settings: QuizSettings) -> None:
    if settings.course_id is not None and settings.course_id not in catalog.course_ids(project.id):
        raise DomainError("course_not_in_project")
    if settings.kind is QuizKind.PRACTICE and (settings.attempt_limit or settings.time_limit_s):
        message = "练习不限次数、不限时间，请不要设置次数或时间限制"
        raise DomainError("practice_unlimited", message)


def _audit(action: str, quiz: Quiz, admin: AdminUser, client_address: str) -> None:
    project = db.session.get(Project, quiz.project_id)
    audit.record(
        action,
        audit.admin(admin, client_address),
        object_type="quiz",
        object_id=quiz.id,
        enterprise_id=project.enterprise_id,
        title=quiz.title,
    )


def create_quiz(
    project: Project, settings: QuizSettings, admin: AdminUser, *, client_address: str
) -> Quiz:
    """Add a quiz to a project; practice quizzes have neither attempt nor time limit."""
    _check_settings(project, settings)
    ensure(project, Activity.MANAGE_CONTENT)
    quiz = Quiz(project_id=project.id, **vars(settings))
    db.session.add(quiz)
    db.session.flush()
    _audit("quiz.create", quiz, admin, client_address)
    return quiz


def update_quiz(
    quiz: Quiz, settings: QuizSettings, admin: AdminUser, *, client_address: str
) -> None:
    """Change a quiz's settings; submitted attempts keep the score and result they got."""
    if quiz.retired_at is not None:
        raise DomainError("quiz_retired_edit")
    _check_settings(db.session.get(Project, quiz.project_id), settings)
    for name, value in vars(settings).items():
        setattr(quiz, name, value)
    db.session.flush()
    _audit("quiz.update", quiz, admin, client_address)


def retire_quiz(quiz: Quiz, admin: AdminUser, *, client_address: str) -> None:
    """Stop a quiz: no new attempts, gone from the trainee's list, results kept."""
    if quiz.retired_at is None:
        quiz.retired_at = clock.now()
    _audit("quiz.retire", quiz, admin, client_address)


def restore_quiz(quiz: Quiz, admin: AdminUser, *, client_address: str) -> None:
    """Offer a retired quiz again."""
    quiz.retired_at = None
    _audit("quiz.restore", quiz, admin, client_address)


def project_quizzes(project_id: int, *, retired: bool = False) -> list[Quiz]:
    """The quizzes of a project in the order they were added (retired ones only if asked)."""
    query = select(Quiz).where(Quiz.project_id == project_id).order_by(Quiz.id)
    if not retired:
        query = query.where(Quiz.retired_at.is_(None))
    return list(db.session.scalars(query))


def quiz_for_trainee(trainee: Trainee, quiz_id: int) -> Quiz:
    """A quiz of a project the trainee is enrolled in, else 404."""
    return get_for_trainee(Quiz, quiz_id, trainee, message="测验不存在")
