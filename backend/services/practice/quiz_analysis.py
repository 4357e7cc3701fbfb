"""Item analysis of a quiz: score bands, difficulty, discrimination, most-chosen wrong option."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import select

from backend.extensions import db
from backend.models import AttemptAnswer, Question, Quiz, QuizAttempt
from backend.services.practice.attempts import finish_expired
from backend.services.practice.question_bank import KIND_NAMES

# The classic upper/lower groups of item analysis: the best and the worst 27 % of attempts.
GROUP_SHARE = 0.27
SCORE_BANDS = [(0, 59), (60, 69), (70, 79), (80, 89), (90, 100)]


@dataclass
class ItemAnalysis:
    """One question as the attempts that drew it answered it."""

    question_id: int
    kind: str
    stem: str
    retired: bool
    drawn: int
    correct: int
    # Difficulty index: the share of attempts that got it right (higher = easier).
    correct_rate: float
    # Upper-group correct rate minus lower-group correct rate; None with under two attempts.
    discrimination: float | None
    wrong_option: str | None
    wrong_option_count: int


@dataclass
class QuizAnalysis:
    """What the statistics page shows."""

    attempts: int
    trainees: int
    average_score: float | None
    passed: int
    score_bands: list[tuple[str, int]]
    items: list[ItemAnalysis]


def _band_label(low: int, high: int) -> str:
    return f"{low}–{high} 分" if low else f"不足 {high + 1} 分"


def analyse_quiz(quiz: Quiz) -> QuizAnalysis:
    """Item analysis over the quiz's submitted attempts (unanswered counts as wrong)."""
    finish_expired([quiz.id])
    attempts = list(
        db.session.scalars(
            select(QuizAttempt)
            .where(QuizAttempt.quiz_id == quiz.id, QuizAttempt.submitted_at.is_not(None))
            .order_by(QuizAttempt.score.desc(), QuizAttempt.id)
        )
    )
    answers: dict[tuple[int, int], AttemptAnswer] = {}
    if attempts:
        rows = db.session.scalars(
            select(AttemptAnswer).where(AttemptAnswer.attempt_id.in_([a.id for a in attempts]))
        )
        answers = {(a.attempt_id, a.question_id): a for a in rows}
    group = max(1, round(len(attempts) * GROUP_SHARE)) if len(attempts) >= 2 else 0
    upper, lower = attempts[:group], attempts[len(attempts) - group :] if group else []
    question_ids = sorted({qid for a in attempts for qid in a.question_ids})
    questions = {
        q.id: q for q in db.session.scalars(select(Question).where(Question.id.in_(question_ids)))
    }
    items = [
        _item(questions[qid], attempts, upper, lower, answers)
        for qid in question_ids
        if qid in questions
    ]
    scores = [a.score or 0 for a in attempts]
    bands = [
        (_band_label(low, high), sum(1 for s in scores if low <= s <= high))
        for low, high in SCORE_BANDS
    ]
    return QuizAnalysis(
        attempts=len(attempts),
        trainees=len({a.trainee_id for a in attempts}),
        average_score=round(sum(scores) / len(scores), 1) if scores else None,
        passed=sum(1 for a in attempts if a.passed),
        score_bands=bands,
        items=items,
    )


def _right(attempt: QuizAttempt, question_id: int, answers: dict) -> bool:
    answer = answers.get((attempt.id, question_id))
    return bool(answer and answer.correct)


def _rate(group: list[QuizAttempt], question_id: int, answers: dict) -> float | None:
    drew = [a for a in group if question_id in a.question_ids]
    if not drew:
        return None
    return sum(_right(a, question_id, answers) for a in drew) / len(drew)


def _item(question: Question, attempts, upper, lower, answers) -> ItemAnalysis:
    drew = [a for a in attempts if question.id in a.question_ids]
    correct = sum(_right(a, question.id, answers) for a in drew)
    high, low = _rate(upper, question.id, answers), _rate(lower, question.id, answers)
    wrong = Counter(
        answers[(a.id, question.id)].answer
        for a in drew
        if (a.id, question.id) in answers and not answers[(a.id, question.id)].correct
    )
    wrong_option, wrong_count = wrong.most_common(1)[0] if wrong else (None, 0)
    return ItemAnalysis(
        question_id=question.id,
        kind=KIND_NAMES[question.kind],
        stem=question.stem,
        retired=question.retired_at is not None,
        drawn=len(drew),
        correct=correct,
        correct_rate=round(correct / len(drew), 3) if drew else 0.0,
        discrimination=round(high - low, 2) if high is not None and low is not None else None,
        wrong_option=wrong_option,
        wrong_option_count=wrong_count,
    )
