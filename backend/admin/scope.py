"""The admin views' names for the kernel's tenant-scoped loaders (backend/kernel/scope.py)."""

from __future__ import annotations

from backend.kernel.scope import get_scoped
from backend.models import AdminUser, Enterprise, Project, Trainee


def get_enterprise_or_404(enterprise_id: int, admin: AdminUser) -> Enterprise:
    """An enterprise the admin may see, else 404."""
    return get_scoped(Enterprise, enterprise_id, admin)


def get_project_or_404(project_id: int, admin: AdminUser) -> Project:
    """A project of an enterprise the admin may see, else 404."""
    return get_scoped(Project, project_id, admin)


def get_trainee_or_404(trainee_id: int, admin: AdminUser) -> Trainee:
    """A trainee of an enterprise the admin may see, else 404."""
    return get_scoped(Trainee, trainee_id, admin)
