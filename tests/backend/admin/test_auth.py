"""Admin sign-in, lockout, CSRF, security headers and tenant scoping."""

import re

import pytest
from sqlalchemy import select

from backend.admin.scope import get_project_or_404, get_trainee_or_404
from backend.errors import NotFound
from backend.models import AuditLog, Role


def _csrf(client) -> str:
    page = client.get("/admin/login").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_login_and_me(client, make, admin_login):
    admin = make.admin(Role.OPERATOR, display_name="运营甲")
    token = admin_login(admin)
    me = client.get("/api/admin/me").get_json()
    assert me["username"] == admin.username and me["role"] == "operator"
    assert token
    home = client.get("/admin/")
    assert home.status_code == 200 and "运营甲" in home.get_data(as_text=True)


def test_pages_redirect_and_api_401_when_signed_out(client):
    assert client.get("/admin/").status_code == 302
    response = client.get("/api/admin/me")
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


def test_wrong_password_then_lockout(client, make, app):
    admin = make.admin()
    make.session.commit()
    limit = app.config["LOGIN_LOCKOUT_ATTEMPTS"]
    for _ in range(limit):
        data = {"username": admin.username, "password": "wrong", "csrf_token": _csrf(client)}
        response = client.post("/admin/login", data=data)
        assert response.status_code == 401
        assert "用户名或密码不正确" in response.get_data(as_text=True)
    good = {"username": admin.username, "password": "correct-horse-battery"}
    response = client.post("/admin/login", data={**good, "csrf_token": _csrf(client)})
    assert response.status_code == 429
    assert "锁定" in response.get_data(as_text=True)
    failures = make.session.scalars(
        select(AuditLog).where(AuditLog.action == "admin.login_failed")
    ).all()
    assert len(failures) == limit


def test_login_without_csrf_token_is_refused(client, make):
    admin = make.admin()
    make.session.commit()
    data = {"username": admin.username, "password": "correct-horse-battery"}
    response = client.post("/admin/login", data=data)
    assert response.status_code == 400
    assert client.get("/api/admin/me").status_code == 401


def test_security_headers(client):
    response = client.get("/admin/login")
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_open_redirect_after_login_is_refused(client, make):
    admin = make.admin()
    make.session.commit()
    data = {
        "username": admin.username,
        "password": "correct-horse-battery",
        "csrf_token": _csrf(client),
    }
    response = client.post("/admin/login?next=//evil.example/admin", data=data)
    assert response.headers["Location"] == "/admin/"


def test_scoped_loaders_hide_other_enterprises(app, make):
    mine, theirs = make.enterprise(), make.enterprise()
    hr = make.admin(Role.ENTERPRISE_ADMIN, enterprise=mine)
    reviewer = make.admin(Role.REVIEWER)
    their_project = make.project(theirs)
    their_trainee = make.trainee(theirs)
    with pytest.raises(NotFound):
        get_project_or_404(their_project.id, hr)
    with pytest.raises(NotFound):
        get_trainee_or_404(their_trainee.id, hr)
    assert get_project_or_404(their_project.id, reviewer) is their_project
    assert get_project_or_404(make.project(mine).id, hr).enterprise_id == mine.id


def test_admin_session_cookie_is_short_lived_and_httponly(client, make, admin_login, app):
    admin_login(make.admin())
    cookie = client.get_cookie("session")
    assert cookie is not None and cookie.http_only
    lifetime = cookie.expires.timestamp() - __import__("time").time()
    assert 0 < lifetime <= app.config["PERMANENT_SESSION_LIFETIME"].total_seconds() + 5
    assert app.config["PERMANENT_SESSION_LIFETIME"].total_seconds() <= 12 * 3600
