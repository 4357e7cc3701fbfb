"""Helpers shared by the quiz tests: a project with a bank, and answering by option text."""

from __future__ import annotations

import json

from backend.models import QuestionKind, QuizKind
from backend.services.practice.question_bank import LETTERS

# Words the answer key and explanations carry, to search trainee-facing bodies for.
KEY_FIELDS = {"answer", "correct", "correct_letters", "explanation", "answer_key"}
SECRET = "KEYMARK"


def setup_bank(make, *, questions: int = 10, multiple: int = 0, **quiz_fields):
    """An enrolled trainee, a course bank, and a quiz; returns (trainee, headers, quiz, bank)."""
    enterprise = make.enterprise()
    project = make.project(enterprise)
    course = make.course(project)
    bank = []
    for i in range(questions):
        kind = QuestionKind.MULTIPLE if i < multiple else QuestionKind.SINGLE
        bank.append(
            make.question(
                course,
                kind=kind,
                options=[f"q{i}-opt{j}" for j in range(4)],
                answer="AC" if kind is QuestionKind.MULTIPLE else "B",
                explanation=f"{SECRET}-{i}",
            )
        )
    quiz_fields.setdefault("kind", QuizKind.ASSESSMENT)
    quiz = make.quiz(project, course_id=course.id, **quiz_fields)
    trainee = make.trainee(enterprise)
    make.enrol(trainee, project)
    headers = make.auth(trainee)
    return trainee, headers, quiz, {q.id: q for q in bank}


def shown_letters(question_out: dict, bank_question, *, correct: bool = True) -> str:
    """The letters a trainee would pick, found by option text in this attempt's order."""
    key = {bank_question.options[LETTERS.index(c)] for c in bank_question.answer}
    if correct:
        picks = [i for i, text in enumerate(question_out["options"]) if text in key]
    else:
        picks = [next(i for i, t in enumerate(question_out["options"]) if t not in key)]
    return "".join(LETTERS[i] for i in sorted(picks))


def answer_all(attempt: dict, bank: dict, correct_ids: set[int]) -> list[dict]:
    """Answers for every question: right for ``correct_ids``, wrong for the rest."""
    return [
        {
            "question_id": q["id"],
            "letters": shown_letters(q, bank[q["id"]], correct=q["id"] in correct_ids),
        }
        for q in attempt["questions"]
    ]


def assert_no_key(body) -> None:
    """No answer key, correctness or explanation anywhere in a trainee-facing body."""

    def walk(node):
        if isinstance(node, dict):
            leaked = KEY_FIELDS & {k for k, v in node.items() if v not in (None, [], "")}
            assert not leaked, f"answer key fields {leaked} in {node}"
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(body)
    assert SECRET not in json.dumps(body, ensure_ascii=False)
