"""Admin sign-in, lockout, sessions, CSRF, security headers and tenant scoping."""

import re
import time

import pytest
from sqlalchemy import select

from backend.admin.scope import get_project_or_404, get_trainee_or_404
from backend.errors import NotFound
from backend.models import AuditLog, Role
from tests.factories import ADMIN_PASSWORD


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


def _sign_in(client, username: str, password: str, ip: str = "127.0.0.1"):
    data = {"username": username, "password": password, "csrf_token": _csrf(client)}
    return client.post("/admin/login", data=data, environ_base={"REMOTE_ADDR": ip})


def test_wrong_password_then_lockout(client, make, app):
    admin = make.admin()
    make.session.commit()
    limit = app.config["LOGIN_LOCKOUT_ATTEMPTS"]
    for _ in range(limit):
        response = _sign_in(client, admin.username, "wrong", "203.0.113.7")
        assert response.status_code == 401
        assert "用户名或密码不正确" in response.get_data(as_text=True)
    response = _sign_in(client, admin.username, ADMIN_PASSWORD, "203.0.113.7")
    assert response.status_code == 429
    assert "登录失败次数过多，账号已临时锁定，请稍后再试" in response.get_data(as_text=True)
    failures = make.session.scalars(
        select(AuditLog).where(AuditLog.action == "admin.login_failed")
    ).all()
    assert len(failures) == limit
    assert {entry.ip for entry in failures} == {"203.0.113.7"}


def test_a_locked_address_does_not_lock_the_owner_elsewhere(client, make, app):
    admin = make.admin()
    make.session.commit()
    for _ in range(app.config["LOGIN_LOCKOUT_ATTEMPTS"]):
        assert _sign_in(client, admin.username, "wrong", "203.0.113.7").status_code == 401
    assert _sign_in(client, admin.username, ADMIN_PASSWORD, "198.51.100.2").status_code == 302
    assert client.get("/api/admin/me").get_json()["username"] == admin.username
    # The attacker's address stays locked, even with the right password.
    assert _sign_in(client, admin.username, ADMIN_PASSWORD, "203.0.113.7").status_code == 429


def test_the_per_username_ceiling_locks_every_address(client, make, app):
    app.config.update(LOGIN_LOCKOUT_ATTEMPTS=2, LOGIN_LOCKOUT_USER_ATTEMPTS=5)
    admin = make.admin()
    make.session.commit()
    for ip in ("203.0.113.1", "203.0.113.1", "203.0.113.2", "203.0.113.2"):
        assert _sign_in(client, admin.username, "wrong", ip).status_code == 401
    # Four failures in all: below the ceiling, the owner still gets in from a fresh address.
    assert _sign_in(client, admin.username, ADMIN_PASSWORD, "198.51.100.2").status_code == 302
    assert _sign_in(client, admin.username, "wrong", "203.0.113.3").status_code == 401
    for ip in ("198.51.100.2", "192.0.2.9"):
        response = _sign_in(client, admin.username, ADMIN_PASSWORD, ip)
        assert response.status_code == 429
        assert "账号已临时锁定" in response.get_data(as_text=True)
    # Other usernames are untouched.
    other = make.admin()
    make.session.commit()
    assert _sign_in(client, other.username, ADMIN_PASSWORD, "203.0.113.1").status_code == 302


def test_lockout_ends_after_the_window(client, make, app, redis_client):
    app.config.update(LOGIN_LOCKOUT_ATTEMPTS=1, LOGIN_LOCKOUT_S=1)
    admin = make.admin()
    make.session.commit()
    assert _sign_in(client, admin.username, "wrong").status_code == 401
    assert _sign_in(client, admin.username, ADMIN_PASSWORD).status_code == 429
    # Redis expires both counts; deleting them stands in for the 15 minutes of production.
    prefix = app.config["REDIS_PREFIX"]
    # One SCAN call, not hundreds: a 1 s expiry must not pass while the server is searched.
    keys = list(redis_client.scan_iter(match=prefix + "admin-login-fail*", count=100_000))
    assert len(keys) == 2 and all(0 < redis_client.pttl(key) <= 1000 for key in keys)
    redis_client.delete(*keys)
    assert _sign_in(client, admin.username, ADMIN_PASSWORD).status_code == 302


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


