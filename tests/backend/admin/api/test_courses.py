"""The course library and a project's course list through the admin API."""

import pytest
from sqlalchemy import select

from backend.models import AuditLog, Role
from tests.content_helpers import ContentAdmin


@pytest.fixture
def company(make):
    return make.enterprise(name="甲企业")


@pytest.fixture
def hr(client, make, company, admin_login):
    admin = make.admin(Role.ENTERPRISE_ADMIN, enterprise=company)
    make.session.commit()
    return ContentAdmin(client, admin_login(admin))


def test_library_create_change_list_and_retire(client, make, company, hr):
    first = hr.create_course(company.id, name="安全生产", summary="规程")
    second = hr.create_course(company.id, name="质量管理")
    make.course(enterprise=make.enterprise())  # another enterprise's library
    listed = hr.call("GET", "/api/admin/courses")["courses"]
    assert [c["id"] for c in listed] == [first["id"], second["id"]]
    changed = hr.call("PATCH", f"/api/admin/courses/{first['id']}", json={"summary": "新要点"})
    assert (changed["name"], changed["summary"]) == ("安全生产", "新要点")
    retired = hr.call("POST", f"/api/admin/courses/{second['id']}/retire")
    assert retired["retired"] is True
    assert [c["id"] for c in hr.call("GET", "/api/admin/courses")["courses"]] == [first["id"]]
    everything = hr.call("GET", "/api/admin/courses?include_retired=true")["courses"]
    assert len(everything) == 2
    actions = make.session.scalars(
        select(AuditLog.action).where(AuditLog.action.like("course.%")).order_by(AuditLog.id)
    ).all()
    assert actions == ["course.create", "course.create", "course.update", "course.retire"]


def test_another_enterprise_is_404_and_bad_bodies_422(make, company, hr):
    other = make.enterprise()
    foreign = make.course(enterprise=other)
    make.session.commit()
    assert hr.create_course(other.id, expect=404)["error"]["code"] == "not_found"
    assert hr.call("GET", f"/api/admin/courses/{foreign.id}", expect=404)
    assert hr.call("PATCH", f"/api/admin/courses/{foreign.id}", expect=404, json={"name": "x"})
    assert hr.create_course(company.id, name="", expect=422)["error"]["code"] == "validation_error"
    bad = hr.call("POST", "/api/admin/courses", expect=422, json={"name": "x"})
    assert bad["error"]["code"] == "validation_error"


def test_reviewers_read_only(client, make, company, admin_login):
    course = make.course(enterprise=company)
    reviewer = make.admin(Role.REVIEWER)
    make.session.commit()
    as_reviewer = ContentAdmin(client, admin_login(reviewer))
    assert as_reviewer.call("GET", f"/api/admin/courses/{course.id}")["id"] == course.id
    as_reviewer.create_course(company.id, expect=403)
    as_reviewer.call("POST", f"/api/admin/courses/{course.id}/retire", expect=403)


def test_attach_reorder_and_detach(make, company, hr, frozen_clock):
    project = make.project(company)
    a, b, c = (hr.create_course(company.id, name=n)["id"] for n in ("甲", "乙", "丙"))
    path = f"/api/admin/projects/{project.id}/courses"
    for course_id in (a, b, c):
        hr.call("POST", path, expect=201, json={"course_id": course_id})
    assert [row["id"] for row in hr.call("GET", path)["courses"]] == [a, b, c]
    again = hr.call("POST", path, expect=409, json={"course_id": a})
    assert again["error"]["code"] == "course_already_attached"
    reordered = hr.call("PUT", path, json={"course_ids": [c, a, b]})
    order = [(row["id"], row["position"]) for row in reordered["courses"]]
    assert order == [(c, 0), (a, 1), (b, 2)]
    wrong = hr.call("PUT", path, expect=422, json={"course_ids": [c, a]})
    assert wrong["error"]["code"] == "course_order_mismatch"
    hr.call("DELETE", f"{path}/{a}", expect=204)
    assert [row["id"] for row in hr.call("GET", path)["courses"]] == [c, b]
    assert hr.call("DELETE", f"{path}/{a}", expect=404)["error"]["code"] == "course_not_attached"


def test_what_cannot_be_attached_or_detached(make, company, hr, frozen_clock, admin_login, client):
    project = make.project(company)
    path = f"/api/admin/projects/{project.id}/courses"
    retired = make.course(enterprise=company, retired=True)
    foreign = make.course(enterprise=make.enterprise())
    learned = make.course(project)
    lesson = make.lesson(learned)
    trainee = make.trainee(company)
    make.enrol(trainee, project)
    make.credited_span(trainee, lesson, frozen_clock.now(), 60)
    closed = make.project(company, status="closed")
    operator = make.admin(Role.OPERATOR)
    make.session.commit()
    assert hr.call("POST", path, expect=409, json={"course_id": retired.id})["error"]["code"] == (
        "course_retired"
    )
    assert hr.call("POST", path, expect=404, json={"course_id": foreign.id})
    refused = hr.call("DELETE", f"{path}/{learned.id}", expect=409)
    assert refused["error"]["code"] == "course_has_credit"
    closed_path = f"/api/admin/projects/{closed.id}/courses"
    shut = hr.call("POST", closed_path, expect=409, json={"course_id": learned.id})
    assert shut["error"]["code"] == "project_closed"
    as_operator = ContentAdmin(client, admin_login(operator))
    cross = as_operator.call("POST", path, expect=422, json={"course_id": foreign.id})
    assert cross["error"]["code"] == "course_other_enterprise"


def test_the_admin_openapi_document_lists_the_content_api(client, make, company, hr):
    document = hr.call("GET", "/api/admin/openapi.json")
    upload = document["paths"]["/api/admin/courses/{course_id}/lessons"]["post"]
    schema = upload["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert schema["properties"]["file"] == {"type": "string", "format": "binary"}
    for path in ("/api/admin/courses", "/api/admin/projects/{project_id}/courses"):
        assert path in document["paths"]
