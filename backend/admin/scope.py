"""What an admin may see: every admin query goes through these tenant-scoped loaders."""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, select

from backend.errors import NotFound
from backend.extensions import db
from backend.kernel.scope import visible_enterprises
from backend.models import AdminUser, Enterprise, Project, Trainee


def enterprise_condition(admin: AdminUser, column) -> ColumnElement[bool]:
    """A WHERE clause limiting ``column`` (an enterprise id) to what ``admin`` may see."""
    return visible_enterprises(admin, column)


def scoped(query: Select, admin: AdminUser, column) -> Select:
    """Restrict a query to the admin's enterprises."""
    return query.where(enterprise_condition(admin, column))


def _one_or_404(query: Select):
    obj = db.session.scalar(query)
    if obj is None:
        raise NotFound()
    return obj


def get_enterprise_or_404(enterprise_id: int, admin: AdminUser) -> Enterprise:
    """An enterprise the admin may see, else 404."""
    query = select(Enterprise).where(Enterprise.id == enterprise_id)
    return _one_or_404(scoped(query, admin, Enterprise.id))


def get_project_or_404(project_id: int, admin: AdminUser) -> Project:
    """A project of an enterprise the admin may see, else 404."""
    query = select(Project).where(Project.id == project_id)
    return _one_or_404(scoped(query, admin, Project.enterprise_id))


def get_trainee_or_404(trainee_id: int, admin: AdminUser) -> Trainee:
    """A trainee of an enterprise the admin may see, else 404."""
    query = select(Trainee).where(Trainee.id == trainee_id)
    return _one_or_404(scoped(query, admin, Trainee.enterprise_id))
