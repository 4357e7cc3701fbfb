"""CSRF refusal on every form, and the operator's audit-log page."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from backend.models import AuditLog, Project, ProjectStatus, Role
from tests.backend.admin.pages import world as w

FORMS = {
    # name: (role, url, data)
    "logout": ("operator", "/admin/logout", {}),
    "project_new": ("hr_a", "/admin/projects/new", {"name": "x"}),
    "project_edit": ("hr_a", "/admin/projects/{draft}/edit", {"name": "x"}),
    "project_submit": ("hr_a", "/admin/projects/{draft}/submit", {}),
    "enterprise_new": ("operator", "/admin/enterprises/new", {"name": "x"}),
    "enterprise_edit": ("hr_a", "/admin/enterprises/{a}/edit", {"name": "x"}),
    "reveal_id": ("hr_a", "/admin/trainees/{trainee}/reveal-id", {}),
    "unbind": ("hr_a", "/admin/trainees/{trainee}/unbind", {}),
    "activation_code": ("hr_a", "/admin/trainees/{unbound}/activation-code", {}),
    "review": ("reviewer", "/admin/review/{filed}", {"decision": "approved"}),
}


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("token", ["missing", "forged"])
def test_every_form_refuses_a_request_without_a_valid_csrf_token(
    form, token, client, make, admin_login
):
    world = w.build(make)
    role, template, data = FORMS[form]
    w.sign_in(role, world, make, admin_login, client)
    url = template.format(
        a=world.a.id,
        draft=world.draft.id,
        filed=world.filed.id,
        trainee=world.trainee.id,
        unbound=world.unbound.id,
    )
    before = make.session.scalar(select(func.count()).select_from(AuditLog))
    if token == "forged":
        data = {**data, "csrf_token": "IjEyMyI.forged.token"}
    response = client.post(url, data=data)
    assert response.status_code == 400
    assert "请求格式不正确" in response.get_data(as_text=True)
    make.session.expire_all()
    # Nothing happened: no audit entry, no change of state, still signed in.
    assert make.session.scalar(select(func.count()).select_from(AuditLog)) == before
    assert make.session.get(Project, world.draft.id).status is ProjectStatus.DRAFT
    assert make.session.get(Project, world.filed.id).status is ProjectStatus.FILED
    assert make.session.get(type(world.trainee), world.trainee.id).wx_openid is not None
    assert client.get("/api/admin/me").status_code == 200


def _log(make, action, enterprise=None, at=None):
    entry = AuditLog(
        action=action,
        actor_kind="admin",
        actor_id=None,
        enterprise_id=enterprise.id if enterprise else None,
        at=at or datetime(2026, 3, 2, 1, 0, tzinfo=UTC),
        detail={"purpose": "测试"},
    )
    make.session.add(entry)
    return entry


def _rows(page: str) -> int:
    return page.count("<tr>") - 1  # minus the header row


def test_audit_page_filters_and_pages(client, make, admin_login):
    world = w.build(make)
    for n in range(55):
        _log(make, "pii.reveal_id_number", world.a, datetime(2026, 3, 1 + n % 5, 3, tzinfo=UTC))
    _log(make, "trainee.wechat_unbound", world.b, datetime(2026, 3, 10, 20, tzinfo=UTC))
    make.session.commit()
    w.sign_in("operator", world, make, admin_login, client)  # adds one admin.login entry

    page = client.get("/admin/audit").get_data(as_text=True)
    assert _rows(page) == 50 and "第 1 / 2 页，共 57 条" in page
    assert "查看完整身份证号" in page and "甲公司" in page and "用途：测试" in page
    assert _rows(client.get("/admin/audit?page=2").get_data(as_text=True)) == 7

    unbinds = client.get("/admin/audit?action=trainee.wechat_unbound").get_data(as_text=True)
    assert _rows(unbinds) == 1 and "解除微信绑定" in unbinds and "乙公司" in unbinds
    by_enterprise = client.get(f"/admin/audit?enterprise={world.b.id}").get_data(as_text=True)
    assert _rows(by_enterprise) == 1
    # 2026-03-10 20:00 UTC is 2026-03-11 in China: the date filter uses China days.
    day = client.get("/admin/audit?date_from=2026-03-11&date_to=2026-03-11")
    assert _rows(day.get_data(as_text=True)) == 1
    first_day = client.get("/admin/audit?date_from=2026-03-01&date_to=2026-03-01")
    assert _rows(first_day.get_data(as_text=True)) == 11
    junk = client.get("/admin/audit?date_from=soon&enterprise=x&action=nope&page=-3")
    assert junk.status_code == 200 and "共 57 条" in junk.get_data(as_text=True)


@pytest.mark.parametrize(
    "query",
    [
        "date_from=0001-01-01",
        "date_to=9999-12-31",
        "date_from=0001-01-01&date_to=9999-12-31",
        "enterprise=99999999999999999999",
        "page=99999999999999999999",
    ],
)
def test_audit_page_takes_extreme_filter_values_without_an_error(query, client, make, admin_login):
    world = w.build(make)
    _log(make, "trainee.wechat_unbound", world.b, datetime(2026, 3, 10, 20, tzinfo=UTC))
    make.session.commit()
    w.sign_in("operator", world, make, admin_login, client)  # adds one admin.login entry
    response = client.get(f"/admin/audit?{query}")
    # Dates at the ends of the calendar are no bound; an impossible enterprise id is ignored.
    assert response.status_code == 200 and "共 2 条" in response.get_data(as_text=True)


def test_audit_log_speaks_chinese_and_names_things(client, make, admin_login):
    from backend import audit

    world = w.build(make)
    operator = make.admin(Role.OPERATOR, display_name="平台运营小王")
    audit.record(
        "project.review",
        audit.admin(operator, "192.0.2.10"),
        object_type="project",
        object_id=world.project.id,
        enterprise_id=world.a.id,
        decision="returned",
        full_numbers=False,
        expires_at="2026-03-02T01:00:00+00:00",
    )
    audit.record(
        "pii.reveal_id_number",
        audit.admin(operator, "192.0.2.10"),
        object_type="trainee",
        object_id=world.trainee.id,
    )
    make.session.commit()
    admin_login(operator)
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "培训项目：甲公司适岗培训" in page and "project #" not in page
    assert "学员：张*" in page and "张三" not in page  # personal names masked
    assert "审核结果：退回" in page and "含完整号码：否" in page
    assert "有效期至：2026-03-02 09:00:00（北京时间）" in page
    assert "时间（北京时间）" in page and "平台运营小王" in page
