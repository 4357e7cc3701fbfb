"""Quiz attempts: drawing questions, saving answers, scoring on the server, resuming."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select

from backend import clock
from backend.extensions import db
from backend.kernel.errors import DomainError
from backend.kernel.lifecycle import Activity, ensure
from backend.kernel.scope import enrolment_for, get_for_trainee
from backend.models import (
    AttemptAnswer,
    Question,
    QuestionKind,
    Quiz,
    QuizAttempt,
    QuizKind,
    Trainee,
)
from backend.services.content import catalog
from backend.services.practice import question_bank
from backend.services.practice.question_bank import LETTERS, normalize_letters

_system_random = random.SystemRandom()


def quiz_pool(quiz: Quiz) -> list[Question]:
    """The bank a quiz draws from: its course's, or every course's of its project."""
    if quiz.course_id is not None:
        course_ids = [quiz.course_id]
    else:
        course_ids = catalog.course_ids(quiz.project_id)
    # Questions kept for attention checks are never drawn: practice would reveal their answers.
    return [q for q in question_bank.bank(course_ids) if not q.attention_pool]


def _open_attempt(trainee: Trainee, quiz: Quiz) -> QuizAttempt | None:
    query = select(QuizAttempt).where(
        QuizAttempt.quiz_id == quiz.id,
        QuizAttempt.trainee_id == trainee.id,
        QuizAttempt.submitted_at.is_(None),
    )
    for attempt in db.session.scalars(query.order_by(QuizAttempt.id)):
        if not finish_if_expired(attempt):
            return attempt
    return None


def start_attempt(
    trainee: Trainee, quiz: Quiz, rng: random.Random | None = None
) -> tuple[QuizAttempt, bool]:
    """Start an attempt, or return the trainee's open one; the flag says whether it resumed."""
    rng = rng or _system_random
    enrolment = enrolment_for(trainee, quiz.project_id, lock=True, active=True)
    open_attempt = _open_attempt(trainee, quiz)
    if open_attempt is not None:
        return open_attempt, True
    ensure(enrolment.project, Activity.TAKE_QUIZ)
    if quiz.retired_at is not None:
        raise DomainError("quiz_retired")
    used = db.session.scalar(
        select(func.count(QuizAttempt.id)).where(
            QuizAttempt.quiz_id == quiz.id, QuizAttempt.trainee_id == trainee.id
        )
    )
    if attempts_left(quiz, used) == 0:
        message = f"该考核最多可作答{quiz.attempt_limit}次，已用完"
        raise DomainError("attempt_limit_reached", message)
    pool = quiz_pool(quiz)
    if not pool:
        raise DomainError("quiz_bank_empty")
    drawn = rng.sample(pool, min(quiz.question_count, len(pool)))
    orders = {}
    for question in drawn:
        order = list(range(len(question.options)))
        if quiz.shuffle_options and question.kind is not QuestionKind.TRUE_FALSE:
            rng.shuffle(order)
        orders[str(question.id)] = order
    started = clock.now()
    attempt = QuizAttempt(
        quiz_id=quiz.id,
        trainee_id=trainee.id,
        started_at=started,
        deadline_at=started + timedelta(seconds=quiz.time_limit_s) if quiz.time_limit_s else None,
        question_ids=[q.id for q in drawn],
        option_orders=orders,
    )
    db.session.add(attempt)
    db.session.flush()
    return attempt, False


def attempt_for_trainee(trainee: Trainee, attempt_id: int, *, lock: bool = False) -> QuizAttempt:
    """The trainee's own attempt; anyone else's is 404."""
    return get_for_trainee(QuizAttempt, attempt_id, trainee, lock=lock, message="作答记录不存在")


def _shown_to_bank(attempt: QuizAttempt, question_id: int, shown: str) -> str:
    order = attempt.option_orders[str(question_id)]
    letters = normalize_letters(shown)
    if any(letter not in LETTERS[: len(order)] for letter in letters):
        raise DomainError("answer_invalid", f"答案“{shown}”不是该题的选项")
    return "".join(sorted(LETTERS[order[LETTERS.index(letter)]] for letter in letters))


def bank_to_shown(attempt: QuizAttempt, question_id: int, bank_letters: str) -> str:
    """Bank letters of a question as the letters this attempt showed them under."""
    order = attempt.option_orders[str(question_id)]
    return "".join(sorted(LETTERS[order.index(LETTERS.index(letter))] for letter in bank_letters))


def save_answers(attempt: QuizAttempt, answers: list[tuple[int, str]]) -> None:
    """Save (question id, shown letters) pairs; an empty answer clears a saved one."""
    if attempt.submitted_at is not None:
        raise DomainError("attempt_submitted")
    if finish_if_expired(attempt):
        raise DomainError("attempt_time_up")
    questions = {q.id: q for q in _questions(attempt)}
    # Check every answer before writing any, so a refused request changes nothing.
    checked = []
    for question_id, shown in answers:
        question = questions.get(question_id)
        if question is None:
            raise DomainError("question_not_in_attempt")
        letters = _shown_to_bank(attempt, question_id, shown)
        if question.kind is not QuestionKind.MULTIPLE and len(letters) > 1:
            raise DomainError("answer_invalid")
        checked.append((question, letters))
    saved = {a.question_id: a for a in _answers(attempt)}
    now = clock.now()
    # A question sent twice in one request: its last answer counts (as two requests would).
    last = {question.id: (question, letters) for question, letters in checked}
    for question, letters in last.values():
        existing = saved.get(question.id)
        if not letters:
            if existing is not None:
                db.session.delete(existing)
                del saved[question.id]
            continue
        if existing is None:
            existing = AttemptAnswer(attempt_id=attempt.id, question_id=question.id)
            db.session.add(existing)
            saved[question.id] = existing
        existing.answer = letters
        existing.saved_at = now
        existing.correct = question_bank.check_answer(question, letters)
    db.session.flush()


