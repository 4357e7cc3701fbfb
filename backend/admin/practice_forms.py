"""WTForms of the practice, assessment and support pages (questions, quizzes, replies)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from backend.admin.forms import REQUIRED, choices
from backend.services.practice import question_bank

QUESTION_KINDS = [("single", "单选题"), ("multiple", "多选题"), ("true_false", "判断题")]
QUIZ_KINDS = [("practice", "练习（不限次数、不限时间）"), ("assessment", "考核")]
DIFFICULTIES = [(str(n), f"{n}（{label}）") for n, label in enumerate("易较易中较难难", 1)]


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class QuestionForm(FlaskForm):
    """A bank question; the bank rules are checked by ``question_bank.validate_question``."""

    kind = SelectField("题型", choices=choices(QUESTION_KINDS), default="single")
    stem = TextAreaField(
        "题干", [DataRequired(REQUIRED), Length(max=question_bank.MAX_STEM)], filters=[_strip]
    )
    option_a = StringField("选项 A", [Optional(), Length(max=question_bank.MAX_OPTION)])
    option_b = StringField("选项 B", [Optional(), Length(max=question_bank.MAX_OPTION)])
    option_c = StringField("选项 C", [Optional(), Length(max=question_bank.MAX_OPTION)])
    option_d = StringField("选项 D", [Optional(), Length(max=question_bank.MAX_OPTION)])
    option_e = StringField("选项 E", [Optional(), Length(max=question_bank.MAX_OPTION)])
    option_f = StringField("选项 F", [Optional(), Length(max=question_bank.MAX_OPTION)])
    answer = StringField(
        "答案（选项字母，如 B 或 ACD；判断题 A=正确 B=错误）",
        [DataRequired(REQUIRED), Length(max=20)],
    )
    explanation = TextAreaField(
        "解析", [Optional(), Length(max=question_bank.MAX_EXPLANATION)], default=""
    )
    difficulty = SelectField("难度", choices=choices(DIFFICULTIES), default="1")
    attention_pool = BooleanField("只用于随机弹题（练习和考核不出此题，答案不会在练习中显示）")

    OPTION_FIELDS = ("option_a", "option_b", "option_c", "option_d", "option_e", "option_f")

    def options(self) -> list[str]:
        """Options A–F as typed."""
        return [self[name].data or "" for name in self.OPTION_FIELDS]

    @classmethod
    def data_of(cls, question) -> dict:
        """A stored question as form data."""
        data = {
            "kind": question.kind.value,
            "stem": question.stem,
            "answer": question.answer,
            "explanation": question.explanation,
            "difficulty": str(question.difficulty),
            "attention_pool": question.attention_pool,
        }
        for name, option in zip(cls.OPTION_FIELDS, question.options, strict=False):
            data[name] = option
        return data


class QuizForm(FlaskForm):
    """A practice or assessment quiz."""

    title = StringField("名称", [DataRequired(REQUIRED), Length(max=200)], filters=[_strip])
    kind = SelectField("类型", choices=choices(QUIZ_KINDS), default="assessment")
    course_id = SelectField("题库", coerce=int, default=0)
    question_count = IntegerField(
        "每次抽题数", [DataRequired(REQUIRED), NumberRange(1, 200, "应为1至200的整数")], default=10
    )
    pass_score = IntegerField(
        "及格分（0–100）", [Optional(), NumberRange(0, 100, "应为0至100的整数")], default=60
    )
    attempt_limit = IntegerField(
        "可作答次数（留空不限，仅考核）", [Optional(), NumberRange(1, 100, "应为1至100的整数")]
    )
    time_limit_min = IntegerField(
        "限时（分钟，留空不限，仅考核）",
        [Optional(), NumberRange(1, 24 * 60, "应为1至1440的整数分钟")],
    )
    shuffle_options = BooleanField("打乱选项顺序（判断题除外）", default=True)

    @classmethod
    def data_of(cls, quiz) -> dict:
        """A stored quiz as form data."""
        return {
            "title": quiz.title,
            "kind": quiz.kind.value,
            "course_id": quiz.course_id or 0,
            "question_count": quiz.question_count,
            "pass_score": quiz.pass_score,
            "attempt_limit": quiz.attempt_limit,
            "time_limit_min": quiz.time_limit_s // 60 if quiz.time_limit_s else None,
            "shuffle_options": quiz.shuffle_options,
        }


class ReplyForm(FlaskForm):
    """An admin's answer to a support thread."""

    body = TextAreaField("回复内容", [DataRequired("请填写回复内容"), Length(max=2000)])
