"""Every admin view names the permission it needs, but for signing in and out, the home page,
one's own password and ``GET /api/admin/me`` (any signed-in admin)."""

from __future__ import annotations

SIGNED_IN_ONLY = {
    "admin_auth.login",
    "admin_auth.logout",
    "admin_pages.index",
    "admin_pages.own_password",
    "admin_api.admin_me",
}


def _admin_rules(app):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(("/admin", "/api/admin")) and rule.endpoint != "static":
            yield rule


def test_every_admin_view_names_a_permission(app):
    unnamed = {
        rule.endpoint
        for rule in _admin_rules(app)
        if getattr(app.view_functions[rule.endpoint], "required_permission", None) is None
    }
    assert unnamed == SIGNED_IN_ONLY
    assert sum(1 for _ in _admin_rules(app)) > 100  # the walk found the admin surfaces


def test_the_unnamed_views_still_need_a_signed_in_admin(client):
    assert client.get("/admin/").status_code == 302
    assert client.get("/admin/account/password").status_code == 302
    assert client.get("/api/admin/me").status_code == 401
