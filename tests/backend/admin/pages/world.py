"""A small world for the admin page tests: enterprises A and B, a project and a trainee in A."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from backend.models import (
    Enterprise,
    Project,
    ProjectStatus,
    Role,
    Trainee,
)

ROLES = ("operator", "hr_a", "hr_b", "reviewer", "anon")


@dataclass
class World:
    """The objects every page test refers to."""

    a: Enterprise
    b: Enterprise
    project: Project
    draft: Project
    filed: Project
    trainee: Trainee
    unbound: Trainee


def build(make, span_minutes: int = 100) -> World:
    """Enterprises A and B; in A an approved, a draft and a filed project, and a bound trainee."""
    a = make.enterprise(name="甲公司")
    b = make.enterprise(name="乙公司")
    project = make.project(a, name="甲公司适岗培训")
    make.plan_row(project)
    draft = make.project(a, name="甲公司草稿项目", status=ProjectStatus.DRAFT)
    make.plan_row(draft)
    make.teaching(draft)
    filed = make.project(a, name="甲公司待审项目", status=ProjectStatus.FILED)
    make.plan_row(filed)
    trainee = make.trainee(
        a, name="张三", roster_seq=1, wx_openid="openid-zhangsan", bound_at=_at(0)
    )
    make.enrol(trainee, project)
    unbound = make.trainee(a, name="李四", roster_seq=2)
    make.enrol(unbound, project)
    if span_minutes:
        add_span(make, trainee, project, _at(60), span_minutes)
    make.session.commit()
    return World(a, b, project, draft, filed, trainee, unbound)


def _at(minutes: int) -> datetime:
    return datetime(2026, 3, 2, 1, 0, tzinfo=UTC) + timedelta(minutes=minutes)


def add_span(make, trainee, project, start: datetime, minutes: int, device: str = "iPhone 15"):
    """A closed learning session of ``minutes`` with one credited span."""
    lesson = make.lesson(make.course(project))
    session = make.ended_session(trainee, lesson, start, minutes * 60, device=device, credited_s=0)
    make.credited_span(trainee, lesson, start, minutes * 60, session=session, device=device)
    return session


def sign_in(role: str, world: World, make, admin_login, client) -> str:
    """Sign in as ``role`` and return a CSRF token valid for the session."""
    if role == "anon":
        page = client.get("/admin/login").get_data(as_text=True)
        return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    admin = {
        "operator": lambda: make.admin(Role.OPERATOR),
        "hr_a": lambda: make.admin(Role.ENTERPRISE_ADMIN, enterprise=world.a),
        "hr_b": lambda: make.admin(Role.ENTERPRISE_ADMIN, enterprise=world.b),
        "reviewer": lambda: make.admin(Role.REVIEWER),
    }[role]()
    make.session.commit()
    return admin_login(admin)


def sign_in_other(test_client, make, role: str) -> str:
    """Sign a second test client in as a fresh admin of ``role`` (operator or reviewer)."""
    from tests.factories import ADMIN_PASSWORD

    admin = make.admin(Role(role))
    make.session.commit()
    page = test_client.get("/admin/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    data = {"username": admin.username, "password": ADMIN_PASSWORD, "csrf_token": token}
    assert test_client.post("/admin/login", data=data).status_code == 302
    return test_client.get("/api/admin/me").get_json()["csrf_token"]
