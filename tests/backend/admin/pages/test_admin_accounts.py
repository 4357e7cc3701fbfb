"""Admin accounts in the web: create with a one-time password, disable, reset, change one's own."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from backend.models import AdminUser, AuditLog, Role
from tests.factories import ADMIN_PASSWORD

STRONG = "violet-harbour-tractor-92"


def sign_in(client, username: str, password: str):
    """Sign in on ``client``; returns the response of the POST."""
    page = client.get("/admin/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return client.post(
        "/admin/login", data={"username": username, "password": password, "csrf_token": token}
    )


def csrf_of(client, path: str) -> str:
    """The CSRF token of a page's form."""
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text).group(1)


@pytest.fixture
def operator(make, client, admin_login):
    admin = make.admin(Role.OPERATOR, username="ops")
    make.session.commit()
    return admin, admin_login(admin)


def _temporary_password(client, response) -> str:
    assert response.status_code == 302, response.text
    page = client.get(response.headers["Location"])
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    password = re.search(r'id="temporary-password">([^<]+)<', page.text).group(1)
    # POST-redirect-GET: reloading shows it no more and issues nothing new.
    again = client.get(response.headers["Location"])
    assert again.status_code == 410 and password not in again.text
    return password


def test_operator_creates_an_enterprise_admin_who_must_change_the_password(
    app, client, make, operator
):
    _ops, csrf = operator
    company = make.enterprise(name="乙企业")
    make.session.commit()
    form = client.get("/admin/admins/new")
    assert form.status_code == 200 and "乙企业" in form.text
    created = client.post(
        "/admin/admins/new",
        data={
            "csrf_token": csrf,
            "username": "hr.yi",
            "display_name": "人事小李",
            "role": "enterprise_admin",
            "enterprise_id": str(company.id),
        },
    )
    password = _temporary_password(client, created)
    admin = make.session.scalars(select(AdminUser).where(AdminUser.username == "hr.yi")).one()
    assert admin.enterprise_id == company.id and admin.must_change_password
    [entry] = make.session.scalars(select(AuditLog).where(AuditLog.action == "admin.created"))
    assert password not in str(entry.detail)
    taken = client.post(
        "/admin/admins/new",
        data={"csrf_token": csrf, "username": "hr.yi", "role": "reviewer", "enterprise_id": ""},
    )
    assert taken.status_code == 422 and "该用户名已被使用" in taken.text

    other = app.test_client()
    assert sign_in(other, "hr.yi", password).status_code == 302
    # Until the password is changed, every page leads to the change form.
    gated = other.get("/admin/projects")
    assert gated.status_code == 302 and gated.headers["Location"].endswith(
        "/admin/account/password"
    )
    assert other.get("/api/admin/me").status_code in (200, 403)
    own_csrf = csrf_of(other, "/admin/account/password")
    weak = other.post(
        "/admin/account/password",
        data={
            "csrf_token": own_csrf,
            "current": password,
            "new": "password123",
            "repeat": "password123",
        },
    )
    assert weak.status_code == 422 and "密码太容易被猜到" in weak.text
    done = other.post(
        "/admin/account/password",
        data={"csrf_token": own_csrf, "current": password, "new": STRONG, "repeat": STRONG},
    )
    assert done.status_code == 302
    assert other.get("/admin/projects").status_code == 200
    make.session.expire_all()
    assert not make.session.get(AdminUser, admin.id).must_change_password


def test_disabling_an_admin_ends_their_sessions_at_once(app, client, make, operator):
    _ops, csrf = operator
    reviewer = make.admin(Role.REVIEWER, username="rev1")
    make.session.commit()
    theirs = app.test_client()
    assert sign_in(theirs, "rev1", ADMIN_PASSWORD).status_code == 302
    assert theirs.get("/admin/projects").status_code == 200

    assert (
        client.post(f"/admin/admins/{reviewer.id}/disable", data={"csrf_token": csrf}).status_code
        == 302
    )
    assert theirs.get("/admin/projects").status_code == 302  # back to the sign-in page
    assert sign_in(theirs, "rev1", ADMIN_PASSWORD).status_code == 401
    assert "已停用" in client.get("/admin/admins").text
    client.post(f"/admin/admins/{reviewer.id}/enable", data={"csrf_token": csrf})
    assert sign_in(theirs, "rev1", ADMIN_PASSWORD).status_code == 302
    actions = make.session.scalars(select(AuditLog.action).where(AuditLog.object_id == reviewer.id))
    assert {"admin.disabled", "admin.enabled"} <= set(actions)


def test_reset_password_ends_sessions_and_the_old_password(app, client, make, operator):
    _ops, csrf = operator
    hr = make.admin(Role.ENTERPRISE_ADMIN, enterprise=make.enterprise(), username="hr2")
    make.session.commit()
    theirs = app.test_client()
    sign_in(theirs, "hr2", ADMIN_PASSWORD)
    reset = client.post(f"/admin/admins/{hr.id}/reset-password", data={"csrf_token": csrf})
    password = _temporary_password(client, reset)
    assert theirs.get("/admin/projects").status_code == 302
    assert sign_in(theirs, "hr2", ADMIN_PASSWORD).status_code == 401
    assert sign_in(theirs, "hr2", password).status_code == 302
    assert theirs.get("/admin/projects").headers["Location"].endswith("/admin/account/password")


def test_everyone_changes_their_own_password_and_only_operators_manage_accounts(
    client, make, admin_login
):
    hr = make.admin(Role.ENTERPRISE_ADMIN, enterprise=make.enterprise())
    make.session.commit()
    admin_login(hr)
    assert client.get("/admin/admins").status_code == 403
    assert client.post(f"/admin/admins/{hr.id}/disable", data={}).status_code in (400, 403)
    csrf = csrf_of(client, "/admin/account/password")
    wrong = client.post(
        "/admin/account/password",
        data={"csrf_token": csrf, "current": "nope", "new": STRONG, "repeat": STRONG},
    )
    assert wrong.status_code == 422 and "当前密码不正确" in wrong.text
    mismatch = client.post(
        "/admin/account/password",
        data={"csrf_token": csrf, "current": ADMIN_PASSWORD, "new": STRONG, "repeat": "x"},
    )
    assert mismatch.status_code == 422 and "两次输入的新密码不一致" in mismatch.text
    ok = client.post(
        "/admin/account/password",
        data={"csrf_token": csrf, "current": ADMIN_PASSWORD, "new": STRONG, "repeat": STRONG},
    )
    assert ok.status_code == 302
    assert client.get("/admin/projects").status_code == 200  # this session stays


def test_an_operator_cannot_disable_themself(client, operator):
    ops, csrf = operator
    response = client.post(f"/admin/admins/{ops.id}/disable", data={"csrf_token": csrf})
    assert response.status_code == 409
