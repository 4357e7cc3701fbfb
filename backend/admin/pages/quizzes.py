"""Practice and assessment: a project's banks and quizzes, the quiz form, the statistics page."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import func, select

from backend.admin.auth import current_admin, require_permission
from backend.admin.forms import ActionForm, choices
from backend.admin.pages.base import bp
from backend.admin.practice_forms import QuizForm
from backend.caller import client_address
from backend.extensions import db
from backend.kernel.errors import DomainError
from backend.kernel.permissions import Permission
from backend.kernel.scope import get_scoped
from backend.models import Course, Project, ProjectCourse, Question, Quiz, QuizKind
from backend.services.practice import quiz_analysis, quizzes

_FIELD_OF_CODE = {"course_not_in_project": "course_id", "practice_unlimited": "attempt_limit"}


def _courses(project: Project) -> list[tuple[Course, int]]:
    """The project's courses with how many questions each bank offers."""
    active = (
        select(func.count(Question.id))
        .where(Question.course_id == Course.id, Question.retired_at.is_(None))
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(Course, active)
        .join(ProjectCourse, ProjectCourse.course_id == Course.id)
        .where(ProjectCourse.project_id == project.id)
        .order_by(ProjectCourse.position, Course.id)
    )
    return [(course, count) for course, count in rows]


def _settings(form: QuizForm) -> quizzes.QuizSettings:
    kind = QuizKind(form.kind.data)
    assessment = kind is QuizKind.ASSESSMENT
    return quizzes.QuizSettings(
        title=form.title.data,
        kind=kind,
        course_id=form.course_id.data or None,
        attempt_limit=form.attempt_limit.data if assessment else None,
        time_limit_s=form.time_limit_min.data * 60
        if assessment and form.time_limit_min.data
        else None,
        pass_score=form.pass_score.data if form.pass_score.data is not None else 60,
        question_count=form.question_count.data,
        shuffle_options=bool(form.shuffle_options.data),
    )


def _form(project: Project, quiz: Quiz | None) -> QuizForm:
    form = QuizForm(data=QuizForm.data_of(quiz) if quiz and request.method == "GET" else None)
    form.course_id.choices = choices(
        [(0, "本项目全部课程的题库"), *((c.id, f"课程：{c.name}") for c, _ in _courses(project))]
    )
    return form


def _save(form: QuizForm, project: Project, quiz: Quiz | None):
    """Create or change the quiz; None (form shown again with the problem) when refused."""
    if not form.validate_on_submit():
        return None
    try:
        if quiz is None:
            quiz = quizzes.create_quiz(
                project, _settings(form), current_admin(), client_address=client_address()
            )
        else:
            quizzes.update_quiz(
                quiz, _settings(form), current_admin(), client_address=client_address()
            )
    except DomainError as exc:
        db.session.rollback()
        field = form[_FIELD_OF_CODE.get(exc.code, "title")]
        field.errors = [*field.errors, exc.message]
        return None
    db.session.commit()
    flash("测验已保存", "success")
    return redirect(url_for("admin_pages.project_practice", project_id=project.id))


def _form_page(form: QuizForm, project: Project, quiz: Quiz | None):
    code = 422 if request.method == "POST" else 200
    return render_template(
        "admin/practice/quiz_form.html", form=form, project=project, quiz=quiz
    ), code


@bp.get("/projects/<id:project_id>/practice")
@require_permission(Permission.VIEW_PROJECT)
def project_practice(project_id: int):
    """The project's question banks (per course) and its practice and assessment quizzes."""
    project = get_scoped(Project, project_id, current_admin())
    items = quizzes.project_quizzes(project.id, retired=True)
    return render_template(
        "admin/practice/index.html",
        project=project,
        courses=_courses(project),
        quizzes=items,
        course_titles={c.id: c.name for c, _ in _courses(project)},
        action_form=ActionForm(),
    )


@bp.route("/projects/<id:project_id>/quizzes/new", methods=["GET", "POST"])
@require_permission(Permission.MANAGE_CONTENT)
def quiz_new(project_id: int):
    """Create a practice or assessment quiz."""
    project = get_scoped(Project, project_id, current_admin())
    form = _form(project, None)
    response = _save(form, project, None) if request.method == "POST" else None
    return response or _form_page(form, project, None)


@bp.route("/quizzes/<id:quiz_id>/edit", methods=["GET", "POST"])
@require_permission(Permission.MANAGE_CONTENT)
def quiz_edit(quiz_id: int):
    """Change a quiz's settings."""
    quiz = get_scoped(Quiz, quiz_id, current_admin())
    project = db.session.get(Project, quiz.project_id)
    form = _form(project, quiz)
    response = _save(form, project, quiz) if request.method == "POST" else None
    return response or _form_page(form, project, quiz)


@bp.post("/quizzes/<id:quiz_id>/retire")
@require_permission(Permission.MANAGE_CONTENT)
def quiz_retire(quiz_id: int):
    """Stop a quiz: no new attempts; results stay."""
    quiz = get_scoped(Quiz, quiz_id, current_admin())
    project = db.session.get(Project, quiz.project_id)
    quizzes.retire_quiz(quiz, current_admin(), client_address=client_address())
    db.session.commit()
    flash(f"“{quiz.title}”已停用：学员不能再作答，已有成绩保留", "success")
    return redirect(url_for("admin_pages.project_practice", project_id=project.id))


@bp.post("/quizzes/<id:quiz_id>/restore")
@require_permission(Permission.MANAGE_CONTENT)
def quiz_restore(quiz_id: int):
    """Offer a retired quiz again."""
    quiz = get_scoped(Quiz, quiz_id, current_admin())
    project = db.session.get(Project, quiz.project_id)
    quizzes.restore_quiz(quiz, current_admin(), client_address=client_address())
    db.session.commit()
    flash(f"“{quiz.title}”已恢复", "success")
    return redirect(url_for("admin_pages.project_practice", project_id=project.id))


@bp.get("/quizzes/<id:quiz_id>/statistics")
@require_permission(Permission.VIEW_PROJECT)
def quiz_statistics(quiz_id: int):
    """Score distribution, and per question difficulty, discrimination, top wrong option."""
    quiz = get_scoped(Quiz, quiz_id, current_admin())
    project = db.session.get(Project, quiz.project_id)
    analysis = quiz_analysis.analyse_quiz(quiz)
    db.session.commit()  # attempts found past their deadline were scored
    return render_template(
        "admin/practice/statistics.html",
        quiz=quiz,
        project=project,
        analysis=analysis,
        group_percent=round(quiz_analysis.GROUP_SHARE * 100),
    )
