"""Question banks of a course: list, add, edit, retire, xlsx import with its row errors, export."""

from __future__ import annotations

import io

from flask import flash, redirect, render_template, request, send_file, url_for

from backend.admin.auth import current_admin, require_permission
from backend.admin.forms import ActionForm
from backend.admin.pages.base import bp
from backend.admin.practice_forms import QuestionForm
from backend.caller import client_address
from backend.extensions import db
from backend.kernel.errors import DomainError
from backend.kernel.permissions import Permission
from backend.kernel.scope import get_scoped
from backend.models import Course, Project, Question, QuestionKind
from backend.services.practice import bank_xlsx, question_bank
from backend.services.practice.question_bank import KIND_NAMES, QuestionInvalid

# Where a service's complaint about a question goes on the form.
_FIELD_OF = {"kind": "kind", "stem": "stem", "options": "option_a", "answer": "answer"}
_FIELD_OF |= {"explanation": "explanation", "difficulty": "difficulty"}


def _validated(form: QuestionForm):
    """The question the form describes, or None with the problem next to its field."""
    if not form.validate_on_submit():
        return None
    try:
        return question_bank.validate_question(
            QuestionKind(form.kind.data),
            form.stem.data,
            form.options(),
            form.answer.data,
            form.explanation.data or "",
            form.difficulty.data,
        )
    except QuestionInvalid as exc:
        field = form[_FIELD_OF[exc.field]]
        field.errors = [*field.errors, exc.message]
        return None


def _project_arg() -> Project | None:
    """The project the admin came from (``?project=``), for the way back; a course is shared."""
    project_id = request.args.get("project", type=int)
    if project_id is None:
        return None
    try:
        return get_scoped(Project, project_id, current_admin())
    except DomainError:
        return None


def _back(course: Course) -> str:
    project = _project_arg()
    args = {"project": project.id} if project else {}
    return url_for("admin_pages.course_questions", course_id=course.id, **args)


def _bank_page(course: Course, import_errors: list | None = None, import_message: str = ""):
    questions = question_bank.bank([course.id], retired=True)
    status = 422 if import_message else 200
    return render_template(
        "admin/practice/bank.html",
        course=course,
        project=_project_arg(),
        questions=questions,
        active=sum(1 for q in questions if q.retired_at is None),
        kind_names=KIND_NAMES,
        import_errors=import_errors or [],
        import_message=import_message,
        action_form=ActionForm(),
    ), status


def _form_page(form: QuestionForm, course: Course, question: Question | None):
    code = 422 if request.method == "POST" else 200
    return render_template(
        "admin/practice/question_form.html",
        form=form,
        course=course,
        question=question,
        back=_back(course),
    ), code


@bp.get("/courses/<id:course_id>/questions")
@require_permission(Permission.VIEW_PROJECT)
def course_questions(course_id: int):
    """A course's bank, retired questions last and marked."""
    return _bank_page(get_scoped(Course, course_id, current_admin()))


@bp.route("/courses/<id:course_id>/questions/new", methods=["GET", "POST"])
@require_permission(Permission.MANAGE_CONTENT)
def question_new(course_id: int):
    """Add a question to the bank."""
    course = get_scoped(Course, course_id, current_admin())
    form = QuestionForm()
    data = _validated(form) if request.method == "POST" else None
    if data is None:
        return _form_page(form, course, None)
    question_bank.add_question(
        course,
        data,
        current_admin(),
        client_address=client_address(),
        attention_pool=form.attention_pool.data,
    )
    db.session.commit()
    flash("题目已添加", "success")
    return redirect(_back(course))


@bp.route("/questions/<id:question_id>/edit", methods=["GET", "POST"])
@require_permission(Permission.MANAGE_CONTENT)
def question_edit(question_id: int):
    """Change a question (scored attempts keep their result)."""
    question = get_scoped(Question, question_id, current_admin())
    course = db.session.get(Course, question.course_id)
    form = QuestionForm(data=QuestionForm.data_of(question) if request.method == "GET" else None)
    data = _validated(form) if request.method == "POST" else None
    if data is None:
        return _form_page(form, course, question)
    question_bank.update_question(
        question,
        data,
        current_admin(),
        client_address=client_address(),
        attention_pool=form.attention_pool.data,
    )
    db.session.commit()
    flash("题目已保存", "success")
    return redirect(_back(course))


@bp.post("/questions/<id:question_id>/retire")
@require_permission(Permission.MANAGE_CONTENT)
def question_retire(question_id: int):
    """Stop drawing a question; old attempts keep showing it."""
    question = get_scoped(Question, question_id, current_admin())
    course = db.session.get(Course, question.course_id)
    question_bank.retire_question(question, current_admin(), client_address=client_address())
    db.session.commit()
    flash("题目已停用：不再抽取，已作答的记录保留", "success")
    return redirect(_back(course))


@bp.post("/questions/<id:question_id>/restore")
@require_permission(Permission.MANAGE_CONTENT)
def question_restore(question_id: int):
    """Put a retired question back into the bank."""
    question = get_scoped(Question, question_id, current_admin())
    course = db.session.get(Course, question.course_id)
    question_bank.restore_question(question, current_admin(), client_address=client_address())
    db.session.commit()
    flash("题目已恢复使用", "success")
    return redirect(_back(course))


@bp.post("/courses/<id:course_id>/questions/import")
@require_permission(Permission.MANAGE_CONTENT)
def questions_import(course_id: int):
    """Import an xlsx bank: every bad row is listed and nothing is imported, or all of it."""
    course = get_scoped(Course, course_id, current_admin())
    upload = request.files.get("file")
    try:
        if upload is None or not upload.filename:
            raise DomainError("file_missing", "请选择要导入的题库文件（.xlsx）")
        count = bank_xlsx.import_bank(
            course,
            upload.filename,
            upload.read(bank_xlsx.MAX_FILE_BYTES + 1),
            current_admin(),
            client_address=client_address(),
        )
    except DomainError as exc:
        db.session.rollback()
        return _bank_page(course, exc.details, exc.message)
    db.session.commit()
    flash(f"已导入 {count} 道题目", "success")
    return redirect(_back(course))


@bp.get("/courses/<id:course_id>/questions.xlsx")
@require_permission(Permission.VIEW_PROJECT)
def questions_export(course_id: int):
    """The bank in the import layout (retired questions left out)."""
    course = get_scoped(Course, course_id, current_admin())
    content = bank_xlsx.export_bank(question_bank.bank([course.id]))
    return send_file(
        io.BytesIO(content),
        mimetype=bank_xlsx.XLSX_MIMETYPE,
        as_attachment=True,
        download_name=f"题库-{course.name}.xlsx",
    )


@bp.get("/question-bank-template.xlsx")
@require_permission(Permission.VIEW_PROJECT)
def questions_template():
    """The blank import template: the header row only."""
    return send_file(
        io.BytesIO(bank_xlsx.export_bank([])),
        mimetype=bank_xlsx.XLSX_MIMETYPE,
        as_attachment=True,
        download_name="题库导入模板.xlsx",
    )
