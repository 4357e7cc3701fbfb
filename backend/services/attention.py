"""Attention checks (随机弹题): issued at random moments, answered within a window, all recorded."""

from __future__ import annotations

import json
import random
import secrets
from datetime import datetime

import sqlalchemy as sa

from backend.extensions import db
from backend.models import (
    AttentionCheck,
    CheckKind,
    CheckOutcome,
    LearningSession,
    Lesson,
    Project,
    Question,
    QuestionKind,
)
from backend.policy import policy_for
from backend.services import face_checks, live, question_bank
from backend.services.live import LiveReply, at_second

_rng = random.SystemRandom()


def next_check_s(project: Project, after_s: int, course_id: int) -> int:
    """When the next check of a session on a course is due (0: none)."""
    if not project.attention_checks_enabled:
        return 0
    if face_checks.enabled(project) and not question_bank.has_attention_questions(course_id):
        # Without pool questions a check would be a code to type back, which a script reads
        # from the JSON; the face checks prove presence instead.
        return 0
    interval = project.attention_check_interval_s or policy_for(project).attention_check_interval_s
    # Random around the interval, so that nobody can predict the moment.
    return after_s + max(1, round(interval * random.uniform(0.5, 1.5)))


def _letters(answer: str) -> str:
    return "".join(sorted({c for c in answer.upper() if "A" <= c <= "Z"}))


def _is_correct(check: AttentionCheck, given: str) -> bool:
    if check.kind is CheckKind.QUESTION:
        return _letters(given) == _letters(check.expected)
    return given.strip() == check.expected


def public_challenge(check: AttentionCheck, question: Question | None) -> dict:
    """What the mini-program shows: never the answer key of a question."""
    if question is not None:
        prompt, options = question.stem, list(question.options)
        multiple = question.kind is QuestionKind.MULTIPLE
    else:
        # A typed code proves someone is watching; it has to be shown to be typed back.
        prompt, options, multiple = f"请输入验证码 {check.expected} 继续计时", [], False
    return {
        "id": check.id,
        "kind": check.kind.value,
        "prompt": prompt,
        "options": options,
        "multiple": multiple,
        "expires_ts": int(check.expires_at.timestamp() * 1000),
    }


def issue(session_id: int, trainee_id: int, now_s: int) -> dict | None:
    """Record a new check for a session whose live state claimed one; return what to show."""
    session = db.session.get(LearningSession, session_id)
    lesson = db.session.get(Lesson, session.lesson_id)
    # Only the attention pool: practice and quizzes never show these, so their answers are not
    # learnt there.
    question = question_bank.pick_attention_question(lesson.course_id, _rng)
    window = policy_for(db.session.get(Project, session.project_id)).attention_check_window_s
    check = AttentionCheck(
        session_id=session_id,
        trainee_id=trainee_id,
        kind=CheckKind.QUESTION if question else CheckKind.CODE,
        question_id=question.id if question else None,
        expected=question.answer if question else f"{secrets.randbelow(10000):04d}",
        issued_at=at_second(now_s),
        expires_at=at_second(now_s + window),
    )
    db.session.add(check)
    db.session.flush()
    payload = public_challenge(check, question)
    reply = live.call(
        "challenge", session_id, trainee_id, now_s, check.id, now_s + window, json.dumps(payload)
    )
    if reply.r != "ok":
        # Another request issued it first, or the session closed meanwhile: never shown.
        db.session.delete(check)
        return None
    return payload


def answer(
    session_id: int, trainee_id: int, check_id: int, given: str, now_s: int
) -> LiveReply | None:
    """Record the answer to an open check and settle the held time (None: no open check)."""
    # No open check with that id (a replayed beat, another trainee's id): the answer is ignored.
    check = db.session.scalar(
        sa.select(AttentionCheck)
        .where(
            AttentionCheck.id == check_id,
            AttentionCheck.session_id == session_id,
            AttentionCheck.trainee_id == trainee_id,
            AttentionCheck.outcome == CheckOutcome.PENDING,
        )
        .with_for_update()
    )
    if check is None:
        return None
    check.answered_at = at_second(now_s)
    check.answer = given[:64]
    if now_s > live.epoch_s(check.expires_at):
        check.outcome = CheckOutcome.EXPIRED
    elif _is_correct(check, given):
        check.outcome = CheckOutcome.PASSED
    else:
        check.outcome = CheckOutcome.FAILED
    session = db.session.get(LearningSession, session_id)
    project = db.session.get(Project, session.project_id)
    verdict = "pass" if check.outcome is CheckOutcome.PASSED else "fail"
    lesson = db.session.get(Lesson, session.lesson_id)
    following = next_check_s(project, now_s, lesson.course_id)
    return live.call("resolve", session_id, trainee_id, now_s, check.id, verdict, following)


def expire_open_checks(session_id: int) -> datetime | None:
    """Mark a session's unanswered checks expired (their window passed or the session closed);
    return when the latest of them was issued."""
    issued = db.session.scalars(
        sa.update(AttentionCheck)
        .where(
            AttentionCheck.session_id == session_id,
            AttentionCheck.outcome == CheckOutcome.PENDING,
        )
        .values(outcome=CheckOutcome.EXPIRED)
        .returning(AttentionCheck.issued_at)
    ).all()
    return max(issued, default=None)