def _copy_of_cookie(app, client):
    """Another browser holding a copy of ``client``'s session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def test_a_cookie_copied_before_logout_is_refused_after_it(app, client, make, admin_login):
    admin = make.admin()
    make.session.commit()
    token = admin_login(admin)
    thief = _copy_of_cookie(app, client)
    assert thief.get("/api/admin/me").get_json()["username"] == admin.username
    assert client.post("/admin/logout", data={"csrf_token": token}).status_code == 302
    page = thief.get("/admin/projects")
    assert page.status_code == 302 and page.headers["Location"].startswith("/admin/login")
    api = thief.get("/api/admin/me")
    assert api.status_code == 401 and api.get_json()["error"]["code"] == "unauthorized"
    # Signing in again opens a new session; the copy of the old one stays dead.
    admin_login(admin)
    assert client.get("/api/admin/me").status_code == 200
    assert thief.get("/api/admin/me").status_code == 401


def _session_keys(app, redis_client) -> list[str]:
    return list(redis_client.scan_iter(match=app.config["REDIS_PREFIX"] + "admin-sess:*"))


def test_each_sign_in_has_its_own_session(app, client, make, admin_login, redis_client):
    admin = make.admin()
    make.session.commit()
    token = admin_login(admin)
    other_browser = app.test_client()
    assert _sign_in(other_browser, admin.username, ADMIN_PASSWORD).status_code == 302
    lifetime = app.config["PERMANENT_SESSION_LIFETIME"].total_seconds()
    keys = _session_keys(app, redis_client)
    assert len(keys) == 2 and all(0 < redis_client.ttl(key) <= lifetime for key in keys)
    # Signing in again in the same browser replaces that browser's session.
    stale = _copy_of_cookie(app, other_browser)
    assert _sign_in(other_browser, admin.username, ADMIN_PASSWORD).status_code == 302
    assert len(_session_keys(app, redis_client)) == 2
    assert stale.get("/api/admin/me").status_code == 401
    assert other_browser.get("/api/admin/me").status_code == 200
    # Signing out in one browser leaves the other signed in.
    client.post("/admin/logout", data={"csrf_token": token})
    assert client.get("/api/admin/me").status_code == 401
    assert other_browser.get("/api/admin/me").status_code == 200


def test_using_a_session_keeps_it_open(app, client, make, admin_login, redis_client):
    admin_login(make.admin())
    [key] = _session_keys(app, redis_client)
    redis_client.expire(key, 60)
    assert client.get("/admin/projects").status_code == 200
    lifetime = app.config["PERMANENT_SESSION_LIFETIME"].total_seconds()
    assert lifetime - 5 <= redis_client.ttl(key) <= lifetime
    cookie = client.get_cookie("session")
    assert cookie.expires.timestamp() - time.time() > lifetime - 5


def test_a_session_id_counts_only_for_its_own_admin(app, client, make, admin_login):
    mine, theirs = make.admin(), make.admin()
    make.session.commit()
    admin_login(mine)
    cookie = client.get_cookie("session")
    serializer = app.session_interface.get_signing_serializer(app)
    session_id = serializer.loads(cookie.value)["admin_sid"]
    # Even a validly signed cookie (a leaked SECRET_KEY) cannot pair that id with another admin.
    forged = serializer.dumps({"admin_id": theirs.id, "admin_sid": session_id})
    other = app.test_client()
    other.set_cookie("session", forged)
    assert other.get("/api/admin/me").status_code == 401
    assert client.get("/api/admin/me").get_json()["username"] == mine.username


@pytest.mark.parametrize(("hops", "recorded"), [(0, "10.0.0.2"), (1, "203.0.113.50")])
def test_the_client_address_comes_from_trusted_proxies_only(app_factory, make, hops, recorded):
    """Behind TRUSTED_PROXY_HOPS proxies the audit log and the lockout see the real client;
    without it a forged X-Forwarded-For is ignored."""
    app = app_factory(TRUSTED_PROXY_HOPS=hops)
    client = app.test_client()
    admin = make.admin()
    make.session.commit()
    with app.app_context():
        data = {"username": admin.username, "password": "wrong", "csrf_token": _csrf(client)}
        response = client.post(
            "/admin/login",
            data=data,
            headers={"X-Forwarded-For": "203.0.113.50"},
            environ_base={"REMOTE_ADDR": "10.0.0.2"},
        )
    assert response.status_code == 401
    entry = make.session.scalars(
        select(AuditLog).where(AuditLog.action == "admin.login_failed")
    ).one()
    assert entry.ip == recorded
