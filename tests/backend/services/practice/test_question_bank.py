"""Question validation, answer checking and the attention-check question picker."""

import random

import pytest

from backend.models import QuestionKind
from backend.services.practice import question_bank
from backend.services.practice.question_bank import QuestionInvalid, validate_question


def test_validate_normalizes_answers_and_true_false():
    data = validate_question(QuestionKind.MULTIPLE, " 题 ", ["a", "b", "c", ""], "c、a", "", "难")
    assert (data.stem, data.options, data.answer, data.difficulty) == (
        "题",
        ["a", "b", "c"],
        "AC",
        5,
    )
    tf = validate_question(QuestionKind.TRUE_FALSE, "对吗", [], "错")
    assert (tf.options, tf.answer) == (["正确", "错误"], "B")


@pytest.mark.parametrize(
    ("kind", "options", "answer", "field"),
    [
        (QuestionKind.SINGLE, ["a"], "A", "options"),
        (QuestionKind.SINGLE, ["a", "a"], "A", "options"),
        (QuestionKind.SINGLE, ["a", "b"], "AB", "answer"),
        (QuestionKind.SINGLE, ["a", "b"], "", "answer"),
        (QuestionKind.TRUE_FALSE, ["是", "否"], "A", "options"),
        (QuestionKind.TRUE_FALSE, [], "C", "answer"),
    ],
)
def test_validate_refuses(kind, options, answer, field):
    with pytest.raises(QuestionInvalid) as exc:
        validate_question(kind, "题干", options, answer)
    assert exc.value.field == field


def test_check_answer_ignores_order_and_case(make):
    question = make.question(make.course(), kind=QuestionKind.MULTIPLE, answer="ACD")
    assert question_bank.check_answer(question, "dca")
    assert not question_bank.check_answer(question, "AC")
    assert not question_bank.check_answer(question, "")


def test_pick_attention_question(make):
    course, empty = make.course(), make.course()
    single = make.question(course, attention_pool=True)
    make.question(course, kind=QuestionKind.MULTIPLE, answer="AB", attention_pool=True)
    make.question(course)  # a quiz question: never an attention check
    assert question_bank.pick_attention_question(empty.id, random.Random(1)) is None
    picks = {question_bank.pick_attention_question(course.id, random.Random(s)) for s in range(5)}
    assert picks == {single}  # multiple choice is too slow for a pop-up check
    assert question_bank.has_attention_questions(course.id)
    assert not question_bank.has_attention_questions(empty.id)
