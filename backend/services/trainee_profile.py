"""What a signed-in trainee may see about themselves."""

from __future__ import annotations

from sqlalchemy import select

from backend.extensions import db
from backend.models import Enrolment, Project, Trainee


def enrolled_projects(trainee: Trainee) -> list[Project]:
    """The trainee's projects, oldest first; only their own enterprise's, whatever the rows say."""
    query = (
        select(Project)
        .join(Enrolment, Enrolment.project_id == Project.id)
        .where(Enrolment.trainee_id == trainee.id, Project.enterprise_id == trainee.enterprise_id)
        .order_by(Project.start_date, Project.id)
    )
    return list(db.session.scalars(query))
