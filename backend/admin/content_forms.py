"""WTForms of the course library pages (the upload itself goes to the JSON API by script)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Length, Optional


class CourseForm(FlaskForm):
    """A course's name and summary (and, for operators creating one, its enterprise)."""

    enterprise_id = SelectField("企业", coerce=int, validators=[Optional()])
    name = StringField("课程名称", [DataRequired("请填写课程名称"), Length(max=200)])
    summary = TextAreaField("内容要点", [Optional(), Length(max=2000)], default="")


class AttachForm(FlaskForm):
    """A library course to attach to a project."""

    course_id = SelectField("课程", coerce=int, validators=[DataRequired("请选择课程")])


class MoveForm(FlaskForm):
    """Move an attached course up or down by one place."""

    course_id = IntegerField(validators=[DataRequired()])
    direction = StringField(validators=[AnyOf(("up", "down"))])
