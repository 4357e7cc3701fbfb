"""Every page and action against every role: allowed, refused (403), hidden (404), signed out."""

from __future__ import annotations

import pytest

from tests.backend.admin.pages import world as w

OK, FOUND = 200, 302
ALL = {"operator": OK, "hr_a": OK, "hr_b": OK, "reviewer": OK, "anon": FOUND}
SCOPED = {"operator": OK, "hr_a": OK, "hr_b": 404, "reviewer": OK, "anon": FOUND}
MANAGE = {"operator": OK, "hr_a": OK, "hr_b": OK, "reviewer": 403, "anon": FOUND}
MANAGE_SCOPED = {"operator": OK, "hr_a": OK, "hr_b": 404, "reviewer": 403, "anon": FOUND}
OPERATOR = {"operator": OK, "hr_a": 403, "hr_b": 403, "reviewer": 403, "anon": FOUND}
REVIEWER = {"operator": 403, "hr_a": 403, "hr_b": 403, "reviewer": OK, "anon": FOUND}
ENTERPRISE_EDIT = {"operator": OK, "hr_a": OK, "hr_b": 404, "reviewer": 403, "anon": FOUND}


def _redirects(expected: dict) -> dict:
    return {role: FOUND if status == OK else status for role, status in expected.items()}


PAGES = {
    "home": ("/admin/", ALL),
    "projects": ("/admin/projects", ALL),
    "project_new": ("/admin/projects/new", MANAGE),
    "project_edit": ("/admin/projects/{draft}/edit", MANAGE_SCOPED),
    "dashboard": ("/admin/projects/{project}", SCOPED),
    "filing": ("/admin/projects/{project}/filing", SCOPED),
    "trainees": ("/admin/projects/{project}/trainees", SCOPED),
    "trainee": ("/admin/trainees/{trainee}", SCOPED),
    "enterprises": ("/admin/enterprises", OPERATOR),
    "enterprise_new": ("/admin/enterprises/new", OPERATOR),
    "enterprise_edit": ("/admin/enterprises/{a}/edit", ENTERPRISE_EDIT),
    "review_queue": ("/admin/review", REVIEWER),
    "review": ("/admin/review/{filed}", REVIEWER),
    "audit": ("/admin/audit", OPERATOR),
    "charts_api": (
        "/api/admin/projects/{project}/charts",
        {**SCOPED, "anon": 401},
    ),
}

ACTIONS = {
    "reveal_id": ("/admin/trainees/{trainee}/reveal-id", {}, MANAGE_SCOPED),
    "activation_code": (
        "/admin/trainees/{unbound}/activation-code",
        {},
        _redirects(MANAGE_SCOPED),
    ),
    "unbind": ("/admin/trainees/{trainee}/unbind", {}, _redirects(MANAGE_SCOPED)),
    "submit": ("/admin/projects/{draft}/submit", {}, _redirects(MANAGE_SCOPED)),
    "review": ("/admin/review/{filed}", {"decision": "approved"}, _redirects(REVIEWER)),
    "edit": ("/admin/projects/{draft}/edit", {"name": ""}, {**MANAGE_SCOPED, "operator": 422}),
}


def _url(template: str, world: w.World) -> str:
    return template.format(
        a=world.a.id,
        project=world.project.id,
        draft=world.draft.id,
        filed=world.filed.id,
        trainee=world.trainee.id,
        unbound=world.unbound.id,
    )


@pytest.mark.parametrize("role", w.ROLES)
@pytest.mark.parametrize("page", PAGES)
def test_page_access(page, role, client, make, admin_login):
    world = w.build(make)
    w.sign_in(role, world, make, admin_login, client)
    template, expected = PAGES[page]
    response = client.get(_url(template, world))
    assert response.status_code == expected[role], response.get_data(as_text=True)[:500]
    if expected[role] == FOUND:
        assert "/admin/login" in response.headers["Location"]


@pytest.mark.parametrize("role", w.ROLES)
@pytest.mark.parametrize("action", ACTIONS)
def test_action_access(action, role, client, make, admin_login):
    world = w.build(make)
    token = w.sign_in(role, world, make, admin_login, client)
    template, data, expected = ACTIONS[action]
    if action == "edit" and role == "hr_a":
        expected = {**expected, "hr_a": 422}
    response = client.post(_url(template, world), data={**data, "csrf_token": token})
    assert response.status_code == expected[role], response.get_data(as_text=True)[:500]


@pytest.mark.parametrize("role", ["operator", "hr_a", "reviewer"])
def test_buttons_follow_the_role(role, client, make, admin_login):
    world = w.build(make)
    w.sign_in(role, world, make, admin_login, client)
    projects = client.get("/admin/projects").get_data(as_text=True)
    trainee = client.get(f"/admin/trainees/{world.trainee.id}").get_data(as_text=True)
    manager = role != "reviewer"
    assert (f"/admin/projects/{world.draft.id}/submit" in projects) is manager
    assert (f"/admin/projects/{world.draft.id}/edit" in projects) is manager
    assert ("新建项目" in projects) is manager
    assert (f"/admin/review/{world.filed.id}" in projects) is not manager
    for action in ("reveal-id", "unbind"):
        assert (f"/admin/trainees/{world.trainee.id}/{action}" in trainee) is manager


def test_refusals_are_readable_pages(client, make, admin_login):
    world = w.build(make)
    w.sign_in("hr_b", world, make, admin_login, client)
    response = client.get(f"/admin/projects/{world.project.id}")
    page = response.get_data(as_text=True)
    assert response.status_code == 404 and "请求的资源不存在" in page and 'href="/admin/"' in page
    assert "甲公司" not in page
