"""The site root, error pages with the navigation, and the user label."""

from __future__ import annotations

from backend.models import Role


def test_root_redirects_to_the_admin_web(client):
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/")


def test_error_pages_keep_the_navigation(client, make, admin_login):
    admin_login(
        make.admin(Role.ENTERPRISE_ADMIN, enterprise=make.enterprise(), display_name="人事")
    )
    page = client.get("/admin/projects/999999")
    html = page.get_data(as_text=True)
    assert page.status_code == 404
    assert 'class="mainnav"' in html and "返回管理后台首页" in html and 'href="/admin/"' in html
    assert client.get("/admin/no-such-page").status_code == 404
    # Signed out, the page still answers, without a navigation.
    assert "出错了（404）" in client.get("/nowhere").get_data(as_text=True)


def test_user_label_does_not_repeat_the_role(client, make, admin_login):
    admin_login(
        make.admin(Role.ENTERPRISE_ADMIN, enterprise=make.enterprise(), display_name="企业管理员")
    )
    html = client.get("/admin/").get_data(as_text=True)
    assert "企业管理员（企业管理员）" not in html and '<span class="who">企业管理员</span>' in html
