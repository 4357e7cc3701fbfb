"""Quiz and evaluation reports: per trainee, per quiz with item analysis, per project."""

from __future__ import annotations

from sqlalchemy import select

from backend.extensions import db
from backend.models import AttemptAnswer, Enrolment, Question, Quiz, QuizAttempt, Trainee
from backend.services.practice import evaluations
from backend.services.practice.assessment import assessment_passed_by_trainee
from backend.services.practice.attempts import finish_expired
from backend.services.practice.quizzes import project_quizzes


def trainee_rows(project_id: int) -> list[dict]:
    """Per enrolled trainee: attempts, best score and passed per quiz, assessment and evaluation."""
    quizzes = project_quizzes(project_id, retired=True)
    quiz_ids = [q.id for q in quizzes]
    trainees = db.session.execute(
        select(Trainee.id, Trainee.name)
        .join(Enrolment, Enrolment.trainee_id == Trainee.id)
        .where(Enrolment.project_id == project_id)
        .order_by(Trainee.roster_seq, Trainee.id)
    ).all()
    stats: dict[tuple[int, int], dict] = {}
    finish_expired(quiz_ids)
    if quiz_ids:
        attempts = db.session.scalars(
            select(QuizAttempt).where(
                QuizAttempt.quiz_id.in_(quiz_ids), QuizAttempt.submitted_at.is_not(None)
            )
        )
        for attempt in attempts:
            entry = stats.setdefault(
                (attempt.trainee_id, attempt.quiz_id),
                {"attempts": 0, "best_score": None, "passed": False},
            )
            entry["attempts"] += 1
            entry["best_score"] = max(entry["best_score"] or 0, attempt.score or 0)
            entry["passed"] = entry["passed"] or bool(attempt.passed)
    passed = assessment_passed_by_trainee(project_id)
    by_trainee = {e.trainee_id: e for e in evaluations.project_evaluations(project_id)}
    rows = []
    for trainee_id, name in trainees:
        evaluation = by_trainee.get(trainee_id)
        rows.append(
            {
                "trainee_id": trainee_id,
                "name": name,
                "quizzes": [
                    {
                        "quiz_id": quiz.id,
                        "title": quiz.title,
                        "kind": quiz.kind.value,
                        **stats.get(
                            (trainee_id, quiz.id),
                            {"attempts": 0, "best_score": None, "passed": False},
                        ),
                    }
                    for quiz in quizzes
                ],
                "assessment_passed": passed.get(trainee_id, False),
                "evaluation": evaluation,
            }
        )
    return rows


def quiz_statistics(quiz: Quiz) -> dict:
    """Average score, pass rate and, per question, the share answering correctly."""
    finish_expired([quiz.id])
    attempts = list(
        db.session.scalars(
            select(QuizAttempt).where(
                QuizAttempt.quiz_id == quiz.id, QuizAttempt.submitted_at.is_not(None)
            )
        )
    )
    drawn: dict[int, int] = {}
    for attempt in attempts:
        for question_id in attempt.question_ids:
            drawn[question_id] = drawn.get(question_id, 0) + 1
    correct: dict[int, int] = {}
    if attempts:
        rows = db.session.execute(
            select(AttemptAnswer.question_id)
            .join(QuizAttempt, QuizAttempt.id == AttemptAnswer.attempt_id)
            .where(
                QuizAttempt.quiz_id == quiz.id,
                QuizAttempt.submitted_at.is_not(None),
                AttemptAnswer.correct.is_(True),
            )
        )
        for (question_id,) in rows:
            correct[question_id] = correct.get(question_id, 0) + 1
    questions = {
        q.id: q for q in db.session.scalars(select(Question).where(Question.id.in_(list(drawn))))
    }
    items = [
        {
            "question_id": question_id,
            "stem": questions[question_id].stem if question_id in questions else "",
            "attempts": count,
            "correct": correct.get(question_id, 0),
            # Unanswered counts as wrong: the share of attempts that drew the question.
            "correct_rate": round(correct.get(question_id, 0) / count, 3),
        }
        for question_id, count in sorted(drawn.items())
    ]
    scores = [a.score or 0 for a in attempts]
    return {
        "quiz_id": quiz.id,
        "title": quiz.title,
        "kind": quiz.kind.value,
        "attempts": len(attempts),
        "trainees": len({a.trainee_id for a in attempts}),
        "average_score": round(sum(scores) / len(scores), 1) if scores else None,
        "pass_rate": round(sum(bool(a.passed) for a in attempts) / len(attempts), 3)
        if attempts
        else None,
        "items": items,
    }
