"""Pages of the course library, a course with its lessons, and a project's course list."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from backend.admin.auth import current_admin, require_permission
from backend.admin.content_forms import AttachForm, CourseForm, MoveForm
from backend.admin.forms import ActionForm
from backend.admin.pages.base import bp
from backend.caller import client_address
from backend.extensions import db
from backend.kernel.errors import DomainError
from backend.kernel.lifecycle import Activity, allows
from backend.kernel.permissions import Permission, can
from backend.kernel.scope import get_scoped, scope_query
from backend.models import Course, Enterprise, Lesson, Project
from backend.services.content import lessons as lesson_service
from backend.services.content import library
from backend.services.content.probe import human_bytes

KIND_NAMES = {"video": "视频", "audio": "音频", "document": "文档"}


def _enterprises() -> list[Enterprise]:
    query = select(Enterprise).order_by(Enterprise.name)
    return list(db.session.scalars(scope_query(query, Enterprise, current_admin())))


def _ensure_manager() -> None:
    # The page is for every admin who may view; its forms only for those who manage content.
    if not can(current_admin(), Permission.MANAGE_CONTENT):
        raise DomainError("forbidden")


def _done(message: str, target: str):
    db.session.commit()
    flash(message, "success")
    return redirect(target)


def _refused(exc: DomainError, target: str):
    db.session.rollback()
    flash(exc.message, "error")
    return redirect(target)


@bp.route("/courses", methods=["GET", "POST"])
@require_permission(Permission.VIEW_PROJECT)
def courses():
    """The course library of the enterprises the admin may see; new courses."""
    admin = current_admin()
    form = CourseForm()
    form.enterprise_id.choices = [(e.id, e.name) for e in _enterprises()]
    if request.method == "POST":
        if not form.validate_on_submit():
            return _render_library(form), 422
        enterprise_id = admin.enterprise_id or form.enterprise_id.data
        _ensure_manager()
        enterprise = get_scoped(Enterprise, enterprise_id or 0, admin)
        course = library.create_course(
            enterprise.id,
            form.name.data,
            form.summary.data,
            admin,
            client_address=client_address(),
        )
        target = url_for("admin_pages.course", course_id=course.id)
        return _done("课程已创建，请上传课节", target)
    return _render_library(form)


def _render_library(form: CourseForm):
    retired = request.args.get("retired") == "1"
    query = scope_query(library.library(None, include_retired=retired), Course, current_admin())
    return render_template(
        "admin/content/library.html",
        courses=list(db.session.scalars(query)),
        form=form,
        show_retired=retired,
        kind_names=KIND_NAMES,
    )


@bp.route("/courses/<id:course_id>", methods=["GET", "POST"])
@require_permission(Permission.VIEW_PROJECT)
def course(course_id: int):
    """A course with its lessons; its name and summary; the upload of a lesson."""
    admin = current_admin()
    course = get_scoped(Course, course_id, admin)
    form = CourseForm(obj=course if request.method == "GET" else None)
    del form.enterprise_id
    if request.method == "POST":
        _ensure_manager()
        if form.validate_on_submit():
            changes = {"name": form.name.data, "summary": form.summary.data or ""}
            library.update_course(course, changes, admin, client_address=client_address())
            return _done("课程已保存", url_for("admin_pages.course", course_id=course.id))
    storage = current_app.extensions["media_storage"]
    return render_template(
        "admin/content/course.html",
        course=course,
        form=form,
        action=ActionForm(),
        kind_names=KIND_NAMES,
        human_bytes=human_bytes,
        direct_upload=storage.kind == "s3",
        max_bytes=current_app.config["MEDIA_MAX_BYTES"],
    ), (422 if form.errors else 200)


@bp.post("/courses/<id:course_id>/retire")
@require_permission(Permission.MANAGE_CONTENT)
def course_retire(course_id: int):
    """Retire a course."""
    course = get_scoped(Course, course_id, current_admin())
    if ActionForm().validate_on_submit():
        library.retire_course(course, current_admin(), client_address=client_address())
        return _done("课程已停用", url_for("admin_pages.course", course_id=course.id))
    return redirect(url_for("admin_pages.course", course_id=course.id))


@bp.post("/lessons/<id:lesson_id>/remove")
@require_permission(Permission.MANAGE_CONTENT)
def lesson_remove(lesson_id: int):
    """Delete a lesson nobody learned; retire one someone did."""
    admin = current_admin()
    lesson = get_scoped(Lesson, lesson_id, admin)
    target = url_for("admin_pages.course", course_id=lesson.course_id)
    if not ActionForm().validate_on_submit():
        return redirect(target)
    key = lesson_service.retire_or_delete(lesson, admin, client_address=client_address())
    retired = key is None and lesson.retired
    db.session.commit()
    lesson_service.discard(key)
    flash("课节已有学习记录，已停用（记录保留）" if retired else "课节已删除", "success")
    return redirect(target)


@bp.route("/projects/<id:project_id>/courses", methods=["GET", "POST"])
@require_permission(Permission.VIEW_PROJECT)
def project_courses(project_id: int):
    """The project's courses in order; attach a library course."""
    admin = current_admin()
    project = get_scoped(Project, project_id, admin)
    target = url_for("admin_pages.project_courses", project_id=project.id)
    form = AttachForm()
    attached = {link.course_id for link in project.course_links}
    query = library.library(None).where(Course.enterprise_id == project.enterprise_id)
    form.course_id.choices = [
        (c.id, c.name) for c in db.session.scalars(query) if c.id not in attached
    ]
    if request.method == "POST":
        _ensure_manager()
        if form.validate_on_submit():
            try:
                course = get_scoped(Course, form.course_id.data, admin)
                library.attach(project, course, admin, client_address=client_address())
            except DomainError as exc:
                return _refused(exc, target)
            if project.filing_snapshot and not allows(project, Activity.EDIT_FILING):
                return _done("课程已加入项目；已备案的培训计划保持提交时的内容，不含该课程", target)
            return _done("课程已加入项目", target)
    return render_template(
        "admin/content/project_courses.html",
        project=project,
        form=form,
        move=MoveForm(),
        action=ActionForm(),
        kind_names=KIND_NAMES,
    )


@bp.post("/projects/<id:project_id>/courses/move")
@require_permission(Permission.MANAGE_CONTENT)
def project_course_move(project_id: int):
    """Move an attached course one place up or down."""
    admin = current_admin()
    project = get_scoped(Project, project_id, admin)
    target = url_for("admin_pages.project_courses", project_id=project.id)
    form = MoveForm()
    order = [link.course_id for link in project.course_links]
    if not form.validate_on_submit() or form.course_id.data not in order:
        return redirect(target)
    at = order.index(form.course_id.data)
    other = at - 1 if form.direction.data == "up" else at + 1
    if 0 <= other < len(order):
        order[at], order[other] = order[other], order[at]
        try:
            library.reorder(project, order, admin, client_address=client_address())
        except DomainError as exc:
            return _refused(exc, target)
        return _done("课程顺序已调整", target)
    return redirect(target)


@bp.post("/projects/<id:project_id>/courses/<id:course_id>/detach")
@require_permission(Permission.MANAGE_CONTENT)
def project_course_detach(project_id: int, course_id: int):
    """Take a course out of the project."""
    admin = current_admin()
    project = get_scoped(Project, project_id, admin)
    target = url_for("admin_pages.project_courses", project_id=project.id)
    if not ActionForm().validate_on_submit():
        return redirect(target)
    try:
        library.detach(project, course_id, admin, client_address=client_address())
    except DomainError as exc:
        return _refused(exc, target)
    return _done("课程已移出项目", target)
