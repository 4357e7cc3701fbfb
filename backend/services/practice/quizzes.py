"""Quizzes: creating them, what a trainee may take, and whether a trainee passed the assessments."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, func, select

from backend import clock
from backend.extensions import db
from backend.kernel.errors import DomainError, register
from backend.kernel.lifecycle import Activity, ensure
from backend.kernel.scope import get_for_trainee
from backend.models import (
    Enrolment,
    Project,
    Quiz,
    QuizAttempt,
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


def create_quiz(project: Project, settings: QuizSettings) -> Quiz:
    """Add a quiz to a project; practice quizzes have neither attempt nor time limit."""
    _check_settings(project, settings)
    ensure(project, Activity.MANAGE_CONTENT)
    quiz = Quiz(project_id=project.id, **vars(settings))
    db.session.add(quiz)
    db.session.flush()
    return quiz


def update_quiz(quiz: Quiz, settings: QuizSettings) -> None:
    """Change a quiz's settings; submitted attempts keep the score and result they got."""
    if quiz.retired_at is not None:
        raise DomainError("quiz_retired_edit")
    _check_settings(db.session.get(Project, quiz.project_id), settings)
    for name, value in vars(settings).items():
        setattr(quiz, name, value)
    db.session.flush()


def retire_quiz(quiz: Quiz) -> None:
    """Stop a quiz: no new attempts, gone from the trainee's list, results kept."""
    if quiz.retired_at is None:
        quiz.retired_at = clock.now()


def restore_quiz(quiz: Quiz) -> None:
    """Offer a retired quiz again."""
    quiz.retired_at = None


def project_quizzes(project_id: int, *, retired: bool = False) -> list[Quiz]:
    """The quizzes of a project in the order they were added (retired ones only if asked)."""
    query = select(Quiz).where(Quiz.project_id == project_id).order_by(Quiz.id)
    if not retired:
        query = query.where(Quiz.retired_at.is_(None))
    return list(db.session.scalars(query))


def quiz_for_trainee(trainee: Trainee, quiz_id: int) -> Quiz:
    """A quiz of a project the trainee is enrolled in, else 404."""
    return get_for_trainee(Quiz, quiz_id, trainee, message="测验不存在")


def attempt_stats(trainee_id: int, quiz_ids: list[int]) -> dict[int, tuple[int, int | None, bool]]:
    """Per quiz: attempts used, best submitted score, and whether any submitted attempt passed."""
    from backend.services.practice.attempts import finish_expired

    if not quiz_ids:
        return {}
    finish_expired(quiz_ids, trainee_id)
    rows = db.session.execute(
        select(
            QuizAttempt.quiz_id,
            func.count(QuizAttempt.id),
            func.max(QuizAttempt.score),
            func.count(QuizAttempt.id).filter(QuizAttempt.passed.is_(True)),
        )
        .where(QuizAttempt.trainee_id == trainee_id, QuizAttempt.quiz_id.in_(quiz_ids))
        .group_by(QuizAttempt.quiz_id)
    )
    return {quiz_id: (used, best, passes > 0) for quiz_id, used, best, passes in rows}


def attempts_left(quiz: Quiz, used: int) -> int | None:
    """How many more attempts the limit allows; None when unlimited."""
    if quiz.attempt_limit is None:
        return None
    return max(quiz.attempt_limit - used, 0)


def _assessment_ids(project_id: int) -> list[int]:
    # A retired assessment is required of no one any more.
    query = select(Quiz.id).where(
        Quiz.project_id == project_id,
        Quiz.kind == QuizKind.ASSESSMENT,
        Quiz.retired_at.is_(None),
    )
    return list(db.session.scalars(query))


def _passed_pairs(quiz_ids: list[int], trainee_id: int | None = None) -> set[tuple[int, int]]:
    from backend.services.practice.attempts import finish_expired  # attempts builds on this module

    # An attempt left open past its deadline is scored first: it may be the one that passed.
    finish_expired(quiz_ids, trainee_id)
    query = select(QuizAttempt.trainee_id, QuizAttempt.quiz_id).where(
        QuizAttempt.quiz_id.in_(quiz_ids), QuizAttempt.passed.is_(True)
    )
    if trainee_id is not None:
        query = query.where(QuizAttempt.trainee_id == trainee_id)
    return {(t, q) for t, q in db.session.execute(query.distinct())}


def assessment_passed(trainee_id: int, project_id: int) -> bool:
    """Whether the trainee passed every assessment of the project (False when it has none)."""
    # Attempts left open past their deadline are scored on the way, in the caller's transaction.
    quiz_ids = _assessment_ids(project_id)
    if not quiz_ids:
        return False
    return len(_passed_pairs(quiz_ids, trainee_id)) == len(quiz_ids)


def passed_all_query(project_id: int) -> Select | None:
    """SELECT of the trainees who passed every assessment of the project; None when it has none.

    Attempts left open past their deadline are scored first, in the caller's transaction."""
    from backend.services.practice.attempts import finish_expired  # attempts builds on this module

    quiz_ids = _assessment_ids(project_id)
    if not quiz_ids:
        return None
    finish_expired(quiz_ids, None)
    return (
        select(QuizAttempt.trainee_id)
        .where(QuizAttempt.quiz_id.in_(quiz_ids), QuizAttempt.passed.is_(True))
        .group_by(QuizAttempt.trainee_id)
        .having(func.count(QuizAttempt.quiz_id.distinct()) == len(quiz_ids))
    )


def assessment_passed_by_trainee(project_id: int) -> dict[int, bool]:
    """``assessment_passed`` for every trainee enrolled in the project, in one pass."""
    enrolled = db.session.scalars(
        select(Enrolment.trainee_id).where(Enrolment.project_id == project_id)
    ).all()
    quiz_ids = _assessment_ids(project_id)
    if not quiz_ids:
        return dict.fromkeys(enrolled, False)
    passes: dict[int, int] = {}
    for trainee_id, _ in _passed_pairs(quiz_ids):
        passes[trainee_id] = passes.get(trainee_id, 0) + 1
    return {t: passes.get(t, 0) == len(quiz_ids) for t in enrolled}


def assessment_requirement_met(trainee_id: int, project_id: int) -> bool:
    """Whether the trainee's hours may count as qualified as far as assessment goes."""
    project = db.session.get(Project, project_id)
    if project is None or not project.assessment_required:
        return True
    return assessment_passed(trainee_id, project_id)


def assessment_requirement_met_by_trainee(project_id: int) -> dict[int, bool]:
    """``assessment_requirement_met`` for every trainee enrolled in the project."""
    project = db.session.get(Project, project_id)
    passed = assessment_passed_by_trainee(project_id)
    if project is None or not project.assessment_required:
        return dict.fromkeys(passed, True)
    return passed
