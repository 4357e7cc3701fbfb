"""Admin pages refuse text no database can hold (NUL) with a readable 400, never a 500."""

from __future__ import annotations

import re

import pytest

from tests.backend.admin.pages import world as w


def _token(client, url: str) -> str:
    page = client.get(url).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_sign_in_with_a_nul_in_the_username_is_a_400(client):
    data = {"username": "a\x00b", "password": "x", "csrf_token": _token(client, "/admin/login")}
    response = client.post("/admin/login", data=data)
    assert response.status_code == 400
    assert "无法保存的字符" in response.get_data(as_text=True)


@pytest.mark.parametrize("field", ["credit_code", "override_reason"])
def test_enterprise_form_with_a_nul_is_a_400(field, client, make, admin_login):
    world = w.build(make)
    w.sign_in("operator", world, make, admin_login, client)
    data = {"name": "丙公司", "credit_code": "914403001922038216"}  # valid: only the NUL is wrong
    data[field] = data.get(field, "理由") + "\x00"
    data["csrf_token"] = _token(client, "/admin/enterprises/new")
    assert client.post("/admin/enterprises/new", data=data).status_code == 400


def test_review_comment_with_a_nul_is_a_400_and_changes_nothing(client, make, admin_login):
    world = w.build(make)
    w.sign_in("reviewer", world, make, admin_login, client)
    url = f"/admin/review/{world.filed.id}"
    data = {"decision": "returned", "comment": "退回\x00", "csrf_token": _token(client, url)}
    assert client.post(url, data=data).status_code == 400
    make.session.refresh(world.filed)
    assert world.filed.status.value == "filed"


def test_trainee_search_with_a_nul_is_a_400(client, make, admin_login):
    world = w.build(make)
    w.sign_in("hr_a", world, make, admin_login, client)
    response = client.get(f"/admin/projects/{world.project.id}/trainees?q=%00")
    assert response.status_code == 400
