"""Who may export and import what: every role against every export and the roster import."""

from __future__ import annotations

import io
import re

import pytest

from backend.models import Role
from tests import rosters

EXPORTS = [
    ("filing", "xlsx"),
    ("roster", "xlsx"),
    ("roster", "csv"),
    ("hours", "xlsx"),
    ("hours", "csv"),
    ("records", "xlsx"),
    ("records", "csv"),
]
# Export status by role for enterprise A's project; B's admin is told it does not exist.
EXPORT_STATUS = {"operator": 200, "hr_a": 200, "hr_b": 404, "reviewer": 200, "anonymous": 401}
IMPORT_STATUS = {"operator": 200, "hr_a": 200, "hr_b": 404, "reviewer": 403, "anonymous": 401}
ROLES = list(EXPORT_STATUS)


@pytest.fixture
def world(make):
    """Enterprise A with a project and a trainee, enterprise B, and one admin of each role."""
    a, b = make.enterprise(name="甲企业"), make.enterprise(name="乙企业")
    project = make.project(a)
    make.enrol(make.trainee(a), project)
    admins = {
        "operator": make.admin(Role.OPERATOR),
        "hr_a": make.admin(Role.ENTERPRISE_ADMIN, enterprise=a),
        "hr_b": make.admin(Role.ENTERPRISE_ADMIN, enterprise=b),
        "reviewer": make.admin(Role.REVIEWER),
    }
    make.session.commit()
    return project, admins


def _sign_in(role, admins, admin_login, client=None) -> str:
    if role == "anonymous":
        if client is None:
            return ""
        # A signed-out browser still has a CSRF token (from the sign-in page), so the refusal
        # below comes from the sign-in check, not from CSRF.
        page = client.get("/admin/login").get_data(as_text=True)
        return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return admin_login(admins[role])


@pytest.mark.parametrize("role", ROLES)
def test_api_exports_by_role(client, world, admin_login, role):
    project, admins = world
    _sign_in(role, admins, admin_login)
    for kind, fmt in EXPORTS:
        response = client.get(f"/api/admin/projects/{project.id}/exports/{kind}?format={fmt}")
        assert response.status_code == EXPORT_STATUS[role], (kind, fmt)
        if response.status_code == 200:
            assert response.headers["Content-Disposition"].startswith("attachment")
            assert response.headers["Cache-Control"] == "no-store"
            assert len(response.data) > 0
        else:
            assert response.is_json and "error" in response.get_json()
        response.close()  # as a WSGI server does: releases the streamed file


@pytest.mark.parametrize("role", ROLES)
def test_page_downloads_by_role(client, world, admin_login, role):
    project, admins = world
    _sign_in(role, admins, admin_login)
    expected = 302 if role == "anonymous" else EXPORT_STATUS[role]
    listing = client.get(f"/admin/projects/{project.id}/exports")
    assert listing.status_code == expected
    for kind, fmt in EXPORTS:
        response = client.get(f"/admin/projects/{project.id}/exports/{kind}.{fmt}")
        assert response.status_code == expected, (kind, fmt)
        if expected == 404:
            assert "请求的资源不存在" in response.get_data(as_text=True)
        response.close()


@pytest.mark.parametrize("role", ROLES)
def test_api_import_by_role(client, world, admin_login, role):
    project, admins = world
    csrf = _sign_in(role, admins, admin_login, client)
    response = client.post(
        f"/api/admin/projects/{project.id}/roster-imports",
        data={"file": (io.BytesIO(rosters.csv_bytes([rosters.person(1)])), "r.csv")},
        headers={"X-CSRFToken": csrf},
        content_type="multipart/form-data",
    )
    assert response.status_code == IMPORT_STATUS[role], response.get_json()


@pytest.mark.parametrize("role", ROLES)
def test_import_page_by_role(client, world, admin_login, role):
    project, admins = world
    _sign_in(role, admins, admin_login)
    expected = 302 if role == "anonymous" else IMPORT_STATUS[role]
    assert client.get(f"/admin/projects/{project.id}/roster/import").status_code == expected


def test_unknown_kind_and_format_are_404(client, world, admin_login):
    project, admins = world
    admin_login(admins["operator"])
    base = f"/api/admin/projects/{project.id}/exports"
    assert client.get(f"{base}/payroll").status_code == 404
    assert client.get(f"{base}/filing?format=csv").status_code == 404
    assert client.get(f"{base}/roster?format=pdf").status_code == 422
    assert client.get(f"/admin/projects/{project.id}/exports/roster.pdf").status_code == 404
    assert client.get("/api/admin/projects/999999/exports/roster").status_code == 404
