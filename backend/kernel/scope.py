"""Tenant scope: the one loader for admins and the one for trainees.

Every model an admin can open says how it reaches its enterprise (``ENTERPRISE_PATHS``); every
model a trainee can open says how it reaches the trainee (``TRAINEE_PATHS``). Nothing else loads
an object by id for a caller. A model outside the tables cannot be loaded for anyone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, select, true
from sqlalchemy.orm import aliased

from backend.extensions import db
from backend.kernel.errors import DomainError, NotFoundError
from backend.models import (
    AdminUser,
    AttentionCheck,
    Certificate,
    Claim,
    Course,
    Enrolment,
    Enterprise,
    Evaluation,
    FaceCheck,
    LearningSession,
    Lesson,
    Project,
    ProjectCourse,
    Question,
    Quiz,
    QuizAttempt,
    SupportThread,
    Trainee,
)

M = TypeVar("M")
# Given a query over the model, join what leads to the enterprise and return that column.
Path = Callable[[Select], tuple[Select, Any]]


def _own(column) -> Path:
    return lambda query: (query, column)


def _via_project(project_fk) -> Path:
    return lambda query: (
        query.join(Project, Project.id == project_fk),
        Project.enterprise_id,
    )


def _via_trainee(trainee_fk) -> Path:
    return lambda query: (
        query.join(Trainee, Trainee.id == trainee_fk),
        Trainee.enterprise_id,
    )


ENTERPRISE_PATHS: dict[type, Path] = {
    Enterprise: _own(Enterprise.id),
    Project: _own(Project.enterprise_id),
    Trainee: _own(Trainee.enterprise_id),
    SupportThread: _own(SupportThread.enterprise_id),
    AdminUser: _own(AdminUser.enterprise_id),
    Enrolment: _via_project(Enrolment.project_id),
    Quiz: _via_project(Quiz.project_id),
    Evaluation: _via_project(Evaluation.project_id),
    LearningSession: _via_project(LearningSession.project_id),
    # Courses are an enterprise's library, shared by its projects.
    Course: _own(Course.enterprise_id),
    Claim: _via_project(Claim.project_id),
    Certificate: _via_project(Certificate.project_id),
    Lesson: lambda query: (
        query.join(Course, Course.id == Lesson.course_id),
        Course.enterprise_id,
    ),
    Question: lambda query: (
        query.join(Course, Course.id == Question.course_id),
        Course.enterprise_id,
    ),
    QuizAttempt: _via_trainee(QuizAttempt.trainee_id),
    AttentionCheck: _via_trainee(AttentionCheck.trainee_id),
}


def register_enterprise_path(model: type, path: Path) -> None:
    """Let a feature's model be loaded by admins (called beside the model's definition)."""
    ENTERPRISE_PATHS[model] = path


def visible_enterprises(actor: AdminUser, column) -> ColumnElement[bool]:
    """A WHERE clause limiting ``column`` (an enterprise id) to what ``actor`` may see."""
    if actor.enterprise_id is not None:
        return column == actor.enterprise_id
    cities = [c for c in (actor.cities or []) if c]
    if cities:
        # A reviewer bound to cities sees the enterprises registered there (projects/regions).
        in_city = aliased(Enterprise)
        return column.in_(select(in_city.id).where(in_city.city_code.in_(cities)))
    # Operators, and reviewers bound to no city (the whole province), see every enterprise.
    return true()


def scope_query(query: Select, model: type, actor: AdminUser) -> Select:
    """Restrict a query over ``model`` to the enterprises ``actor`` may see."""
    query, column = ENTERPRISE_PATHS[model](query)
    return query.where(visible_enterprises(actor, column))


def _locked(query: Select, model: type) -> Select:
    # Re-read under the lock: an object already in the session must show the locked row.
    return query.with_for_update(of=model).execution_options(populate_existing=True)


def get_scoped(
    model: type[M],
    object_id: int,
    actor: AdminUser,
    *,
    lock: bool = False,
    message: str | None = None,
) -> M:
    """The ``model`` row with ``object_id`` if ``actor`` may see it, else 404."""
    query = scope_query(select(model).where(model.id == object_id), model, actor)
    obj = db.session.scalar(_locked(query, model) if lock else query)
    if obj is None:
        raise NotFoundError(message)
    return obj


def project_roster(project: Project, *columns) -> Select:
    """A query over the trainees enrolled in ``project`` (Enrolment joined), only those of the
    project's own enterprise (``columns``: what to select, the Trainee by default)."""
    return (
        select(*(columns or (Trainee,)))
        .select_from(Trainee)
        .join(Enrolment, Enrolment.trainee_id == Trainee.id)
        .where(
            Enrolment.project_id == project.id,
            # A stray enrolment of another enterprise's trainee must not show them.
            Trainee.enterprise_id == project.enterprise_id,
        )
    )


