"""A closed project's certificates on its claim page: issue one by hand, re-issue, revoke."""

from __future__ import annotations

from flask import request

from backend.admin.auth import current_admin, require_permission
from backend.admin.pages.base import bp
from backend.admin.pages.claims import _act
from backend.caller import client_address
from backend.kernel.errors import DomainError
from backend.kernel.permissions import Permission
from backend.kernel.scope import get_scoped
from backend.models import Certificate, Project
from backend.services.certificates import issuing, reads


def _certificate(project_id: int, serial: str) -> Certificate:
    project = get_scoped(Project, project_id, current_admin())
    certificate = reads.by_serial(serial)
    if certificate is None or certificate.project_id != project.id:
        raise DomainError("not_found")
    return certificate


@bp.post("/projects/<id:project_id>/certificates/issue")
@require_permission(Permission.ISSUE_CERTIFICATE)
def certificate_issue(project_id: int):
    """Issue one trainee's certificate by hand, with a reason."""
    project = get_scoped(Project, project_id, current_admin())
    trainee_id = request.form.get("trainee_id", "")
    reason = request.form.get("reason", "")
    if not trainee_id.isdigit():
        raise DomainError("validation_error", "请选择学员")
    return _act(
        project_id,
        lambda admin: issuing.issue_one(
            project, int(trainee_id), reason, admin, client_address=client_address()
        ),
    )


@bp.post("/projects/<id:project_id>/certificates/<serial>/reissue")
@require_permission(Permission.ISSUE_CERTIFICATE)
def certificate_reissue(project_id: int, serial: str):
    """Re-issue after a correction: the old serial is revoked."""
    certificate = _certificate(project_id, serial)
    reason = request.form.get("reason", "")
    return _act(
        project_id,
        lambda admin: issuing.reissue(certificate, reason, admin, client_address=client_address()),
    )


@bp.post("/projects/<id:project_id>/certificates/<serial>/revoke")
@require_permission(Permission.REVOKE_CERTIFICATE)
def certificate_revoke(project_id: int, serial: str):
    """Revoke with a reason."""
    certificate = _certificate(project_id, serial)
    reason = request.form.get("reason", "")
    return _act(
        project_id,
        lambda admin: issuing.revoke(certificate, reason, admin, client_address=client_address()),
    )
