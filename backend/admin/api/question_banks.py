"""Admin JSON API for question banks: list, add, xlsx import and export."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Annotated

from flask import Blueprint, request, send_file
from pydantic import Field
from sqlalchemy import select

from backend import audit
from backend.admin.auth import admin_required, current_admin
from backend.admin.scope import scoped
from backend.api import RequestModel, ResponseModel, endpoint
from backend.errors import ApiError, NotFound
from backend.extensions import db
from backend.models import AdminUser, Course, QuestionKind, Role
from backend.services import bank_xlsx, question_bank
from backend.services.question_bank import QuestionInvalid

EDITORS = (Role.OPERATOR, Role.ENTERPRISE_ADMIN)


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


def course_or_404(course_id: int, admin: AdminUser) -> Course:
    """A course of the libraries the admin may see, else 404."""
    query = select(Course).where(Course.id == course_id)
    course = db.session.scalar(scoped(query, admin, Course.enterprise_id))
    if course is None:
        raise NotFound("课程不存在")
    return course


def _bank_out(course: Course) -> QuestionListOut:
    questions = question_bank.bank([course.id], retired=True)
    return QuestionListOut(
        course_id=course.id, questions=[QuestionOut.model_validate(q) for q in questions]
    )


def register(bp: Blueprint) -> None:
    """Attach the routes."""

    @bp.get("/courses/<id:course_id>/questions")
    @admin_required()
    @endpoint(summary="课程题库", response=QuestionListOut, auth=None)
    def list_questions(course_id: int):
        return _bank_out(course_or_404(course_id, current_admin()))

    @bp.post("/courses/<id:course_id>/questions")
    @admin_required(*EDITORS)
    @endpoint(summary="添加题目", body=QuestionIn, response=QuestionOut, status=201, auth=None)
    def add_question(course_id: int, body: QuestionIn):
        admin = current_admin()
        course = course_or_404(course_id, admin)
        try:
            data = question_bank.validate_question(
                body.kind, body.stem, body.options, body.answer, body.explanation, body.difficulty
            )
        except QuestionInvalid as exc:
            raise ApiError(422, "question_invalid", exc.message) from None
        question = question_bank.add_question(course.id, data)
        db.session.flush()
        audit.record(
            "question.create",
            actor_kind="admin",
            actor_id=admin.id,
            object_type="question",
            object_id=question.id,
            enterprise_id=course.enterprise_id,
        )
        out = QuestionOut.model_validate(question)
        db.session.commit()
        return out

    @bp.get("/courses/<id:course_id>/questions.xlsx")
    @admin_required()
    @endpoint(summary="导出题库（xlsx，与导入模板同格式）", auth=None)
    def export_questions(course_id: int):
        course = course_or_404(course_id, current_admin())
        content = bank_xlsx.export_bank(question_bank.bank([course.id]))
        return send_file(
            io.BytesIO(content),
            mimetype=bank_xlsx.XLSX_MIMETYPE,
            as_attachment=True,
            download_name=f"题库-{course.name}.xlsx",
        )

    @bp.post("/courses/<id:course_id>/questions/import")
    @admin_required(*EDITORS)
    @endpoint(summary="导入题库（xlsx）", response=ImportOut, status=201, auth=None)
    def import_questions(course_id: int):
        admin = current_admin()
        course = course_or_404(course_id, admin)
        upload = request.files.get("file")
        if upload is None:
            raise ApiError(400, "file_missing", "请选择要导入的题库文件（表单字段 file）")
        if not (upload.filename or "").lower().endswith(".xlsx"):
            raise ApiError(400, "not_xlsx", "请上传 .xlsx 格式的题库文件")
        rows = bank_xlsx.parse_bank(upload.read(bank_xlsx.MAX_FILE_BYTES + 1))
        start = question_bank.next_position(course.id)
        for offset, data in enumerate(rows):
            question_bank.add_question(course.id, data, position=start + offset)
        audit.record(
            "question.import",
            actor_kind="admin",
            actor_id=admin.id,
            object_type="course",
            object_id=course.id,
            enterprise_id=course.enterprise_id,
            count=len(rows),
        )
        db.session.commit()
        return ImportOut(course_id=course.id, imported=len(rows))
