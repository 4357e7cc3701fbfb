"""Assessment labels on the hours sheet, from the quiz service."""

from __future__ import annotations

from datetime import UTC, datetime

from backend.models import QuizAttempt, QuizKind
from backend.services.practice.assessment import assessment_results


def _attempt(make, quiz, trainee, passed):
    at = datetime(2026, 3, 2, 1, tzinfo=UTC)
    attempt = QuizAttempt(
        quiz_id=quiz.id,
        trainee_id=trainee.id,
        question_ids=[],
        option_orders={},
        submitted_at=at,
        score=80 if passed else 20,
        passed=passed,
    )
    make.session.add(attempt)
    make.session.flush()


def test_passed_failed_not_taken_and_no_assessment(make):
    project = make.project()
    passer, failer, absent = (make.trainee(project.enterprise) for _ in range(3))
    for t in (passer, failer, absent):
        make.enrol(t, project)
    assert assessment_results(project.id) == {}  # no assessment: the sheet shows 无考核
    make.quiz(project)  # a practice quiz does not count
    assert assessment_results(project.id) == {}
    first = make.quiz(project, kind=QuizKind.ASSESSMENT)
    second = make.quiz(project, kind=QuizKind.ASSESSMENT)
    _attempt(make, first, passer, True)
    _attempt(make, second, passer, True)
    _attempt(make, first, failer, True)
    _attempt(make, second, failer, False)
    assert assessment_results(project.id) == {
        passer.id: "合格",
        failer.id: "不合格",  # passed one of two assessments
        absent.id: "未参加",
    }
