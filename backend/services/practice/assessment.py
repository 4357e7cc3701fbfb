"""Assessment figures: who passed every assessment of a project, and the labels the hours sheet
and the claim show (合格, 不合格, 未参加, 无考核). Attempts left open past their deadline are scored
first, in the caller's transaction."""

from __future__ import annotations

from sqlalchemy import Select, func, select

from backend.extensions import db
from backend.models import Enrolment, Project, Quiz, QuizAttempt, QuizKind
from backend.services.practice.attempts import finish_expired
from backend.services.practice.quizzes import project_quizzes

PASSED, FAILED, NOT_TAKEN, NO_ASSESSMENT = "合格", "不合格", "未参加", "无考核"


def assessment_results(project_id: int) -> dict[int, str]:
    """Per enrolled trainee: 合格 (passed every assessment), 不合格 or 未参加; {} without any."""
    quiz_ids = [q.id for q in project_quizzes(project_id) if q.kind == QuizKind.ASSESSMENT]
    if not quiz_ids:
        return {}
    # The quiz service scores attempts left open past their deadline before answering.
    passed = assessment_passed_by_trainee(project_id)
    taken = set(
        db.session.scalars(
            select(QuizAttempt.trainee_id)
            .where(QuizAttempt.quiz_id.in_(quiz_ids), QuizAttempt.submitted_at.is_not(None))
            .distinct()
        )
    )
    return {
        trainee_id: PASSED if ok else (FAILED if trainee_id in taken else NOT_TAKEN)
        for trainee_id, ok in passed.items()
    }


def _assessment_ids(project_id: int) -> list[int]:
    # A retired assessment is required of no one any more.
    query = select(Quiz.id).where(
        Quiz.project_id == project_id,
        Quiz.kind == QuizKind.ASSESSMENT,
        Quiz.retired_at.is_(None),
    )
    return list(db.session.scalars(query))


def _passed_pairs(quiz_ids: list[int], trainee_id: int | None = None) -> set[tuple[int, int]]:
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
