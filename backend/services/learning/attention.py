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
from backend.services.learning import face_checks, live
from backend.services.learning.live import at_second
from backend.services.practice import question_bank

_rng = random.SystemRandom()


# At most this many checks are prepared at check-in; a session that uses them all up gets
# the next ones issued one by one (issue).
MAX_PREPARED = 32


def interval_s(project: Project, course_id: int) -> int:
    """The mean interval between checks of a session on a course (0: no checks)."""
    if not project.attention_checks_enabled:
        return 0
    if face_checks.enabled(project) and not question_bank.has_attention_questions(course_id):
        # Without pool questions a check would be a code to type back, which a script reads
        # from the JSON; the face checks prove presence instead.
        return 0
    return project.attention_check_interval_s or policy_for(project).attention_check_interval_s


def next_check_s(interval: int, after_s: int) -> int:
    """When the next check is due after ``after_s`` at a mean ``interval`` (0: none)."""
    if not interval:
        return 0
    # Random around the interval, so that nobody can predict the moment.
    return after_s + max(1, round(interval * random.uniform(0.5, 1.5)))


def _letters(answer: str) -> str:
    return "".join(sorted({c for c in answer.upper() if "A" <= c <= "Z"}))


def answer_forms(check_id: int, given: str) -> tuple[int, str, str, str]:
    """An answer as the live-session script grades it: id, as given, its letters, stripped."""
    # A question is right when its letters are the key's, a code when it is typed exactly.
    return check_id, given[:64], _letters(given), given.strip()


def _key(kind: CheckKind, expected: str) -> str:
    return _letters(expected) if kind is CheckKind.QUESTION else expected


def _public(check_id: int, question: Question | None, expected: str) -> dict:
    if question is not None:
        prompt, options = question.stem, list(question.options)
        multiple = question.kind is QuestionKind.MULTIPLE
    else:
        # A typed code proves someone is watching; it has to be shown to be typed back.
        prompt, options, multiple = f"请输入验证码 {expected} 继续计时", [], False
    kind = CheckKind.QUESTION if question is not None else CheckKind.CODE
    return {
        "id": check_id,
        "kind": kind.value,
        "prompt": prompt,
        "options": options,
        "multiple": multiple,
    }


def public_challenge(check: AttentionCheck, question: Question | None) -> dict:
    """What the mini-program shows: never the answer key of a question."""
    payload = _public(check.id, question, check.expected)
    return {**payload, "expires_ts": int(check.expires_at.timestamp() * 1000)}


def _code() -> str:
    return f"{secrets.randbelow(10000):04d}"


def prepare(project: Project, course_id: int, remaining_s: int) -> tuple[dict, list[str]]:
    """A session's check settings and its next checks, prepared at check-in so that beats can
    open, grade and settle them in Redis alone (see live_credit.lua)."""
    interval = interval_s(project, course_id)
    fields = {"cint": interval, "cwin": policy_for(project).attention_check_window_s}
    if not interval or db.session.get_bind().dialect.name != "postgresql":
        # SQLite (development only) has no sequence to reserve ids from: issued one by one.
        return fields, []
    # Checks come at 0.5 to 1.5 intervals, wrong answers bring more: a reserve on top.
    count = min(MAX_PREPARED, 2 * -(-max(remaining_s, 0) // interval) + 2)
    ids = db.session.scalars(
        sa.text(
            "SELECT nextval(pg_get_serial_sequence('attention_check', 'id'))"
            " FROM generate_series(1, :n)"
        ),
        {"n": count},
    ).all()
    questions = question_bank.pick_attention_questions(course_id, _rng, count)
    entries = []
    for check_id, question in zip(ids, questions, strict=True):
        kind = CheckKind.QUESTION if question else CheckKind.CODE
        expected = question.answer if question else _code()
        body = json.dumps(_public(check_id, question, expected), ensure_ascii=False)[:-1]
        qid = question.id if question else 0
        entries.append(f"{check_id}|{kind.value}|{qid}|{expected}|{_key(kind, expected)}|{body}")
    return fields, entries


def issue(session_id: int, trainee_id: int, now_s: int) -> dict | None:
    """Record a new check for a session whose prepared checks ran out; return what to show."""
    session = db.session.get(LearningSession, session_id)
    lesson = db.session.get(Lesson, session.lesson_id)
    # Only the attention pool: practice and quizzes never show these, so their answers are not
    # learnt there.
    question = question_bank.pick_attention_question(lesson.course_id, _rng)
    window = policy_for(db.session.get(Project, session.project_id)).attention_check_window_s
    kind = CheckKind.QUESTION if question else CheckKind.CODE
    check = AttentionCheck(
        session_id=session_id,
        trainee_id=trainee_id,
        kind=kind,
        question_id=question.id if question else None,
        expected=question.answer if question else _code(),
        issued_at=at_second(now_s),
        expires_at=at_second(now_s + window),
    )
    db.session.add(check)
    db.session.flush()
    payload = public_challenge(check, question)
    reply = live.call(
        "challenge",
        session_id,
        trainee_id,
        now_s,
        check.id,
        now_s + window,
        json.dumps(payload),
        kind.value,
        check.question_id or 0,
        check.expected,
        _key(kind, check.expected),
    )
    if reply.r != "ok":
        # Another request issued it first, or the session closed meanwhile: never shown.
        db.session.delete(check)
        return None
    return payload


def expire_open_checks(session_id: int) -> datetime | None:
    """Mark a session's unanswered checks expired (Redis lost the session that held them);
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
