"""Filing rules: who may change, submit and review a filing, and in which state."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import insert, select

from backend.kernel.errors import DomainError
from backend.models import AuditLog, Enterprise, LessonKind, ProjectStatus, ResourceForm, Role
from backend.services.projects import filing, filing_document
from tests import factories
from tests.rival_transaction import rival_commits_when_we_wait


def _data(**overrides) -> dict:
    data = {
        "name": "项目",
        "post_trade": "装配工",
        "training_type": "on_job",
        "planned_headcount": 5,
        "method": "线上培训",
        "start_date": date(2026, 4, 1),
        "end_date": date(2026, 4, 30),
        "planned_class_hours": 8,
        "person_in_charge": "李",
        "person_mobile": "13900139000",
        "goal": "",
        "plan_rows": [
            {"resource_name": "安全", "resource_form": "video", "duration_minutes": 45},
        ],
    }
    data.update(overrides)
    return data


def test_another_enterprise_is_hidden(app, make):
    mine, theirs = make.enterprise(), make.enterprise()
    hr = make.admin(Role.ENTERPRISE_ADMIN, enterprise=mine)
    with pytest.raises(DomainError) as err:
        filing.save_project(None, theirs, _data(), hr, client_address="192.0.2.10")
    assert err.value.status == 404
    project = filing.save_project(None, mine, _data(), hr, client_address="192.0.2.10")
    assert project.status is ProjectStatus.DRAFT and len(project.plan_rows) == 1


def test_submit_lists_what_is_missing_and_needs_a_draft(app, make):
    hr = make.admin(Role.ENTERPRISE_ADMIN, enterprise=make.enterprise())
    project = make.project(hr.enterprise, status=ProjectStatus.DRAFT, planned_class_hours=20)
    make.lesson(make.course(project), duration_s=90 * 60)
    with pytest.raises(DomainError) as err:
        filing.submit_for_filing(project, hr, client_address="192.0.2.10")
    assert err.value.code == "filing_incomplete" and err.value.status == 422
    problems = [item["problem"] for item in err.value.details]
    assert problems == [
        "未填写线上培训平台情况（平台名称等）",
        "计划培训 20 课时（900 分钟），但项目课程只有 90 分钟",
    ]
    assert project.status is ProjectStatus.DRAFT and project.filing_snapshot is None
    empty = make.project(hr.enterprise, status=ProjectStatus.DRAFT, planned_class_hours=1)
    with pytest.raises(DomainError) as err:
        filing.submit_for_filing(empty, hr, client_address="192.0.2.10")
    assert "线上培训计划为空" in err.value.message
    project.planned_class_hours = 2
    make.teaching(project)
    make.session.refresh(project)
    filing.submit_for_filing(project, hr, client_address="192.0.2.10")
    assert project.status is ProjectStatus.FILED
    with pytest.raises(DomainError) as err:
        filing.submit_for_filing(project, hr, client_address="192.0.2.10")
    assert err.value.status == 409
    with pytest.raises(DomainError) as err:
        filing.save_project(project, hr.enterprise, _data(), hr, client_address="192.0.2.10")
    assert err.value.code == "project_status_conflict"


def test_the_plan_comes_from_the_courses_then_the_hand_written_rows(app, make):
    project = make.project(status=ProjectStatus.DRAFT)
    course = make.course(project, name="安全生产", summary="规程")
    make.lesson(course, duration_s=125)
    make.lesson(course, kind=LessonKind.DOCUMENT, duration_s=600)
    make.lesson(make.course(project, name="空课程"), retired=True)
    make.plan_row(project, resource_name="直播答疑", resource_form=ResourceForm.LIVE)
    make.session.refresh(project)
    rows = filing_document.shown_filing(project).plan_rows
    assert [(r.resource_name, r.key_content, r.form_label, r.duration_label) for r in rows] == [
        ("安全生产", "规程", "视频、文档", "12分5秒"),
        ("直播答疑", "", "直播", "90分钟"),
    ]
    # A hand-written row naming one of the project's courses does not list it a second time.
    make.plan_row(project, resource_name="安全生产 ")
    make.session.refresh(project)
    names = [row.resource_name for row in filing_document.shown_filing(project).plan_rows]
    assert names == ["安全生产", "直播答疑"]


def test_review_states_and_audit(app, make):
    reviewer = make.admin(Role.REVIEWER)
    project = make.project(status=ProjectStatus.DRAFT)
    with pytest.raises(DomainError) as err:
        filing.review_filing(project, "approved", "", reviewer, client_address="192.0.2.10")
    assert err.value.code == "project_status_conflict"
    project.status = ProjectStatus.FILED
    with pytest.raises(filing.FieldError) as err:
        filing.review_filing(project, "maybe", "", reviewer, client_address="192.0.2.10")
    assert err.value.field == "decision"
    filing.review_filing(project, "approved", "  ", reviewer, client_address="192.0.2.10")
    assert project.status is ProjectStatus.APPROVED and project.review_comment is None
    assert project.reviewed_by_id == reviewer.id and project.reviewed_at is not None
    entry = make.session.scalar(select(AuditLog).where(AuditLog.action == "project.review"))
    assert entry.actor_id == reviewer.id and entry.detail["decision"] == "approved"


def test_institutions_are_shared_by_credit_code(app, make):
    from tests.factories import credit_code

    hr = make.admin(Role.ENTERPRISE_ADMIN, enterprise=make.enterprise())
    institution = {"name": "培训学校", "credit_code": credit_code(424242)}
    institution |= {"registered_address": "", "person_in_charge": "", "phone": ""}
    first = filing.save_project(
        None, hr.enterprise, _data(institution=institution), hr, client_address="192.0.2.10"
    )
    second = filing.save_project(
        None, hr.enterprise, _data(institution=institution), hr, client_address="192.0.2.10"
    )
    assert first.institution_id == second.institution_id is not None


def test_another_enterprise_cannot_rewrite_a_shared_institution(app, make):
    from tests.factories import credit_code

    code = credit_code(515151)
    theirs = make.admin(Role.ENTERPRISE_ADMIN, enterprise=make.enterprise())
    registered = {"name": "培训学校", "credit_code": code, "registered_address": "广州"}
    registered |= {"person_in_charge": "王", "phone": "020-1"}
    approved = filing.save_project(
        None, theirs.enterprise, _data(institution=registered), theirs, client_address="192.0.2.10"
    )
    approved.status = ProjectStatus.APPROVED
    make.session.commit()
    mine = make.admin(Role.ENTERPRISE_ADMIN, enterprise=make.enterprise())
    make.session.commit()

    forged = registered | {"name": "篡改", "phone": "020-9"}
    with pytest.raises(filing.FieldError) as err:
        filing.save_project(
            None, mine.enterprise, _data(institution=forged), mine, client_address="192.0.2.10"
        )
    assert err.value.code == "institution_shared" and err.value.field == "institution-name"
    make.session.rollback()
    make.session.refresh(approved)
    assert approved.institution.name == "培训学校" and approved.institution.phone == "020-1"

    # The registered data, or blanks, link the same institution without changing it.
    blanks = {"name": "培训学校", "credit_code": code, "registered_address": ""}
    blanks |= {"person_in_charge": "", "phone": ""}
    project = filing.save_project(
        None, mine.enterprise, _data(institution=blanks), mine, client_address="192.0.2.10"
    )
    assert project.institution_id == approved.institution_id
    assert approved.institution.registered_address == "广州"


def test_a_project_with_trainees_stays_with_its_enterprise(app, make):
    operator = make.admin(Role.OPERATOR)
    first, second = make.enterprise(), make.enterprise()
    project = make.project(first, status=ProjectStatus.DRAFT)
    make.enrol(make.trainee(first), project)
    make.session.commit()
    with pytest.raises(filing.FieldError) as err:
        filing.save_project(project, second, _data(), operator, client_address="192.0.2.10")
    assert err.value.code == "project_has_trainees" and err.value.field == "enterprise_id"
    make.session.rollback()
    assert make.session.get(type(project), project.id).enterprise_id == first.id
    # Without trainees an operator may still correct the enterprise of a draft.
    empty = make.project(first, status=ProjectStatus.DRAFT)
    assert (
        filing.save_project(
            empty, second, _data(), operator, client_address="192.0.2.10"
        ).enterprise_id
        == second.id
    )


def test_losing_the_race_for_a_changed_credit_code_writes_nothing(app, make):
    hr = make.admin(Role.ENTERPRISE_ADMIN, enterprise=make.enterprise(name="甲公司"))
    make.session.commit()
    enterprise, before = hr.enterprise, hr.enterprise.credit_code
    code = factories.credit_code(900004)
    data = {"name": "甲公司（新名）", "credit_code": code, "registered_address": "广州"}
    data |= {"legal_representative": "王", "contact_phone": "", "received_affected_subsidy": False}
    other_admin = insert(Enterprise).values(name="乙公司", credit_code=code)
    with rival_commits_when_we_wait(other_admin) as rival, pytest.raises(filing.FieldError) as err:
        filing.update_enterprise(enterprise, data, hr, client_address="192.0.2.10")
    assert rival.blocked_us, "the update never met the other admin's row"
    assert (err.value.field, err.value.status) == ("credit_code", 409)
    assert err.value.code == "credit_code_taken"
    # The view rolls the save back whole: neither the code nor the other fields are written.
    make.session.rollback()
    make.session.refresh(enterprise)
    assert (enterprise.name, enterprise.credit_code) == ("甲公司", before)


def _enterprise_data(enterprise, **changes) -> dict:
    data = {key: getattr(enterprise, key) for key in filing_document.ENTERPRISE_FIELDS}
    return data | {"credit_code": enterprise.credit_code} | changes


def test_submit_snapshots_the_filing_and_a_resubmit_replaces_it(app, make, frozen_clock):
    from tests.factories import credit_code

    enterprise = make.enterprise(name="甲公司", registered_address="广州市天河区1号")
    hr = make.admin(Role.ENTERPRISE_ADMIN, enterprise=enterprise)
    platform = {"name": "适岗平台", "icp_number": "粤ICP备1号", "url_or_package": ""}
    platform |= {"ip_address": "", "server_city": "广州"}
    project = filing.save_project(
        None, enterprise, _data(platform=platform), hr, client_address="192.0.2.10"
    )
    make.teaching(project)
    make.session.refresh(project)
    filing.submit_for_filing(project, hr, client_address="192.0.2.10")
    make.session.commit()
    filed_code = enterprise.credit_code
    assert project.filed_at == frozen_clock.now()
    assert project.filing_snapshot == filing_document.filing_form(project)
    assert project.filing_snapshot["project"]["start_date"] == "2026-04-01"
    assert project.filing_snapshot["plan_rows"][0]["resource_name"] == "岗位安全"
    assert project.filing_snapshot["plan_rows"][1]["resource_form"] == "video"

    new_code = credit_code(626262)
    changes = {"name": "甲公司（新名）", "credit_code": new_code, "registered_address": "深圳"}
    filing.update_enterprise(
        enterprise, _enterprise_data(enterprise, **changes), hr, client_address="192.0.2.10"
    )
    make.session.commit()
    make.session.expire_all()
    shown = filing_document.shown_filing(project)
    assert (shown.enterprise.name, shown.enterprise.credit_code) == ("甲公司", filed_code)
    assert shown.enterprise.registered_address == "广州市天河区1号"
    assert shown.platform.name == "适岗平台" and shown.institution is None
    assert shown.project.start_date == date(2026, 4, 1)
    assert shown.filed_at == frozen_clock.now()

    # Returned: the enterprise sees and edits its live data; the snapshot waits for a resubmit.
    filing.review_filing(
        project, "returned", "请补充", make.admin(Role.REVIEWER), client_address="192.0.2.10"
    )
    assert filing_document.shown_filing(project).enterprise.name == "甲公司（新名）"
    assert filing_document.shown_filing(project).filed_at is None
    assert project.filing_snapshot["enterprise"]["name"] == "甲公司"
    filing.save_project(
        project,
        enterprise,
        _data(name="改过的项目", platform=platform),
        hr,
        client_address="192.0.2.10",
    )
    frozen_clock.advance(hours=1)
    filing.submit_for_filing(project, hr, client_address="192.0.2.10")
    make.session.commit()
    make.session.expire_all()
    shown = filing_document.shown_filing(project)
    assert (shown.enterprise.name, shown.enterprise.credit_code) == ("甲公司（新名）", new_code)
    assert shown.project.name == "改过的项目" and shown.platform.name == "适岗平台"
    assert project.filed_at == frozen_clock.now()
    submits = make.session.scalars(select(AuditLog).where(AuditLog.action == "project.submit"))
    assert len(submits.all()) == 2


def test_a_project_filed_before_snapshots_shows_its_live_rows(app, make):
    project = make.project(make.enterprise(name="甲公司"), status=ProjectStatus.APPROVED)
    make.plan_row(project, resource_name="质量管理")
    make.session.commit()
    assert project.filing_snapshot is None
    project.enterprise.name = "甲公司（新名）"
    shown = filing_document.shown_filing(project)
    assert shown.enterprise.name == "甲公司（新名）" and shown.filed_at is None
    assert [row.resource_name for row in shown.plan_rows] == ["质量管理"]
