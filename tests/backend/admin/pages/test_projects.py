"""Creating, editing, submitting and reviewing the filing data of 附件1 through the pages."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import insert, select

from backend import pii, pii_fields
from backend.models import AuditLog, Enterprise, Institution, Project, ProjectStatus
from tests import factories
from tests.backend.admin.pages import world as w
from tests.rival_transaction import rival_commits_when_we_wait

BAD_CHECKSUM = factories.credit_code(7)[:17] + ("0" if factories.credit_code(7)[17] != "0" else "1")


def _project_form(token: str, **overrides) -> dict:
    data = {
        "csrf_token": token,
        "name": "新员工岗前培训",
        "post_trade": "装配工",
        "training_type": "pre_job",
        "planned_headcount": "20",
        "method": "线上培训",
        "start_date": "2026-04-01",
        "end_date": "2026-05-31",
        "planned_class_hours": "16",
        "person_in_charge": "李经理",
        "person_mobile": "139 0013 9000",
        "goal": "熟悉安全规程",
        "attention_checks_enabled": "y",
        "institution-name": "",
        "institution-credit_code": "",
        "platform-name": "适岗平台",
        "platform-server_city": "广州",
        "plan_rows-0-resource_name": "安全生产",
        "plan_rows-0-key_content": "规程",
        "plan_rows-0-resource_form": "video",
        "plan_rows-0-duration_minutes": "90",
        "plan_rows-1-resource_name": "",
        "plan_rows-1-resource_form": "video",
        "plan_rows-1-duration_minutes": "",
    }
    data.update(overrides)
    return data


def _actions(make, action):
    return make.session.scalars(select(AuditLog).where(AuditLog.action == action)).all()


def test_enterprise_admin_creates_project_only_for_own_enterprise(client, make, admin_login):
    world = w.build(make)
    token = w.sign_in("hr_a", world, make, admin_login, client)
    form = _project_form(token, enterprise_id=str(world.b.id))
    response = client.post("/admin/projects/new", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)
    project = make.session.scalar(select(Project).where(Project.name == "新员工岗前培训"))
    assert project.enterprise_id == world.a.id
    assert project.status is ProjectStatus.DRAFT
    # Encrypted as every mobile (issue 25): shown masked, the full one only through pii.
    assert pii_fields.opened(project.person_mobile_enc) == "13900139000"
    assert project.person_mobile == "139****9000"
    assert "13900139000" not in project.person_mobile_enc
    assert project.person_mobile_hash == pii.blind_index("13900139000")
    assert [r.resource_name for r in project.plan_rows] == ["安全生产"]
    assert project.platform.name == "适岗平台" and project.institution is None
    assert len(_actions(make, "project.create")) == 1


def test_operator_picks_the_enterprise(client, make, admin_login):
    world = w.build(make)
    token = w.sign_in("operator", world, make, admin_login, client)
    page = client.get("/admin/projects/new").get_data(as_text=True)
    assert "乙公司" in page and "甲公司" in page
    response = client.post(
        "/admin/projects/new", data=_project_form(token, enterprise_id=str(world.b.id))
    )
    assert response.status_code == 302
    project = make.session.scalar(select(Project).where(Project.name == "新员工岗前培训"))
    assert project.enterprise_id == world.b.id


def test_field_errors_are_shown_next_to_the_field(client, make, admin_login):
    world = w.build(make)
    token = w.sign_in("hr_a", world, make, admin_login, client)
    form = _project_form(
        token,
        person_mobile="12345",
        end_date="2026-03-01",
        **{"plan_rows-0-resource_name": "", "plan_rows-0-duration_minutes": "30"},
    )
    response = client.post("/admin/projects/new", data=form)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="person_mobile-error">手机号码格式不正确' in page
    assert 'id="end_date-error">结束日期不能早于开始日期' in page
    assert "请填写资源名称" in page
    assert make.session.scalar(select(Project).where(Project.name == "新员工岗前培训")) is None


def test_bad_institution_checksum_needs_an_operator_with_a_reason(client, make, admin_login):
    world = w.build(make)
    token = w.sign_in("hr_a", world, make, admin_login, client)
    inst = {"institution-name": "某培训学校", "institution-credit_code": BAD_CHECKSUM}
    response = client.post("/admin/projects/new", data=_project_form(token, **inst))
    assert response.status_code == 422
    assert 'id="institution-credit_code-error">统一社会信用代码校验位不正确' in response.get_data(
        as_text=True
    )
    inst["institution-override_reason"] = "试点地区早期代码"
    response = client.post("/admin/projects/new", data=_project_form(token, **inst))
    assert "只有平台运营人员可以接受" in response.get_data(as_text=True)
    assert make.session.scalar(select(Institution)) is None


def test_operator_overrides_a_bad_checksum_with_a_reason(client, make, admin_login):
    world = w.build(make)
    token = w.sign_in("operator", world, make, admin_login, client)
    inst = {
        "institution-name": "某培训学校",
        "institution-credit_code": BAD_CHECKSUM,
        "institution-override_reason": "试点地区早期代码",
    }
    form = _project_form(token, enterprise_id=str(world.a.id), **inst)
    assert client.post("/admin/projects/new", data=form).status_code == 302
    institution = make.session.scalar(select(Institution))
    assert institution.credit_code == BAD_CHECKSUM
    assert institution.credit_code_override_reason == "试点地区早期代码"
    [entry] = _actions(make, "credit_code.override")
    assert entry.detail["reason"] == "试点地区早期代码"


def test_edit_keeps_plan_rows_and_filed_projects_are_locked(client, make, admin_login):
    world = w.build(make)
    token = w.sign_in("hr_a", world, make, admin_login, client)
    page = client.get(f"/admin/projects/{world.draft.id}/edit").get_data(as_text=True)
    assert 'value="甲公司草稿项目"' in page and 'value="安全生产"' in page
    form = _project_form(token, name="改过的名称")
    assert client.post(f"/admin/projects/{world.draft.id}/edit", data=form).status_code == 302
    make.session.refresh(world.draft)
    assert world.draft.name == "改过的名称"
    response = client.post(f"/admin/projects/{world.filed.id}/edit", data=form)
    assert response.status_code == 409


def test_submit_then_review(client, make, admin_login, app):
    world = w.build(make)
    token = w.sign_in("hr_a", world, make, admin_login, client)
    response = client.post(f"/admin/projects/{world.draft.id}/submit", data={"csrf_token": token})
    assert response.status_code == 302
    make.session.refresh(world.draft)
    assert world.draft.status is ProjectStatus.FILED
    assert len(_actions(make, "project.submit")) == 1

    reviewer_client = app.test_client()
    token = w.sign_in_other(reviewer_client, make, "reviewer")
    queue = reviewer_client.get("/admin/review").get_data(as_text=True)
    assert "甲公司草稿项目" in queue
    url = f"/admin/review/{world.draft.id}"
    response = reviewer_client.post(url, data={"csrf_token": token, "decision": "returned"})
    assert response.status_code == 422 and "退回时请填写审核意见" in response.get_data(as_text=True)
    data = {"csrf_token": token, "decision": "returned", "comment": "培训计划时长不足"}
    assert reviewer_client.post(url, data=data).status_code == 302
    make.session.refresh(world.draft)
    assert world.draft.status is ProjectStatus.RETURNED
    assert world.draft.review_comment == "培训计划时长不足"
    [entry] = _actions(make, "project.review")
    assert entry.detail == {"decision": "returned", "comment": "培训计划时长不足"}
    assert entry.ip == "127.0.0.1"
    # Returned: the enterprise admin can edit again and sees the comment.
    page = client.get(f"/admin/projects/{world.draft.id}/edit").get_data(as_text=True)
    assert "培训计划时长不足" in page


def _filed_form(client, project_id: int) -> tuple[str, dict]:
    """The filing page and the 附件1 xlsx's values by label (columns B and D)."""
    page = client.get(f"/admin/projects/{project_id}/filing").get_data(as_text=True)
    response = client.get(f"/admin/projects/{project_id}/exports/filing.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    response.close()
    cells = {row[0].value: (row[1].value, row[3].value) for row in sheet.iter_rows()}
    return page, cells


def test_a_filed_form_keeps_what_was_submitted(client, make, admin_login, app):
    world = w.build(make)
    world.a.registered_address = "广州市天河区1号"
    make.session.commit()
    filed_code, new_code = world.a.credit_code, factories.credit_code(737373)
    token = w.sign_in("hr_a", world, make, admin_login, client)
    submit = f"/admin/projects/{world.draft.id}/submit"
    assert client.post(submit, data={"csrf_token": token}).status_code == 302
    changes = {"name": "甲公司（新名）", "credit_code": new_code, "registered_address": "深圳市"}
    response = client.post(
        f"/admin/enterprises/{world.a.id}/edit", data={"csrf_token": token, **changes}
    )
    assert response.status_code == 302

    page, cells = _filed_form(client, world.draft.id)
    assert "<dd>甲公司</dd>" in page and filed_code in page and "广州市天河区1号" in page
    assert "甲公司（新名）" not in page and new_code not in page and "深圳市" not in page
    assert "提交备案时的内容" in page
    assert cells["企业名称"] == ("甲公司", filed_code)
    assert cells["注册地址"][0] == "广州市天河区1号"
    reviewer = app.test_client()
    reviewer_token = w.sign_in_other(reviewer, make, "reviewer")
    url = f"/admin/review/{world.draft.id}"
    page = reviewer.get(url).get_data(as_text=True)
    assert "<dd>甲公司</dd>" in page and "甲公司（新名）" not in page and new_code not in page

    # Returned, edited and submitted again: the new submit is what the filing shows now.
    data = {"csrf_token": reviewer_token, "decision": "returned", "comment": "请更新企业信息"}
    assert reviewer.post(url, data=data).status_code == 302
    page, _ = _filed_form(client, world.draft.id)
    assert "甲公司（新名）" in page and "提交备案时的内容" not in page
    # As many planned class hours as the project's course yields, or the submit is refused.
    form = _project_form(token, name="改过的项目名称", planned_class_hours="8")
    assert client.post(f"/admin/projects/{world.draft.id}/edit", data=form).status_code == 302
    assert client.post(submit, data={"csrf_token": token}).status_code == 302
    page, cells = _filed_form(client, world.draft.id)
    assert "<dd>甲公司（新名）</dd>" in page and "<dd>改过的项目名称</dd>" in page
    assert cells["企业名称"] == ("甲公司（新名）", new_code)
    assert cells["注册地址"][0] == "深圳市"
    assert cells["培训项目名称"][0] == "改过的项目名称"
    assert len(_actions(make, "project.submit")) == 2


def test_operator_creates_enterprise_and_duplicate_code_is_refused(client, make, admin_login):
    world = w.build(make)
    token = w.sign_in("operator", world, make, admin_login, client)
    data = {
        "csrf_token": token,
        "name": "丙公司",
        "credit_code": factories.credit_code(900001).lower(),
        "contact_phone": "020-1234567",
    }
    assert client.post("/admin/enterprises/new", data=data).status_code == 302
    created = make.session.scalar(select(Enterprise).where(Enterprise.name == "丙公司"))
    assert created.credit_code == factories.credit_code(900001)
    assert len(_actions(make, "enterprise.create")) == 1
    response = client.post("/admin/enterprises/new", data={**data, "name": "丁公司"})
    assert response.status_code == 422
    assert "已登记为其他企业" in response.get_data(as_text=True)


def _with_bad_checksum(code: str) -> str:
    return code[:17] + ("0" if code[17] != "0" else "1")


@pytest.mark.parametrize("checksum", ["valid", "overridden"])
def test_losing_the_race_for_a_new_credit_code_is_a_form_error(client, make, admin_login, checksum):
    world = w.build(make)
    token = w.sign_in("operator", world, make, admin_login, client)
    code = factories.credit_code(900002)
    data = {"csrf_token": token, "name": "丙公司", "credit_code": code, "contact_phone": "1"}
    if checksum == "overridden":
        # The override path writes the new enterprise early, to name it in the audit log.
        data |= {"credit_code": _with_bad_checksum(code), "override_reason": "试点代码"}
        code = data["credit_code"]
    other_admin = insert(Enterprise).values(name="丁公司", credit_code=code)
    with rival_commits_when_we_wait(other_admin) as rival:
        response = client.post("/admin/enterprises/new", data=data)
    assert rival.blocked_us, "the page's write never met the other admin's row"
    assert response.status_code == 422
    assert "该统一社会信用代码已登记为其他企业" in response.get_data(as_text=True)
    holders = make.session.scalars(select(Enterprise.name).where(Enterprise.credit_code == code))
    assert holders.all() == ["丁公司"]
    assert _actions(make, "enterprise.create") == []
    assert _actions(make, "credit_code.override") == []
    # The operator carries on: the next save goes through.
    data["credit_code"] = factories.credit_code(900003)
    assert client.post("/admin/enterprises/new", data=data).status_code == 302


def test_enterprise_admin_edits_own_enterprise(client, make, admin_login):
    world = w.build(make)
    token = w.sign_in("hr_a", world, make, admin_login, client)
    data = {
        "csrf_token": token,
        "name": "甲公司（新名）",
        "credit_code": world.a.credit_code,
        "legal_representative": "王总",
    }
    assert client.post(f"/admin/enterprises/{world.a.id}/edit", data=data).status_code == 302
    make.session.refresh(world.a)
    assert world.a.name == "甲公司（新名）" and world.a.legal_representative == "王总"
    data["credit_code"] = BAD_CHECKSUM
    data["override_reason"] = "想绕过"
    response = client.post(f"/admin/enterprises/{world.a.id}/edit", data=data)
    assert response.status_code == 422 and "只有平台运营人员" in response.get_data(as_text=True)


def test_out_of_range_numbers_and_dates_are_field_errors(client, make, admin_login):
    world = w.build(make)
    token = w.sign_in("hr_a", world, make, admin_login, client)
    cases = {
        "planned_headcount": ("99999999999", "应为1至1000000的整数"),
        "start_date": ("0001-01-01", "日期应在2000年至2100年之间"),
        "end_date": ("9999-12-31", "日期应在2000年至2100年之间"),
    }
    for field, (value, fragment) in cases.items():
        response = client.post("/admin/projects/new", data=_project_form(token, **{field: value}))
        assert response.status_code == 422, (field, response.status_code)
        assert fragment in response.get_data(as_text=True)
    assert make.session.scalar(select(Project).where(Project.name == "新员工岗前培训")) is None


def test_the_form_sets_the_face_check_policy(client, make, admin_login):
    world = w.build(make)
    token = w.sign_in("hr_a", world, make, admin_login, client)
    form = _project_form(
        token, face_check_at_check_in="every_session", face_check_interval_minutes="30"
    )
    assert client.post("/admin/projects/new", data=form).status_code == 302
    project = make.session.scalar(select(Project).where(Project.name == "新员工岗前培训"))
    assert (project.face_check_at_check_in, project.face_check_interval_s) == (
        "every_session",
        1800,
    )
    page = client.get(f"/admin/projects/{project.id}/edit").get_data(as_text=True)
    assert '<option selected value="every_session">' in page and 'value="30"' in page
    # Left blank: the policy's defaults.
    form = _project_form(token, face_check_at_check_in="", face_check_interval_minutes="")
    assert client.post(f"/admin/projects/{project.id}/edit", data=form).status_code == 302
    make.session.expire_all()
    assert (project.face_check_at_check_in, project.face_check_interval_s) == (None, None)


def test_the_form_sets_attention_checks_assessment_and_lesson_order(client, make, admin_login):
    world = w.build(make)
    token = w.sign_in("hr_a", world, make, admin_login, client)
    form = _project_form(
        token,
        attention_check_interval_minutes="15",
        assessment_required="y",
        sequential="y",
    )
    assert client.post("/admin/projects/new", data=form).status_code == 302
    project = make.session.scalar(select(Project).where(Project.name == "新员工岗前培训"))
    assert project.attention_checks_enabled and project.attention_check_interval_s == 900
    assert project.assessment_required and project.sequential
    page = client.get(f"/admin/projects/{project.id}/edit").get_data(as_text=True)
    assert 'id="learning-settings"' in page and 'value="15"' in page
    # Unticked boxes switch them off; a blank interval is the policy's default.
    form = _project_form(token, attention_check_interval_minutes="")
    del form["attention_checks_enabled"]
    assert client.post(f"/admin/projects/{project.id}/edit", data=form).status_code == 302
    make.session.expire_all()
    assert not project.attention_checks_enabled and project.attention_check_interval_s is None
    assert not project.assessment_required and not project.sequential
    bad = client.post(
        f"/admin/projects/{project.id}/edit",
        data=_project_form(token, attention_check_interval_minutes="1"),
    )
    assert bad.status_code == 422 and "应为5至240的整数" in bad.get_data(as_text=True)
