"""Which projects a trainee may learn in: the one place the trainee side is scoped."""

from __future__ import annotations

from sqlalchemy import select

from backend.extensions import db
from backend.kernel.errors import NotFoundError
from backend.models import Enrolment, Project, Trainee


def enrolment_or_404(
    trainee: Trainee,
    project_id: int,
    *,
    lock: bool = False,
    message: str = "培训项目不存在或你未报名该项目",
) -> Enrolment:
    """The trainee's enrolment in a project of their own enterprise; anything else is 404."""
    query = (
        select(Enrolment)
        .join(Project, Project.id == Enrolment.project_id)
        .where(
            Enrolment.project_id == project_id,
            Enrolment.trainee_id == trainee.id,
            # A stray enrolment in another enterprise's project must not open its data.
            Project.enterprise_id == trainee.enterprise_id,
        )
    )
    if lock:
        # Serializes a trainee's attempt starts (and the like) in one project under double taps.
        query = query.with_for_update(of=Enrolment)
    enrolment = db.session.scalar(query)
    if enrolment is None:
        raise NotFoundError(message)
    return enrolment
