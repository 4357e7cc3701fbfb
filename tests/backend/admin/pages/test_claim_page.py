"""The claim page: close with a reason, see the frozen figures, submit, review."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from backend.models import ClaimStatus, ProjectStatus, Role
from backend.services.claims.closing import claim_of

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def test_close_submit_and_review_on_the_page(client, make, admin_login, frozen_clock):
    a = make.enterprise(name="甲公司")
    project = make.project(a, name="甲项目")
    lesson = make.lesson(make.course(project))
    trainee = make.trainee(a, name="张三")
    make.enrol(trainee, project)
    make.learning(trainee, lesson, T0, 2 * 2700)
    hr = make.admin(Role.ENTERPRISE_ADMIN, a)
    reviewer = make.admin(Role.REVIEWER, cities=["4403"])
    make.session.commit()
    admin_login(hr)
    url = f"/admin/projects/{project.id}/claim"
    page = client.get(url).get_data(as_text=True)
    assert "结束项目并冻结数据" in page
    early = client.post(f"/admin/projects/{project.id}/close", data={"csrf_token": _csrf(page)})
    assert early.status_code == 302
    assert "提前结束请填写理由" in client.get(url).get_data(as_text=True)
    assert project.status is ProjectStatus.APPROVED

    page = client.get(url).get_data(as_text=True)
    client.post(
        f"/admin/projects/{project.id}/close",
        data={"csrf_token": _csrf(page), "reason": "订单完成"},
    )
    page = client.get(url).get_data(as_text=True)
    assert "已结项，未提交申领" in page and "张三" in page and "60.00" in page
    client.post(f"/admin/projects/{project.id}/claim/submit", data={"csrf_token": _csrf(page)})

    admin_login(reviewer)
    page = client.get(url).get_data(as_text=True)
    assert "已提交申领，待审核" in page
    client.post(
        f"/admin/projects/{project.id}/claim/review",
        data={"csrf_token": _csrf(page), "decision": "approved"},
    )
    make.session.expire_all()
    page = client.get(url).get_data(as_text=True)
    assert "申领审核通过" in page
    assert claim_of(project).status is ClaimStatus.APPROVED
