"""Who is signed in, and the CSRF token a JSON client sends back in ``X-CSRFToken``."""

from __future__ import annotations

from flask_wtf.csrf import generate_csrf

from backend.admin.api.blueprint import bp
from backend.admin.auth import admin_required, current_admin
from backend.api import ResponseModel, endpoint


class AdminSessionOut(ResponseModel):
    """The signed-in admin."""

    id: int
    username: str
    display_name: str
    role: str
    enterprise_id: int | None
    csrf_token: str


@bp.get("/me")
@admin_required()
@endpoint(summary="当前管理员", response=AdminSessionOut, auth=None)
def admin_me():
    admin = current_admin()
    return AdminSessionOut(
        id=admin.id,
        username=admin.username,
        display_name=admin.display_name,
        role=admin.role.value,
        enterprise_id=admin.enterprise_id,
        csrf_token=generate_csrf(),
    )
