"""What a signed-in trainee may see about themselves."""

from __future__ import annotations

from sqlalchemy import select

from backend.extensions import db
from backend.kernel.scope import trainee_query
from backend.models import Project, Trainee


def enrolled_projects(trainee: Trainee) -> list[Project]:
    """The trainee's projects, oldest first; only their own enterprise's, whatever the rows say."""
    query = trainee_query(select(Project), Project, trainee).order_by(
        Project.start_date, Project.id
    )
    return list(db.session.scalars(query))