# ---- the trainee side ------------------------------------------------------------------------

# Given a query over the model and the trainee, add what ties the row to the trainee.
TraineePath = Callable[[Select, Trainee], Select]


def enrolled_projects(trainee: Trainee) -> Select:
    """The ids of the projects of the trainee's own enterprise the trainee is enrolled in."""
    return (
        select(Enrolment.project_id)
        .join(Project, Project.id == Enrolment.project_id)
        .where(
            Enrolment.trainee_id == trainee.id,
            # A stray enrolment in another enterprise's project must not open its data.
            Project.enterprise_id == trainee.enterprise_id,
        )
    )


def _enrolled_in(project_column) -> TraineePath:
    return lambda query, trainee: query.where(project_column.in_(enrolled_projects(trainee)))


def _course_attached(course_column) -> TraineePath:
    """A course attached to a project the trainee is enrolled in."""
    return lambda query, trainee: query.where(
        course_column.in_(
            select(ProjectCourse.course_id).where(
                ProjectCourse.project_id.in_(enrolled_projects(trainee))
            )
        )
    )


def _owned_by(trainee_column) -> TraineePath:
    return lambda query, trainee: query.where(trainee_column == trainee.id)


TRAINEE_PATHS: dict[type, TraineePath] = {
    Project: _enrolled_in(Project.id),
    Quiz: _enrolled_in(Quiz.project_id),
    Course: _course_attached(Course.id),
    Lesson: _course_attached(Lesson.course_id),
    QuizAttempt: _owned_by(QuizAttempt.trainee_id),
    LearningSession: _owned_by(LearningSession.trainee_id),
    SupportThread: _owned_by(SupportThread.trainee_id),
    Evaluation: _owned_by(Evaluation.trainee_id),
    AttentionCheck: _owned_by(AttentionCheck.trainee_id),
    FaceCheck: _owned_by(FaceCheck.trainee_id),
}


def register_trainee_path(model: type, path: TraineePath) -> None:
    """Let a feature's model be loaded by trainees."""
    TRAINEE_PATHS[model] = path


def trainee_query(query: Select, model: type, trainee: Trainee) -> Select:
    """Restrict a query over ``model`` to what ``trainee`` may see."""
    return TRAINEE_PATHS[model](query, trainee)


def get_for_trainee(
    model: type[M],
    object_id: int,
    trainee: Trainee,
    *,
    lock: bool = False,
    message: str | None = None,
) -> M:
    """The ``model`` row with ``object_id`` if it belongs to ``trainee``'s learning, else 404."""
    query = trainee_query(select(model).where(model.id == object_id), model, trainee)
    obj = db.session.scalar(_locked(query, model) if lock else query)
    if obj is None:
        raise NotFoundError(message)
    return obj


def enrolment_for(
    trainee: Trainee,
    project_id: int,
    *,
    lock: bool = False,
    message: str | None = None,
    active: bool = False,
) -> Enrolment:
    """The trainee's enrolment in a project of their own enterprise, else 404; with ``active``,
    a withdrawn enrolment is refused too (409 ``enrolment_withdrawn``: no learning, no attempt)."""
    query = (
        select(Enrolment)
        .join(Project, Project.id == Enrolment.project_id)
        .where(
            Enrolment.project_id == project_id,
            Enrolment.trainee_id == trainee.id,
            Project.enterprise_id == trainee.enterprise_id,
        )
    )
    if lock:
        # Serializes a trainee's attempt starts (and the like) in one project under double taps.
        query = _locked(query, Enrolment)
    enrolment = db.session.scalar(query)
    if enrolment is None:
        raise NotFoundError(message or "培训项目不存在或你未报名该项目")
    if active and enrolment.withdrawn_at is not None:
        raise DomainError("enrolment_withdrawn")
    return enrolment
