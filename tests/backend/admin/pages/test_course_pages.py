"""The course library, course and project course pages: who sees and does what."""

from sqlalchemy import select

from backend.models import AuditLog, Course, Role
from tests.content_helpers import video


def test_an_enterprise_admin_creates_a_course_and_sees_its_lessons(client, make, admin_login):
    company = make.enterprise(name="甲企业")
    make.course(enterprise=make.enterprise(), name="别人的课程")
    hr = make.admin(Role.ENTERPRISE_ADMIN, enterprise=company)
    make.session.commit()
    token = admin_login(hr)
    page = client.get("/admin/courses").get_data(as_text=True)
    assert "课程库" in page and "别人的课程" not in page and "新建课程" in page
    response = client.post(
        "/admin/courses", data={"csrf_token": token, "name": "安全生产", "summary": "规程"}
    )
    assert response.status_code == 302
    course = make.session.scalars(select(Course).where(Course.name == "安全生产")).one()
    assert course.enterprise_id == company.id
    make.media_lesson(course, video(3), title="第一课")
    make.session.commit()
    page = client.get(f"/admin/courses/{course.id}").get_data(as_text=True)
    assert "第一课" in page and "3秒" in page and 'id="lesson-upload"' in page
    assert "content.js" in page
    empty = client.post("/admin/courses", data={"csrf_token": token, "name": ""})
    assert empty.status_code == 422 and "请填写课程名称" in empty.get_data(as_text=True)


def test_reviewers_read_the_pages_without_forms(client, make, admin_login):
    company = make.enterprise()
    course = make.course(make.project(company), name="安全生产")
    reviewer = make.admin(Role.REVIEWER)
    make.session.commit()
    token = admin_login(reviewer)
    page = client.get(f"/admin/courses/{course.id}").get_data(as_text=True)
    assert "安全生产" in page and 'id="lesson-upload"' not in page
    refused = client.post("/admin/courses", data={"csrf_token": token, "name": "x"})
    assert refused.status_code == 403


def test_the_project_course_list_attaches_moves_and_detaches(client, make, admin_login):
    company = make.enterprise()
    project = make.project(company)
    first = make.course(project, name="甲课程")
    second = make.course(enterprise=company, name="乙课程")
    hr = make.admin(Role.ENTERPRISE_ADMIN, enterprise=company)
    make.session.commit()
    token = admin_login(hr)
    base = f"/admin/projects/{project.id}/courses"
    page = client.get(base).get_data(as_text=True)
    assert "甲课程" in page and f'<option value="{second.id}">乙课程</option>' in page
    assert client.post(base, data={"csrf_token": token, "course_id": second.id}).status_code == 302
    move = {"csrf_token": token, "course_id": second.id, "direction": "up"}
    assert client.post(f"{base}/move", data=move).status_code == 302
    make.session.expire_all()
    assert [c.name for c in project.courses] == ["乙课程", "甲课程"]
    detach = client.post(f"{base}/{first.id}/detach", data={"csrf_token": token})
    assert detach.status_code == 302
    make.session.expire_all()
    assert [c.name for c in project.courses] == ["乙课程"]
    actions = make.session.scalars(
        select(AuditLog.action).where(AuditLog.action.like("project.course%")).order_by(AuditLog.id)
    ).all()
    assert actions == ["project.course_attach", "project.course_reorder", "project.course_detach"]
