"""An enterprise's course library, and the courses a project teaches in its order."""

from __future__ import annotations

import sqlalchemy as sa

from backend import audit
from backend.extensions import db
from backend.kernel.errors import DomainError, register
from backend.kernel.lifecycle import Activity, ensure
from backend.models import AdminUser, Course, CreditedSpan, Lesson, Project, ProjectCourse

register("course_retired", 409, "课程「{name}」已停用，不能再加入培训项目")
register("course_already_attached", 409, "课程「{name}」已在该培训项目中")
register("course_not_attached", 404, "该课程不在此培训项目中")
register("course_other_enterprise", 422, "只能加入本企业课程库中的课程")
register("course_has_credit", 409, "课程「{name}」在该项目中已有学员的有效学时，不能移出")
register("course_order_mismatch", 422, "课程顺序必须恰好列出该项目的全部课程，每门一次")


def _audit(action: str, actor: audit.Actor, obj, enterprise_id: int, **detail) -> None:
    audit.record(
        action,
        actor,
        object_type=type(obj).__tablename__,
        object_id=obj.id,
        enterprise_id=enterprise_id,
        **detail,
    )


def create_course(
    enterprise_id: int, name: str, summary: str, actor: AdminUser, *, client_address: str
) -> Course:
    """Add a course to an enterprise's library."""
    course = Course(enterprise_id=enterprise_id, name=name.strip(), summary=summary.strip())
    db.session.add(course)
    db.session.flush()
    _audit(
        "course.create", audit.admin(actor, client_address), course, enterprise_id, name=course.name
    )
    return course


def update_course(course: Course, changes: dict, actor: AdminUser, *, client_address: str) -> None:
    """Change a course's name or summary."""
    for key in ("name", "summary"):
        if changes.get(key) is not None:
            setattr(course, key, changes[key].strip())
    _audit(
        "course.update",
        audit.admin(actor, client_address),
        course,
        course.enterprise_id,
        fields=sorted(changes),
    )


def retire_course(course: Course, actor: AdminUser, *, client_address: str) -> None:
    """Retire a course: no project can attach it any more; those that have it keep it."""
    course.retired = True
    _audit("course.retire", audit.admin(actor, client_address), course, course.enterprise_id)


def library(enterprise_ids: sa.Select | None, *, include_retired: bool = False) -> sa.Select:
    """The query of library courses, newest last; ``enterprise_ids`` limits it when given."""
    query = sa.select(Course).order_by(Course.enterprise_id, Course.id)
    if enterprise_ids is not None:
        query = query.where(Course.enterprise_id.in_(enterprise_ids))
    if not include_retired:
        query = query.where(Course.retired.is_(False))
    return query


def attach(
    project: Project, course: Course, actor: AdminUser, *, client_address: str
) -> ProjectCourse:
    """Attach a library course at the end of the project's course list."""
    ensure(project, Activity.MANAGE_CONTENT)
    if course.enterprise_id != project.enterprise_id:
        raise DomainError("course_other_enterprise")
    if course.retired:
        raise DomainError("course_retired", name=course.name)
    if any(link.course_id == course.id for link in project.course_links):
        raise DomainError("course_already_attached", name=course.name)
    position = max((link.position for link in project.course_links), default=-1) + 1
    link = ProjectCourse(course=course, position=position)
    project.course_links.append(link)
    db.session.flush()
    _audit(
        "project.course_attach",
        audit.admin(actor, client_address),
        project,
        project.enterprise_id,
        course_id=course.id,
    )
    return link


def reorder(
    project: Project, course_ids: list[int], actor: AdminUser, *, client_address: str
) -> None:
    """Put the project's courses in the given order (every attached course exactly once)."""
    ensure(project, Activity.MANAGE_CONTENT)
    links = {link.course_id: link for link in project.course_links}
    if sorted(course_ids) != sorted(links):
        raise DomainError("course_order_mismatch")
    for position, course_id in enumerate(course_ids):
        links[course_id].position = position
    db.session.flush()
    db.session.expire(project, ["course_links"])
    _audit(
        "project.course_reorder",
        audit.admin(actor, client_address),
        project,
        project.enterprise_id,
        course_ids=course_ids,
    )


def detach(project: Project, course_id: int, actor: AdminUser, *, client_address: str) -> None:
    """Take a course out of a project, unless trainees already have credit in it there."""
    ensure(project, Activity.MANAGE_CONTENT)
    link = next((link for link in project.course_links if link.course_id == course_id), None)
    if link is None:
        raise DomainError("course_not_attached")
    credited = db.session.scalar(
        sa.select(CreditedSpan.id)
        .join(Lesson, Lesson.id == CreditedSpan.lesson_id)
        .where(CreditedSpan.project_id == project.id, Lesson.course_id == course_id)
        .limit(1)
    )
    if credited is not None:
        raise DomainError("course_has_credit", name=link.course.name)
    project.course_links.remove(link)
    db.session.flush()
    _audit(
        "project.course_detach",
        audit.admin(actor, client_address),
        project,
        project.enterprise_id,
        course_id=course_id,
    )
