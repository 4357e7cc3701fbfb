"""Assessment results for the exports (to be replaced by the quiz service of issue 5)."""

from __future__ import annotations

from sqlalchemy import Integer, cast, func, select

from backend.extensions import db
from backend.models import Quiz, QuizAttempt, QuizKind

PASSED, FAILED, NOT_TAKEN = "合格", "不合格", "未参加"


def assessment_results(project_id: int) -> dict[int, str]:
    """Per trainee id: 合格 if any submitted assessment attempt passed, else 不合格."""
    passed_any = func.max(cast(QuizAttempt.passed, Integer))
    query = (
        select(QuizAttempt.trainee_id, passed_any)
        .join(Quiz, Quiz.id == QuizAttempt.quiz_id)
        .where(
            Quiz.project_id == project_id,
            Quiz.kind == QuizKind.ASSESSMENT,
            QuizAttempt.submitted_at.is_not(None),
        )
        .group_by(QuizAttempt.trainee_id)
    )
    return {tid: PASSED if best else FAILED for tid, best in db.session.execute(query)}
