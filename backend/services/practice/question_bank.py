"""Question banks: validating questions, checking answers, and attention-check questions."""

from __future__ import annotations

import random
from dataclasses import dataclass

from sqlalchemy import select

from backend import audit, clock
from backend.extensions import db
from backend.models import AdminUser, Course, Question, QuestionKind
from backend.services.plain_text import storable

LETTERS = "ABCDEF"
MAX_OPTIONS = len(LETTERS)
MAX_STEM = 2000
MAX_OPTION = 500
MAX_EXPLANATION = 2000
TRUE_FALSE_OPTIONS = ["正确", "错误"]
KIND_NAMES = {
    QuestionKind.SINGLE: "单选题",
    QuestionKind.MULTIPLE: "多选题",
    QuestionKind.TRUE_FALSE: "判断题",
}
_KIND_ALIASES = {
    "单选题": QuestionKind.SINGLE,
    "单选": QuestionKind.SINGLE,
    "single": QuestionKind.SINGLE,
    "多选题": QuestionKind.MULTIPLE,
    "多选": QuestionKind.MULTIPLE,
    "multiple": QuestionKind.MULTIPLE,
    "判断题": QuestionKind.TRUE_FALSE,
    "判断": QuestionKind.TRUE_FALSE,
    "true_false": QuestionKind.TRUE_FALSE,
}
# True/false answers as Chinese banks write them; "A"/"B" work too.
_TRUE_FALSE_ANSWERS = {"正确": "A", "对": "A", "√": "A", "T": "A", "错误": "B", "错": "B", "×": "B"}
_DIFFICULTY_ALIASES = {"易": 1, "简单": 1, "中": 3, "中等": 3, "一般": 3, "难": 5, "困难": 5}
_SEPARATORS = str.maketrans("", "", " ,，、;；/")


class QuestionInvalid(ValueError):
    """A question that cannot go into a bank; ``field`` names the offending part."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass
class QuestionData:
    """A validated question, ready to be stored."""

    kind: QuestionKind
    stem: str
    options: list[str]
    answer: str
    explanation: str
    difficulty: int


def normalize_letters(value: str) -> str:
    """Upper-case option letters, drop separators and duplicates, and sort them: " c,a" → "AC"."""
    return "".join(sorted(set(value.translate(_SEPARATORS).upper())))


def parse_kind(value: str) -> QuestionKind:
    """题型 as written in a bank (单选题/多选题/判断题) to a kind."""
    kind = _KIND_ALIASES.get(value.strip().lower() if value else "")
    if kind is None:
        raise QuestionInvalid("kind", "题型只能是“单选题”“多选题”或“判断题”")
    return kind


def parse_difficulty(value: str | int | None) -> int:
    """难度 1–5 (or 易/中/难); blank means 1."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return 1
    text = str(value).strip()
    number = _DIFFICULTY_ALIASES.get(text)
    if number is None and text.isdigit():
        number = int(text)
    if number is None or not 1 <= number <= 5:
        raise QuestionInvalid("difficulty", "难度应为1至5的整数，或“易”“中”“难”")
    return number


def _text(value: str, field: str, label: str, limit: int, *, required: bool) -> str:
    value = value or ""
    if required and not value.strip():
        raise QuestionInvalid(field, f"{label}不能为空")
    if len(value) > limit:
        raise QuestionInvalid(field, f"{label}不能超过{limit}个字")
    if not storable(value):
        raise QuestionInvalid(field, f"{label}含有无法保存的字符")
    return value


def validate_question(
    kind: QuestionKind,
    stem: str,
    options: list[str],
    answer: str,
    explanation: str = "",
    difficulty: int | str | None = 1,
) -> QuestionData:
    """Check one question against the bank rules and return it normalized."""
    stem = _text(stem, "stem", "题干", MAX_STEM, required=True).strip()
    explanation = _text(explanation, "explanation", "解析", MAX_EXPLANATION, required=False).strip()
    if kind is QuestionKind.TRUE_FALSE:
        given = [o.strip() for o in options if o and o.strip()]
        if given and given != TRUE_FALSE_OPTIONS:
            raise QuestionInvalid("options", "判断题的选项只能是A“正确”、B“错误”（可留空）")
        options = list(TRUE_FALSE_OPTIONS)
        answer = _TRUE_FALSE_ANSWERS.get((answer or "").strip().upper(), answer or "")
    else:
        options = _choice_options(options)
    letters = normalize_letters(answer or "")
    if not letters:
        raise QuestionInvalid("answer", "答案不能为空，请填写选项字母，如“B”或“ACD”")
    if any(letter not in LETTERS[: len(options)] for letter in letters):
        raise QuestionInvalid("answer", f"答案“{answer}”不是已填写的选项字母")
    if kind is not QuestionKind.MULTIPLE and len(letters) != 1:
        raise QuestionInvalid("answer", f"{KIND_NAMES[kind]}只能有一个正确答案")
    if kind is QuestionKind.MULTIPLE and len(letters) < 2:
        raise QuestionInvalid("answer", "多选题至少要有两个正确答案")
    return QuestionData(kind, stem, options, letters, explanation, parse_difficulty(difficulty))


