"""Admin JSON API for question banks: list, add, xlsx import and export."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Annotated

from flask import request, send_file
from pydantic import Field

from backend.admin.api.blueprint import bp
from backend.admin.auth import current_admin, require_permission
from backend.api import RequestModel, ResponseModel, endpoint
from backend.caller import client_address
from backend.extensions import db
from backend.kernel.errors import DomainError
from backend.kernel.permissions import Permission
from backend.kernel.scope import get_scoped
from backend.models import Course, QuestionKind
from backend.services.practice import bank_xlsx, question_bank
from backend.services.practice.question_bank import QuestionInvalid


class QuestionOut(ResponseModel):
    """A bank question with its key (admins only)."""

    id: int
    course_id: int
    kind: QuestionKind
    stem: str
    options: list[str]
    answer: str
    explanation: str
    difficulty: int
    position: int
    retired_at: datetime | None = None


class QuestionListOut(ResponseModel):
    """A course's bank."""

    course_id: int
    questions: list[QuestionOut]


class QuestionIn(RequestModel):
    """A question typed in by an admin; the same rules as an imported row."""

    kind: QuestionKind
    stem: Annotated[str, Field(max_length=question_bank.MAX_STEM)]
    options: Annotated[list[str], Field(max_length=question_bank.MAX_OPTIONS, default_factory=list)]
    answer: Annotated[str, Field(max_length=20)]
    explanation: Annotated[str, Field(max_length=question_bank.MAX_EXPLANATION)] = ""
    difficulty: Annotated[int, Field(ge=1, le=5)] = 1


class ImportOut(ResponseModel):
    """How many questions an import added."""

    course_id: int
    imported: int


def _bank_out(course: Course) -> QuestionListOut:
    questions = question_bank.bank([course.id], retired=True)
    return QuestionListOut(
        course_id=course.id, questions=[QuestionOut.model_validate(q) for q in questions]
    )


@bp.get("/courses/<id:course_id>/questions")
@require_permission(Permission.VIEW_PROJECT)
@endpoint(summary="课程题库", response=QuestionListOut, auth=None)
def list_questions(course_id: int):
    return _bank_out(get_scoped(Course, course_id, current_admin(), message="课程不存在"))


@bp.post("/courses/<id:course_id>/questions")
@require_permission(Permission.MANAGE_CONTENT)
@endpoint(summary="添加题目", body=QuestionIn, response=QuestionOut, status=201, auth=None)
def add_question(course_id: int, body: QuestionIn):
    admin = current_admin()
    course = get_scoped(Course, course_id, admin, message="课程不存在")
    try:
        data = question_bank.validate_question(
            body.kind, body.stem, body.options, body.answer, body.explanation, body.difficulty
        )
    except QuestionInvalid as exc:
        raise DomainError("question_invalid", exc.message) from None
    question = question_bank.add_question(course, data, admin, client_address=client_address())
    out = QuestionOut.model_validate(question)
    db.session.commit()
    return out


@bp.get("/courses/<id:course_id>/questions.xlsx")
@require_permission(Permission.VIEW_PROJECT)
@endpoint(summary="导出题库（xlsx，与导入模板同格式）", auth=None)
def export_questions(course_id: int):
    course = get_scoped(Course, course_id, current_admin(), message="课程不存在")
    content = bank_xlsx.export_bank(question_bank.bank([course.id]))
    return send_file(
        io.BytesIO(content),
        mimetype=bank_xlsx.XLSX_MIMETYPE,
        as_attachment=True,
        download_name=f"题库-{course.name}.xlsx",
    )


@bp.post("/courses/<id:course_id>/questions/import")
@require_permission(Permission.MANAGE_CONTENT)
@endpoint(summary="导入题库（xlsx）", response=ImportOut, status=201, auth=None)
def import_questions(course_id: int):
    admin = current_admin()
    course = get_scoped(Course, course_id, admin, message="课程不存在")
    upload = request.files.get("file")
    if upload is None:
        raise DomainError("file_missing", "请选择要导入的题库文件（表单字段 file）")
    data = upload.read(bank_xlsx.MAX_FILE_BYTES + 1)
    count = bank_xlsx.import_bank(
        course, upload.filename or "", data, admin, client_address=client_address()
    )
    db.session.commit()
    return ImportOut(course_id=course.id, imported=count)
