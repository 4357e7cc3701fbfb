"""What a project teaches: its attached courses and their live lessons, in the project's order."""

from __future__ import annotations

import sqlalchemy as sa

from backend.extensions import db
from backend.kernel.errors import NotFoundError
from backend.kernel.lifecycle import Activity, allows
from backend.kernel.scope import enrolled_projects
from backend.models import Course, Lesson, Project, ProjectCourse, Trainee


def course_ids(project_id: int) -> list[int]:
    """The ids of the courses attached to a project, in its order."""
    return list(
        db.session.scalars(
            sa.select(ProjectCourse.course_id)
            .where(ProjectCourse.project_id == project_id)
            .order_by(ProjectCourse.position, ProjectCourse.course_id)
        )
    )


def project_lesson_rows(project_id: int) -> list[tuple[Lesson, Course]]:
    """The lessons trainees can open in a project with their course, in course then lesson order."""
    return [
        (lesson, course)
        for lesson, course in db.session.execute(
            sa.select(Lesson, Course)
            .join(Course, Course.id == Lesson.course_id)
            .join(ProjectCourse, ProjectCourse.course_id == Course.id)
            .where(ProjectCourse.project_id == project_id, Lesson.retired.is_(False))
            .order_by(ProjectCourse.position, Course.id, Lesson.position, Lesson.id)
        ).all()
    ]


def lesson_for_trainee(
    trainee: Trainee, lesson_id: int, project_id: int | None, *, message: str
) -> tuple[Lesson, Project]:
    """A live lesson and the trainee's project that teaches it, else 404.

    A course may be attached to several projects the trainee is enrolled in: ``project_id``
    chooses; without it, a project open for learning wins, then the latest to start.
    """
    query = (
        sa.select(Lesson, Project)
        .join(ProjectCourse, ProjectCourse.course_id == Lesson.course_id)
        .join(Project, Project.id == ProjectCourse.project_id)
        .where(
            Lesson.id == lesson_id,
            Lesson.retired.is_(False),
            Project.id.in_(enrolled_projects(trainee)),
        )
        .order_by(Project.start_date.desc(), Project.id.desc())
    )
    if project_id is not None:
        query = query.where(Project.id == project_id)
    rows = db.session.execute(query).all()
    if not rows:
        raise NotFoundError(message)
    open_rows = [row for row in rows if allows(row[1], Activity.LEARN)]
    lesson, project = (open_rows or rows)[0]
    return lesson, project
