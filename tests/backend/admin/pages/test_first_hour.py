"""What a new HR officer and reviewer meet in their first hour: claims waiting with the filings,
a claim review form like the filing review, a claim link only once there is a claim, a close that
asks first, the record chain verified from a button, a failed submit that says what to fix, and an
audit log in Chinese."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from backend import audit
from backend.models import ProjectStatus, Role
from backend.services.claims import review
from backend.services.claims.closing import close_project
from backend.services.content.probe import human_bytes

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def _closed(make, submitted: bool = True):
    a = make.enterprise(name="甲公司")
    project = make.project(a, name="甲项目")
    lesson = make.lesson(make.course(project))
    trainee = make.trainee(a, name="张三")
    make.enrol(trainee, project)
    make.learning(trainee, lesson, T0, 2 * 2700)
    hr = make.admin(Role.ENTERPRISE_ADMIN, a)
    make.session.commit()
    claim = close_project(project, hr, "订单完成", client_address="")
    if submitted:
        review.submit_claim(claim, hr, client_address="")
    make.session.commit()
    return project, hr


def test_submitted_claims_wait_in_the_review_queue(client, make, admin_login, frozen_clock):
    project, _ = _closed(make)
    admin_login(make.admin(Role.REVIEWER))
    page = client.get("/admin/review").get_data(as_text=True)
    assert "待审核的备案" in page and "待审核的补贴申领（1）" in page
    assert f'href="/admin/projects/{project.id}/claim"' in page

    # The claim page's review form is the filing review's: a 审核结果 select and the comment.
    page = client.get(f"/admin/projects/{project.id}/claim").get_data(as_text=True)
    form = page[page.index('id="claim-review-form"') :]
    assert "<h2>审核结论</h2>" in form and '<select id="decision" name="decision">' in form
    assert 'type="radio"' not in page and "审核意见（退回时必填）" in form
    response = client.post(
        f"/admin/projects/{project.id}/claim/review",
        data={"csrf_token": _csrf(page), "decision": "approved"},
    )
    assert response.status_code == 302
    assert "暂无待审核的补贴申领" in client.get("/admin/review").get_data(as_text=True)


def test_claim_download_only_once_there_is_a_claim(client, make, admin_login, frozen_clock):
    a = make.enterprise(name="甲公司")
    project = make.project(a, name="甲项目")
    hr = make.admin(Role.ENTERPRISE_ADMIN, a)
    make.session.commit()
    admin_login(hr)
    page = client.get(f"/admin/projects/{project.id}/exports").get_data(as_text=True)
    assert "exports/claim.xlsx" not in page and "项目结束后才有" in page
    # Closing asks first, saying what it freezes (admin.js reads data-confirm; no inline script).
    claim_page = client.get(f"/admin/projects/{project.id}/claim").get_data(as_text=True)
    assert 'id="close-form"' in claim_page and "data-confirm=" in claim_page
    assert "结束项目不能撤销" in claim_page and "学时、课时和补贴在此刻冻结" in claim_page
    close_project(project, hr, "订单完成", client_address="")
    make.session.commit()
    page = client.get(f"/admin/projects/{project.id}/exports").get_data(as_text=True)
    assert f"/admin/projects/{project.id}/exports/claim.xlsx" in page
    assert "项目结束后才有" not in page


def test_integrity_page_verifies_the_chain_from_a_button(client, make, admin_login):
    a = make.enterprise(name="甲公司")
    project = make.project(a, name="甲项目")
    lesson = make.lesson(make.course(project))
    trainee = make.trainee(a, name="张三")
    make.enrol(trainee, project)
    make.learning(trainee, lesson, T0, 2 * 2700)
    make.session.commit()
    admin_login(make.admin(Role.ENTERPRISE_ADMIN, a))
    url = f"/admin/projects/{project.id}/integrity"
    page = client.get(url).get_data(as_text=True)
    assert "flask verify-records" not in page and "核验记录链" in page
    result = client.post(f"{url}/verify", data={"csrf_token": _csrf(page)})
    html = result.get_data(as_text=True)
    assert result.status_code == 200 and "核验通过" in html
    assert "条计入时段逐条重算，均未被修改或删除" in html
    # Without the form's token nothing is verified.
    assert client.post(f"{url}/verify", data={}).status_code == 400


def test_failed_submit_lists_what_to_fix_on_the_filing_page(client, make, admin_login):
    a = make.enterprise(name="甲公司")
    project = make.project(a, name="甲草稿", status=ProjectStatus.DRAFT, platform=None)
    make.session.commit()
    admin_login(make.admin(Role.ENTERPRISE_ADMIN, a))
    page = client.get("/admin/projects").get_data(as_text=True)
    response = client.post(f"/admin/projects/{project.id}/submit", data={"csrf_token": _csrf(page)})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "出错了" not in html
    assert "还不能提交备案" in html and "未填写线上培训平台情况" in html
    assert f'href="/admin/projects/{project.id}/edit">填写平台情况' in html
    assert f'href="/admin/projects/{project.id}/courses">管理项目课程' in html
    assert project.status is ProjectStatus.DRAFT


def test_audit_log_names_every_action_in_chinese(client, make, admin_login):
    a = make.enterprise(name="甲公司")
    project = make.project(a, name="甲项目")
    operator = make.admin(Role.OPERATOR)
    actor = audit.admin(operator, "192.0.2.1")
    audit.record(
        "project.close",
        actor,
        object_type="project",
        object_id=project.id,
        enterprise_id=a.id,
        early=True,
        sessions_closed=2,
        digest="ab" * 32,
    )
    audit.record("export.claim", actor, object_type="project", object_id=project.id)
    audit.record("course.create", actor, object_type="course", object_id=1, course_id=1)
    make.session.commit()
    admin_login(operator)
    page = client.get("/admin/audit").get_data(as_text=True)
    assert (
        "结束项目并冻结数据" in page and "导出补贴申领名册及汇总表" in page and "新建课程" in page
    )
    assert "早于培训结束日期：是" in page and "结束的学习会话数：2" in page
    assert "数据摘要（SHA-256）：" in page and "课程编号：1" in page
    for code in ("project.close", "export.claim", "course.create", "sessions_closed", "early："):
        assert code not in page.replace('value="project.close"', "").replace(
            'value="export.claim"', ""
        ).replace('value="course.create"', "")


def test_sizes_read_with_one_decimal():
    assert human_bytes(72443) == "70.7 KB"
    assert human_bytes(1258291) == "1.2 MB"
    assert human_bytes(2 * 1024**3) == "2 GB" and human_bytes(500) == "500 字节"


def test_attaching_to_a_filed_project_says_the_filing_keeps_its_snapshot(client, make, admin_login):
    from backend.services.projects import filing_document

    a = make.enterprise(name="甲公司")
    project = make.project(a, name="甲项目")
    make.teaching(project)
    project.filing_snapshot = filing_document.filing_form(project)
    later = make.course(None, enterprise=a, name="后加的课程")
    make.lesson(later)
    make.session.commit()
    admin_login(make.admin(Role.ENTERPRISE_ADMIN, a))
    url = f"/admin/projects/{project.id}/courses"
    page = client.get(url).get_data(as_text=True)
    assert "不会出现在已备案的培训计划" in page and "也列入备案表的线上培训计划" not in page
    response = client.post(
        url, data={"csrf_token": _csrf(page), "course_id": later.id}, follow_redirects=True
    )
    assert "已备案的培训计划保持提交时的内容，不含该课程" in response.get_data(as_text=True)
    names = [row.resource_name for row in filing_document.shown_filing(project).plan_rows]
    assert "后加的课程" not in names

    # A draft's page still says its courses go into the plan.
    draft = make.project(a, name="草稿", status=ProjectStatus.DRAFT)
    make.session.commit()
    page = client.get(f"/admin/projects/{draft.id}/courses").get_data(as_text=True)
    assert "也列入备案表的线上培训计划" in page and "filing-snapshot-note" not in page
