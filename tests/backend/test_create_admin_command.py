"""``flask create-admin`` (issue 25): the web form's password rule, and the first sign-in must
change the password, as for every other way an admin account is made."""

from __future__ import annotations

import re

import pytest

WEAK = ["aaaaaaaaaa", "short1!", "ops-admin-2026", "1234567890ab"]
STRONG = "Tq7#vLp2!xZr9m"


def _create(app, password: str, username: str = "operator1"):
    return app.test_cli_runner().invoke(
        args=["create-admin", "--username", username, "--role", "operator"],
        input=f"{password}\n{password}\n",
    )


@pytest.mark.parametrize("password", WEAK)
def test_a_weak_password_is_refused(app, password):
    result = _create(app, password, username="ops-admin")
    assert result.exit_code != 0, result.output
    assert "密码" in result.output
    from backend.extensions import db
    from backend.models import AdminUser

    assert db.session.query(AdminUser).count() == 0


def test_the_first_sign_in_must_change_the_password(app, client):
    result = _create(app, STRONG)
    assert result.exit_code == 0, result.output
    page = client.get("/admin/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    form = {"username": "operator1", "password": STRONG, "csrf_token": csrf}
    signed_in = client.post("/admin/login", data=form)
    assert signed_in.status_code == 302
    # Every page leads to the password change until it is done.
    projects = client.get("/admin/projects")
    assert projects.status_code == 302
    assert projects.headers["Location"].endswith("/admin/account/password")
