"""Assessment results for the exports, from the quiz service (services/practice/quizzes.py)."""

from __future__ import annotations

from sqlalchemy import select

from backend.extensions import db
from backend.models import QuizAttempt, QuizKind
from backend.services.practice.quizzes import assessment_passed_by_trainee, project_quizzes

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
