"""Practice and assessment quizzes for trainees: list, attempt, save answers, submit."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from flask import g
from pydantic import Field

from backend.api import MAX_ID, RequestModel, ResponseModel, endpoint
from backend.extensions import db
from backend.kernel.errors import DomainError
from backend.kernel.scope import enrolment_for
from backend.services.practice import attempts, quizzes
from miniprogram_api.blueprint import bp

QuestionId = Annotated[int, Field(ge=1, le=MAX_ID)]


class QuizSummaryOut(ResponseModel):
    """A quiz with the trainee's standing."""

    id: int
    title: str
    kind: str
    course_id: int | None
    question_count: int
    pass_score: int
    time_limit_s: int | None
    attempt_limit: int | None
    attempts_used: int
    attempts_left: int | None
    best_score: int | None
    passed: bool


class QuizListOut(ResponseModel):
    """The quizzes of a project."""

    quizzes: list[QuizSummaryOut]


class ShownQuestionOut(ResponseModel):
    """A question as shown in one attempt: options in this attempt's order, no key."""

    id: int
    position: int
    kind: str
    stem: str
    options: list[str]


class SavedAnswerOut(ResponseModel):
    """A saved answer, in the letters this attempt shows."""

    question_id: int
    letters: str


class FeedbackOut(ResponseModel):
    """Practice only: whether an answer was right, the right letters and the explanation."""

    question_id: int
    correct: bool
    correct_letters: str
    explanation: str


class AttemptOut(ResponseModel):
    """An attempt: its questions, saved answers, and once submitted the score."""

    id: int
    quiz_id: int
    quiz_kind: str
    status: str
    resumed: bool
    started_at: datetime
    deadline_at: datetime | None
    seconds_left: int | None
    submitted_at: datetime | None
    questions: list[ShownQuestionOut]
    answers: list[SavedAnswerOut]
    feedback: list[FeedbackOut]
    score: int | None
    passed: bool | None
    correct_count: int | None


class AnswerIn(RequestModel):
    """One answer in the letters shown; empty clears the saved answer."""

    question_id: QuestionId
    letters: Annotated[str, Field(max_length=12, pattern=r"^[A-Fa-f ,]*$")]


class AnswersIn(RequestModel):
    """Answers to save (any subset of the attempt's questions)."""

    answers: Annotated[list[AnswerIn], Field(min_length=1, max_length=200)]


@bp.get("/projects/<id:project_id>/quizzes")
@endpoint(summary="项目的练习与考核", response=QuizListOut, tags=("quizzes",))
def list_quizzes(project_id: int):
    enrolment_for(g.trainee, project_id)
    items = quizzes.project_quizzes(project_id)
    stats = attempts.attempt_stats(g.trainee.id, [q.id for q in items])
    out = []
    for quiz in items:
        used, best, passed = stats.get(quiz.id, (0, None, False))
        out.append(
            QuizSummaryOut(
                id=quiz.id,
                title=quiz.title,
                kind=quiz.kind.value,
                course_id=quiz.course_id,
                question_count=quiz.question_count,
                pass_score=quiz.pass_score,
                time_limit_s=quiz.time_limit_s,
                attempt_limit=quiz.attempt_limit,
                attempts_used=used,
                attempts_left=attempts.attempts_left(quiz, used),
                best_score=best,
                passed=passed,
            )
        )
    db.session.commit()  # attempts found past their deadline were scored
    return QuizListOut(quizzes=out)


@bp.post("/quizzes/<id:quiz_id>/attempts")
@endpoint(summary="开始作答（有未交卷的作答时返回它）", response=AttemptOut, tags=("quizzes",))
def start_attempt(quiz_id: int):
    quiz = quizzes.quiz_for_trainee(g.trainee, quiz_id)
    attempt, resumed = attempts.start_attempt(g.trainee, quiz)
    view = attempts.view_attempt(attempt, resumed=resumed)
    db.session.commit()
    return view


@bp.get("/attempts/<id:attempt_id>")
@endpoint(summary="查看作答（断点续答）", response=AttemptOut, tags=("quizzes",))
def get_attempt(attempt_id: int):
    attempt = attempts.attempt_for_trainee(g.trainee, attempt_id, lock=True)
    attempts.finish_if_expired(attempt)
    view = attempts.view_attempt(attempt, resumed=attempt.submitted_at is None)
    db.session.commit()
    return view


@bp.post("/attempts/<id:attempt_id>/answers")
@endpoint(summary="保存答案", body=AnswersIn, response=AttemptOut, tags=("quizzes",))
def save_answers(attempt_id: int, body: AnswersIn):
    attempt = attempts.attempt_for_trainee(g.trainee, attempt_id, lock=True)
    try:
        attempts.save_answers(attempt, [(a.question_id, a.letters) for a in body.answers])
    except DomainError:
        # A refused save writes nothing, but an attempt scored at its deadline stays scored.
        if attempt.submitted_at is not None:
            db.session.commit()
        raise
    view = attempts.view_attempt(attempt)
    db.session.commit()
    return view


@bp.post("/attempts/<id:attempt_id>/submit")
@endpoint(summary="交卷", response=AttemptOut, tags=("quizzes",))
def submit_attempt(attempt_id: int):
    attempt = attempts.attempt_for_trainee(g.trainee, attempt_id, lock=True)
    attempts.submit(attempt)
    view = attempts.view_attempt(attempt)
    db.session.commit()
    return view