def submit(attempt: QuizAttempt) -> QuizAttempt:
    """Score the attempt on the server; submitting again returns the same result."""
    if attempt.submitted_at is not None:
        return attempt
    if finish_if_expired(attempt):
        return attempt
    _score(attempt, clock.now())
    return attempt


def finish_expired(quiz_ids: list[int], trainee_id: int | None = None) -> None:
    """Score every open attempt at these quizzes whose time is up, as of its deadline."""
    if not quiz_ids:
        return
    query = select(QuizAttempt).where(
        QuizAttempt.quiz_id.in_(quiz_ids),
        QuizAttempt.submitted_at.is_(None),
        QuizAttempt.deadline_at < clock.now(),
    )
    if trainee_id is not None:
        query = query.where(QuizAttempt.trainee_id == trainee_id)
    for attempt in db.session.scalars(query):
        finish_if_expired(attempt)


def finish_if_expired(attempt: QuizAttempt) -> bool:
    """Score an open attempt whose time is up, as of its deadline; True when that happened."""
    if attempt.submitted_at is not None or attempt.deadline_at is None:
        return False
    if clock.now() <= attempt.deadline_at:
        return False
    _score(attempt, attempt.deadline_at)
    return True


def _score(attempt: QuizAttempt, at: datetime) -> None:
    quiz = db.session.get(Quiz, attempt.quiz_id)
    questions = {q.id: q for q in _questions(attempt)}
    correct = 0
    for answer in _answers(attempt):
        # Only answers saved by the deadline count, whenever the submit arrives.
        in_time = attempt.deadline_at is None or answer.saved_at <= attempt.deadline_at
        answer.correct = in_time and question_bank.check_answer(
            questions[answer.question_id], answer.answer
        )
        correct += answer.correct
    total = len(attempt.question_ids)
    attempt.score = 100 * correct // total if total else 0
    attempt.passed = attempt.score >= quiz.pass_score
    attempt.submitted_at = at
    db.session.flush()


def _questions(attempt: QuizAttempt) -> list[Question]:
    found = db.session.scalars(select(Question).where(Question.id.in_(attempt.question_ids)))
    by_id = {q.id: q for q in found}
    return [by_id[i] for i in attempt.question_ids if i in by_id]


def _answers(attempt: QuizAttempt) -> list[AttemptAnswer]:
    query = select(AttemptAnswer).where(AttemptAnswer.attempt_id == attempt.id)
    return list(db.session.scalars(query))


@dataclass
class AttemptView:
    """An attempt as its trainee sees it: never the key, except practice feedback."""

    id: int
    quiz_id: int
    quiz_kind: QuizKind
    status: str
    resumed: bool
    started_at: datetime
    deadline_at: datetime | None
    seconds_left: int | None
    submitted_at: datetime | None
    questions: list[dict]
    answers: list[dict]
    feedback: list[dict] = field(default_factory=list)
    score: int | None = None
    passed: bool | None = None
    correct_count: int | None = None


def view_attempt(attempt: QuizAttempt, *, resumed: bool = False) -> AttemptView:
    """What the trainee is shown: questions in their shuffled order and saved answers."""
    quiz = db.session.get(Quiz, attempt.quiz_id)
    questions = _questions(attempt)
    answers = {a.question_id: a for a in _answers(attempt)}
    submitted = attempt.submitted_at is not None
    shown_questions = []
    for position, question in enumerate(questions, start=1):
        order = attempt.option_orders[str(question.id)]
        shown_questions.append(
            {
                "id": question.id,
                "position": position,
                "kind": question.kind.value,
                "stem": question.stem,
                "options": [question.options[i] for i in order],
            }
        )
    feedback = []
    if quiz.kind is QuizKind.PRACTICE:
        # Practice shows the key and explanation after each answer, and for all once submitted.
        for question in questions:
            answer = answers.get(question.id)
            if answer is None and not submitted:
                continue
            feedback.append(
                {
                    "question_id": question.id,
                    "correct": bool(answer and answer.correct),
                    "correct_letters": bank_to_shown(attempt, question.id, question.answer),
                    "explanation": question.explanation,
                }
            )
    seconds_left = None
    if attempt.deadline_at is not None and not submitted:
        seconds_left = max(int((attempt.deadline_at - clock.now()).total_seconds()), 0)
    return AttemptView(
        id=attempt.id,
        quiz_id=quiz.id,
        quiz_kind=quiz.kind,
        status="submitted" if submitted else "open",
        resumed=resumed,
        started_at=attempt.started_at,
        deadline_at=attempt.deadline_at,
        seconds_left=seconds_left,
        submitted_at=attempt.submitted_at,
        questions=shown_questions,
        answers=[
            {"question_id": qid, "letters": bank_to_shown(attempt, qid, answers[qid].answer)}
            for qid in attempt.question_ids
            if qid in answers
        ],
        feedback=feedback,
        score=attempt.score,
        passed=attempt.passed,
        correct_count=sum(bool(a.correct) for a in answers.values()) if submitted else None,
    )


def attempt_stats(trainee_id: int, quiz_ids: list[int]) -> dict[int, tuple[int, int | None, bool]]:
    """Per quiz: attempts used, best submitted score, and whether any submitted attempt passed."""
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
