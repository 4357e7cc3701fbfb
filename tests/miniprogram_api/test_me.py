"""The trainee's own profile; bearer auth on every route; no trainee sees another enterprise."""

from datetime import date

import pytest

from backend.models import Enrolment
from tests.signin import bearer, sign_in

# The routes that must work without a token; every other /api/v1 route requires one.
PUBLIC = {
    "/api/v1/auth/wx-login",
    "/api/v1/auth/bind",
    "/api/v1/openapi.json",
    "/api/v1/privacy-notice",
    # Scan sign-in on a computer: the page has no token yet (the ticket is its secret).
    "/api/v1/auth/web-login-tickets",
    "/api/v1/auth/web-login-tickets/<ticket>",
    "/api/v1/auth/web-login-tickets/<ticket>/code.png",
}


def test_me_shows_masked_profile_enterprise_and_projects(client, make, wechat_simulator):
    enterprise = make.enterprise(name="甲企业")
    later = make.project(enterprise, name="后开的项目", start_date=date(2026, 5, 1))
    earlier = make.project(enterprise, name="先开的项目", start_date=date(2026, 3, 1))
    make.project(enterprise, name="没报名的项目")
    trainee = make.trainee(
        enterprise,
        name="李娜",
        account="lina",
        mobile="13800138003",
        id_number="440106198811200042",
    )
    make.enrol(trainee, later)
    make.enrol(trainee, earlier)
    make.session.commit()
    token = sign_in(client, wechat_simulator, trainee, "13800138003")

    response = client.get("/api/v1/me", headers=bearer(token))
    assert response.status_code == 200
    body = response.get_json()
    assert body["trainee"]["name"] == "李娜" and body["trainee"]["account"] == "lina"
    assert body["trainee"]["mobile_masked"] == "138****8003"
    assert body["trainee"]["id_number_masked"] == "440106********0042"
    assert body["trainee"]["wx_bound_at"] is not None
    text = response.get_data(as_text=True)
    assert "13800138003" not in text and "440106198811200042" not in text
    assert body["enterprise"] == {"id": enterprise.id, "name": "甲企业"}
    assert [p["name"] for p in body["projects"]] == ["先开的项目", "后开的项目"]


def test_trainee_of_a_never_sees_enterprise_b(client, make, wechat_simulator):
    company_a, company_b = make.enterprise(name="甲企业"), make.enterprise(name="乙企业")
    project_a, project_b = make.project(company_a), make.project(company_b, name="乙的项目")
    alice = make.trainee(company_a, account="alice", mobile="13800138010")
    bob = make.trainee(company_b, account="bob", mobile="13800138011")
    make.enrol(alice, project_a)
    make.enrol(bob, project_b)
    # A stray enrolment across enterprises (a bad import, say) must not leak B's project.
    make.session.add(Enrolment(trainee=alice, project=project_b))
    make.session.commit()

    token = sign_in(client, wechat_simulator, alice, "13800138010")
    body = client.get("/api/v1/me", headers=bearer(token)).get_json()
    assert body["enterprise"]["id"] == company_a.id
    assert [p["id"] for p in body["projects"]] == [project_a.id]
    text = str(body)
    assert "乙企业" not in text and "乙的项目" not in text and "bob" not in text


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer "}, {"Authorization": "Basic abc"}, bearer("made-up")],
)
def test_me_needs_a_valid_token(client, headers):
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_logout_needs_a_token(client):
    assert client.post("/api/v1/auth/logout").status_code == 401


def test_every_other_api_route_requires_a_token(app, client):
    checked = 0
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1") or rule.rule in PUBLIC:
            continue
        path = rule.rule
        for name in rule.arguments:
            path = path.replace(f"<id:{name}>", "1").replace(f"<{name}>", "x")
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
            response = client.open(path, method=method, json={})
            assert response.status_code == 401, (method, rule.rule, response.status_code)
            checked += 1
    assert checked >= 2  # /me and /auth/logout at least