def _choice_options(options: list[str]) -> list[str]:
    if not all(storable(o or "") for o in options):  # before strip(), which eats \x1c-\x1f
        raise QuestionInvalid("options", "选项含有无法保存的字符")
    cleaned = [(o or "").strip() for o in options[:MAX_OPTIONS]]
    if len(options) > MAX_OPTIONS:
        raise QuestionInvalid("options", f"选项最多{MAX_OPTIONS}个（A至F）")
    while cleaned and not cleaned[-1]:
        cleaned.pop()
    if len(cleaned) < 2:
        raise QuestionInvalid("options", "选择题至少要有A、B两个选项")
    if not all(cleaned):
        raise QuestionInvalid("options", "选项必须从A开始连续填写，中间不能留空")
    for option in cleaned:
        _text(option, "options", "选项", MAX_OPTION, required=True)
    if len(set(cleaned)) != len(cleaned):
        raise QuestionInvalid("options", "同一题的选项不能重复")
    return cleaned


def audit_change(
    action: str, course: Course, admin: AdminUser, client_address: str, **detail
) -> None:
    """Record a change to a course's bank (``object_id``: the question, else the course)."""
    question = detail.pop("question", None)
    audit.record(
        action,
        audit.admin(admin, client_address),
        object_type="question" if question is not None else "course",
        object_id=question.id if question is not None else course.id,
        enterprise_id=course.enterprise_id,
        **detail,
    )


def add_question(
    course: Course,
    data: QuestionData,
    admin: AdminUser,
    *,
    client_address: str,
    attention_pool: bool = False,
) -> Question:
    """Add a validated question at the end of a course's bank."""
    question = insert_question(course.id, data)
    question.attention_pool = bool(attention_pool)
    db.session.flush()
    audit_change("question.create", course, admin, client_address, question=question)
    return question


def insert_question(course_id: int, data: QuestionData, position: int | None = None) -> Question:
    """Put a validated question at the end of a course's bank (or at ``position``), unaudited:
    the caller records the change."""
    if position is None:
        position = next_position(course_id)
    question = Question(
        course_id=course_id,
        kind=data.kind,
        stem=data.stem,
        options=data.options,
        answer=data.answer,
        explanation=data.explanation,
        difficulty=data.difficulty,
        position=position,
    )
    db.session.add(question)
    return question


def next_position(course_id: int) -> int:
    """The position after the last question of a course's bank."""
    last = db.session.scalar(
        select(Question.position)
        .where(Question.course_id == course_id)
        .order_by(Question.position.desc())
        .limit(1)
    )
    return 0 if last is None else last + 1


def bank(course_ids: list[int], *, retired: bool = False) -> list[Question]:
    """The questions of the given courses' banks in bank order (retired ones only if asked)."""
    if not course_ids:
        return []
    query = (
        select(Question)
        .where(Question.course_id.in_(course_ids))
        .order_by(Question.course_id, Question.position, Question.id)
    )
    if not retired:
        query = query.where(Question.retired_at.is_(None))
    return list(db.session.scalars(query))


def update_question(
    question: Question,
    data: QuestionData,
    admin: AdminUser,
    *,
    client_address: str,
    attention_pool: bool | None = None,
) -> None:
    """Change a question (and, when given, whether it is kept for attention checks); attempts
    already scored keep their result."""
    for name, value in vars(data).items():
        setattr(question, name, value)
    if attention_pool is not None:
        question.attention_pool = bool(attention_pool)
    course = db.session.get(Course, question.course_id)
    audit_change("question.update", course, admin, client_address, question=question)


def retire_question(question: Question, admin: AdminUser, *, client_address: str) -> None:
    """Draw the question no more; attempts that drew it still show it."""
    if question.retired_at is None:
        question.retired_at = clock.now()
    course = db.session.get(Course, question.course_id)
    audit_change("question.retire", course, admin, client_address, question=question)


def restore_question(question: Question, admin: AdminUser, *, client_address: str) -> None:
    """Put a retired question back into the bank."""
    question.retired_at = None
    course = db.session.get(Course, question.course_id)
    audit_change("question.restore", course, admin, client_address, question=question)


def check_answer(question: Question, letters: str) -> bool:
    """Whether ``letters`` (bank letters, any order or case) is exactly the answer key."""
    return bool(letters) and normalize_letters(letters) == question.answer


def _attention_pool(course_id: int):
    return select(Question.id).where(
        Question.course_id == course_id,
        Question.attention_pool.is_(True),
        Question.kind.in_([QuestionKind.SINGLE, QuestionKind.TRUE_FALSE]),
        Question.retired_at.is_(None),
    )


def has_attention_questions(course_id: int) -> bool:
    """Whether the course's attention pool has a question to ask."""
    return db.session.scalar(_attention_pool(course_id).limit(1)) is not None


def pick_attention_question(course_id: int, rng: random.Random) -> Question | None:
    """A random single-choice or true/false question of the course's attention pool, if any."""
    ids = db.session.scalars(_attention_pool(course_id).order_by(Question.id)).all()
    if not ids:
        return None
    return db.session.get(Question, rng.choice(ids))


def pick_attention_questions(course_id: int, rng: random.Random, count: int) -> list:
    """``count`` random draws from the course's attention pool (None each when it is empty)."""
    ids = db.session.scalars(_attention_pool(course_id).order_by(Question.id)).all()
    if not ids:
        return [None] * count
    chosen = [rng.choice(ids) for _ in range(count)]
    found = {q.id: q for q in db.session.scalars(select(Question).where(Question.id.in_(chosen)))}
    return [found[question_id] for question_id in chosen]
