"""Admin JSON API of the course library and of a project's course list."""

from __future__ import annotations

from flask import Response

from backend.admin.api.blueprint import bp
from backend.admin.api.content_schemas import (
    AttachIn,
    CourseIn,
    CourseListOut,
    CourseOut,
    CoursePatch,
    CourseQuery,
    OrderIn,
    ProjectCoursesOut,
)
from backend.admin.auth import current_admin, require_permission
from backend.api import endpoint
from backend.caller import client_address
from backend.extensions import db
from backend.kernel.permissions import Permission
from backend.kernel.scope import get_scoped, scope_query
from backend.models import Course, Enterprise, Lesson, Project
from backend.services.content import library

TAGS = ("content",)


def lesson_out(lesson: Lesson) -> dict:
    """A lesson as the admin API shows it."""
    media = None
    if lesson.media_key:
        media = {
            "bytes": lesson.media_bytes,
            "content_type": lesson.media_content_type,
            "filename": lesson.media_filename,
        }
    return {
        "id": lesson.id,
        "course_id": lesson.course_id,
        "title": lesson.title,
        "position": lesson.position,
        "kind": lesson.kind,
        "duration_s": lesson.duration_s,
        "page_count": lesson.page_count,
        "retired": lesson.retired,
        "media": media,
    }


def course_out(course: Course) -> dict:
    """A course with its lessons (retired ones too, marked) and its live duration."""
    return {
        "id": course.id,
        "enterprise_id": course.enterprise_id,
        "name": course.name,
        "summary": course.summary,
        "retired": course.retired,
        "duration_s": sum(lesson.duration_s for lesson in course.live_lessons),
        "lessons": [lesson_out(lesson) for lesson in course.lessons],
    }


def project_courses_out(project: Project) -> dict:
    """The project's course list in its order."""
    return {
        "project_id": project.id,
        "courses": [
            {**course_out(link.course), "position": link.position} for link in project.course_links
        ],
    }


@bp.post("/courses")
@require_permission(Permission.MANAGE_CONTENT)
@endpoint(
    summary="新建课程（企业课程库）",
    body=CourseIn,
    response=CourseOut,
    status=201,
    auth=None,
    tags=TAGS,
)
def create_course(body: CourseIn):
    admin = current_admin()
    enterprise = get_scoped(Enterprise, body.enterprise_id, admin)
    course = library.create_course(
        enterprise.id, body.name, body.summary, admin, client_address=client_address()
    )
    db.session.commit()
    return course_out(course)


@bp.get("/courses")
@require_permission(Permission.VIEW_PROJECT)
@endpoint(summary="课程库", query=CourseQuery, response=CourseListOut, auth=None, tags=TAGS)
def list_courses(query: CourseQuery):
    statement = library.library(None, include_retired=query.include_retired)
    if query.enterprise_id is not None:
        statement = statement.where(Course.enterprise_id == query.enterprise_id)
    courses = db.session.scalars(scope_query(statement, Course, current_admin()))
    return {"courses": [course_out(course) for course in courses]}


@bp.get("/courses/<id:course_id>")
@require_permission(Permission.VIEW_PROJECT)
@endpoint(summary="课程及其课节", response=CourseOut, auth=None, tags=TAGS)
def get_course(course_id: int):
    return course_out(get_scoped(Course, course_id, current_admin()))


@bp.patch("/courses/<id:course_id>")
@require_permission(Permission.MANAGE_CONTENT)
@endpoint(summary="修改课程", body=CoursePatch, response=CourseOut, auth=None, tags=TAGS)
def patch_course(course_id: int, body: CoursePatch):
    admin = current_admin()
    course = get_scoped(Course, course_id, admin)
    library.update_course(
        course, body.model_dump(exclude_none=True), admin, client_address=client_address()
    )
    db.session.commit()
    return course_out(course)


@bp.post("/courses/<id:course_id>/retire")
@require_permission(Permission.MANAGE_CONTENT)
@endpoint(summary="停用课程（不能再加入项目）", response=CourseOut, auth=None, tags=TAGS)
def retire_course(course_id: int):
    admin = current_admin()
    course = get_scoped(Course, course_id, admin)
    library.retire_course(course, admin, client_address=client_address())
    db.session.commit()
    return course_out(course)


@bp.get("/projects/<id:project_id>/courses")
@require_permission(Permission.VIEW_PROJECT)
@endpoint(summary="培训项目的课程及课节", response=ProjectCoursesOut, auth=None, tags=TAGS)
def list_project_courses(project_id: int):
    return project_courses_out(get_scoped(Project, project_id, current_admin()))


@bp.post("/projects/<id:project_id>/courses")
@require_permission(Permission.MANAGE_CONTENT)
@endpoint(
    summary="把课程加入培训项目（排在最后）",
    body=AttachIn,
    response=ProjectCoursesOut,
    status=201,
    auth=None,
    tags=TAGS,
)
def attach_course(project_id: int, body: AttachIn):
    admin = current_admin()
    project = get_scoped(Project, project_id, admin, lock=True)
    library.attach(
        project,
        get_scoped(Course, body.course_id, admin),
        admin,
        client_address=client_address(),
    )
    db.session.commit()
    return project_courses_out(project)


@bp.put("/projects/<id:project_id>/courses")
@require_permission(Permission.MANAGE_CONTENT)
@endpoint(
    summary="调整培训项目的课程顺序",
    body=OrderIn,
    response=ProjectCoursesOut,
    auth=None,
    tags=TAGS,
)
def reorder_courses(project_id: int, body: OrderIn):
    admin = current_admin()
    project = get_scoped(Project, project_id, admin, lock=True)
    library.reorder(project, body.course_ids, admin, client_address=client_address())
    db.session.commit()
    return project_courses_out(project)


@bp.delete("/projects/<id:project_id>/courses/<id:course_id>")
@require_permission(Permission.MANAGE_CONTENT)
@endpoint(summary="把课程移出培训项目", auth=None, status=204, tags=TAGS)
def detach_course(project_id: int, course_id: int):
    admin = current_admin()
    project = get_scoped(Project, project_id, admin, lock=True)
    library.detach(project, course_id, admin, client_address=client_address())
    db.session.commit()
    return Response(status=204)
