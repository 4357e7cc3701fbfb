"""The claim package read back: roster with totals and those apart, summary per year, digest on
every page, full ID numbers only for the enterprise's own admin (audit-logged)."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from backend.models import AuditLog, Quiz, QuizAttempt, QuizKind, Role
from tests.factories import id_number

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
HOUR = 45 * 60


@pytest.fixture
def closed(client, make, admin_login, frozen_clock):
    """A closed project: 张三 passed the required assessment with 3 class hours, 李四 failed."""
    a = make.enterprise(name="甲公司")
    project = make.project(a, planned_class_hours=10, assessment_required=True)
    lesson = make.lesson(make.course(project), duration_s=20 * 3600)
    quiz = Quiz(project_id=project.id, title="结业考核", kind=QuizKind.ASSESSMENT)
    make.session.add(quiz)
    make.session.flush()
    people = []
    for n, (name, passed) in enumerate((("张三", True), ("李四", False)), start=1):
        trainee = make.trainee(a, name=name, id_number=id_number(900 + n), roster_seq=n)
        make.enrol(trainee, project)
        make.learning(trainee, lesson, T0 + timedelta(days=n), 3 * HOUR + 100)
        make.session.add(
            QuizAttempt(
                quiz_id=quiz.id,
                trainee_id=trainee.id,
                question_ids=[],
                option_orders={},
                submitted_at=T0,
                score=90 if passed else 30,
                passed=passed,
            )
        )
        people.append(trainee)
    hr = make.admin(Role.ENTERPRISE_ADMIN, a)
    csrf = admin_login(hr)
    response = client.post(
        f"/api/admin/projects/{project.id}/close",
        json={"reason": "提前完成"},
        headers={"X-CSRFToken": csrf},
    )
    assert response.status_code == 200, response.get_json()
    return {"project": project, "hr": hr, "digest": response.get_json()["digest"]}


def _download(client, project):
    response = client.get(f"/api/admin/projects/{project.id}/exports/claim?format=xlsx")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    data = response.data
    response.close()  # the streamed temporary file is closed and deleted
    return load_workbook(io.BytesIO(data))


def _values(sheet):
    return [[c for c in row] for row in sheet.iter_rows(values_only=True)]


def test_the_claim_roster_lists_apart_and_prints_the_digest(client, make, admin_login, closed):
    book = _download(client, closed["project"])
    roster, summary = book["申领名册"], book["汇总"]
    for sheet in (roster, summary):
        assert closed["digest"] in sheet.oddFooter.left.text
    rows = _values(roster)
    header = rows.index(
        ["序号", "姓名", "身份证号码", "课时", "可补贴课时", "补贴金额（元）", "考核结果"]
    )
    assert rows[header + 1] == [1, "张三", id_number(901), 3, 3, 90, "合格"]
    assert rows[header + 2][:6] == [None, "合计", "1 人", 3, 3, 90]
    apart = next(i for i, row in enumerate(rows) if row[0] and "不符合申领条件" in str(row[0]))
    assert rows[apart + 2] == [1, "李四", id_number(902), 3, 3, 0, "考核未通过"]
    assert any("企业负责人（签字）" in str(row[0]) for row in rows)
    assert Decimal(str(rows[header + 1][5])) == Decimal("90")

    summary_rows = _values(summary)
    assert ["2026 年", 1, 3, 3, 90] in summary_rows
    assert ["合计", 1, 3, 3, 90] in summary_rows

    reveals = make.session.scalar(
        select(func.count()).where(AuditLog.action == "pii.reveal_id_number")
    )
    assert reveals == 2
    entry = make.session.scalar(select(AuditLog).where(AuditLog.action == "export.claim"))
    assert entry.detail["full_numbers"] is True


def test_others_see_masked_numbers(client, make, admin_login, closed):
    admin_login(make.admin(Role.REVIEWER))
    rows = _values(_download(client, closed["project"])["申领名册"])
    assert not any(id_number(901) in str(cell) for row in rows for cell in row)
    assert any(
        str(cell).endswith(id_number(901)[-4:]) and "*" in str(cell) for row in rows for cell in row
    )


def test_an_open_project_has_no_claim_package(client, make, admin_login):
    project = make.project()
    admin_login(make.admin(Role.OPERATOR))
    response = client.get(f"/api/admin/projects/{project.id}/exports/claim?format=xlsx")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"
