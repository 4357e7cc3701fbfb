"""Enrolling people already on an enterprise's roster into a project, and withdrawing them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import exists, select

from backend import audit
from backend.clock import now
from backend.extensions import db
from backend.kernel import lifecycle
from backend.kernel.errors import DomainError, NotFoundError, register
from backend.kernel.lifecycle import Activity
from backend.models import (
    AdminUser,
    CreditedSpan,
    Enrolment,
    Evaluation,
    LearningSession,
    Project,
    Quiz,
    QuizAttempt,
    SessionStatus,
    Trainee,
)
from backend.services.learning import sessions
from backend.services.learning.live import epoch_s

register("trainee_erased", 409, "该学员的个人信息已删除，不能再报名培训项目")

MAX_BULK = 2000


@dataclass(frozen=True)
class Enrolled:
    """The outcome of a bulk enrolment."""

    enrolled: int
    already: int
    trainee_ids: list[int]


def enrol(
    actor: AdminUser, project: Project, trainee_ids: list[int], *, client_address: str
) -> Enrolled:
    """Enrol trainees of the project's enterprise; anyone else's trainee is a 404."""
    lifecycle.ensure(project, Activity.IMPORT_ROSTER)
    wanted = list(dict.fromkeys(trainee_ids))
    trainees = db.session.scalars(
        select(Trainee).where(
            Trainee.id.in_(wanted), Trainee.enterprise_id == project.enterprise_id
        )
    ).all()
    if len(trainees) != len(wanted):
        # Never says which id: another enterprise's trainee must look like no trainee at all.
        raise NotFoundError("学员不存在")
    if any(t.erased_at is not None for t in trainees):
        raise DomainError("trainee_erased")
    # Serialize enrolments into one project so a double submit cannot race the unique key.
    db.session.execute(select(Project.id).where(Project.id == project.id).with_for_update())
    current = {
        e.trainee_id: e
        for e in db.session.scalars(
            select(Enrolment).where(
                Enrolment.project_id == project.id, Enrolment.trainee_id.in_(wanted)
            )
        )
    }
    added: list[int] = []
    for trainee_id in wanted:
        enrolment = current.get(trainee_id)
        if enrolment is None:
            db.session.add(Enrolment(project_id=project.id, trainee_id=trainee_id))
            added.append(trainee_id)
        elif enrolment.withdrawn_at is not None:
            enrolment.withdrawn_at = None  # back in the project, with the figures they kept
            added.append(trainee_id)
    db.session.flush()
    audit.record(
        "enrolment.enrol",
        audit.admin(actor, client_address),
        object_type="project",
        object_id=project.id,
        enterprise_id=project.enterprise_id,
        trainee_ids=added,
        already=len(wanted) - len(added),
    )
    return Enrolled(enrolled=len(added), already=len(wanted) - len(added), trainee_ids=added)


def has_records(project_id: int, trainee_id: int) -> bool:
    """Whether the trainee left anything in the project: credit, a session, an attempt, a rating."""
    checks = (
        select(CreditedSpan.id).where(
            CreditedSpan.project_id == project_id, CreditedSpan.trainee_id == trainee_id
        ),
        select(LearningSession.id).where(
            LearningSession.project_id == project_id, LearningSession.trainee_id == trainee_id
        ),
        select(QuizAttempt.id)
        .join(Quiz, Quiz.id == QuizAttempt.quiz_id)
        .where(Quiz.project_id == project_id, QuizAttempt.trainee_id == trainee_id),
        select(Evaluation.id).where(
            Evaluation.project_id == project_id, Evaluation.trainee_id == trainee_id
        ),
    )
    return any(db.session.scalar(select(exists(q))) for q in checks)


def withdraw(actor: AdminUser, project: Project, trainee: Trainee, *, client_address: str) -> str:
    """Take a trainee out of a project: ``removed`` without records, else ``withdrawn``."""
    lifecycle.ensure(project, Activity.IMPORT_ROSTER)
    enrolment = db.session.scalar(
        select(Enrolment)
        .where(Enrolment.project_id == project.id, Enrolment.trainee_id == trainee.id)
        .with_for_update()
    )
    if enrolment is None:
        raise NotFoundError("该学员未报名此培训项目")
    if enrolment.withdrawn_at is not None:
        return "withdrawn"
    sessions.close_open_sessions(
        SessionStatus.SUPERSEDED, epoch_s(now()), trainee_id=trainee.id, project_id=project.id
    )
    if has_records(project.id, trainee.id):
        enrolment.withdrawn_at = now()
        outcome = "withdrawn"
    else:
        db.session.delete(enrolment)
        outcome = "removed"
    audit.record(
        f"enrolment.{outcome}",
        audit.admin(actor, client_address),
        object_type="trainee",
        object_id=trainee.id,
        enterprise_id=project.enterprise_id,
        project_id=project.id,
    )
    return outcome


def enrol_targets(project: Project) -> list[Project]:
    """The enterprise's other projects that still take enrolments (for the bulk action)."""
    return list(
        db.session.scalars(
            select(Project)
            .where(
                Project.enterprise_id == project.enterprise_id,
                Project.id != project.id,
                Project.status.in_(lifecycle.statuses_allowing(Activity.IMPORT_ROSTER)),
            )
            .order_by(Project.id.desc())
        )
    )


def withdrawn(trainee_id: int, project_id: int) -> bool:
    """Whether the trainee has withdrawn from the project (已退出)."""
    return (
        db.session.scalar(
            select(Enrolment.withdrawn_at).where(
                Enrolment.trainee_id == trainee_id, Enrolment.project_id == project_id
            )
        )
        is not None
    )
