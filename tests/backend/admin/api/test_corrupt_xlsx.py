"""Damaged, hostile or oversized xlsx uploads (roster and question bank) through the admin API:
the import's readable error as JSON, and nothing written."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from backend.models import Question, Role, Trainee
from tests import hostile_xlsx, rosters

GOOD_QUESTION = ["单选题", "安全帽的作用是？", "装饰", "防护头部", None, None, None, None, "B"]
OVERSIZED = {
    "huge_row": (hostile_xlsx.huge_row, "超过 256 列"),
    "many_rows": (hostile_xlsx.many_rows, "行（带格式的空行也计入）"),
    # One shared string of 8 million characters used by 12,000 cells (issue 25).
    "shared_string_bomb": (hostile_xlsx.shared_string_bomb, "单元格超过 32767 个字"),
    # Each cell within Excel's limit, the sheet 384 million characters.
    "shared_string_expansion": (
        lambda data: hostile_xlsx.shared_string_bomb(data, characters=32_000),
        "工作表文字过多（超过 4000000 个字）",
    ),
}
# The bank's smaller unpacked limit (40 MB) would refuse 3 million numbers before the sheet is
# read; 3 million empty cells (12 MB) reach the row check.
BANK_OVERSIZED = OVERSIZED | {
    "huge_row": (lambda data: hostile_xlsx.huge_row(data, cell=b"<c/>"), "超过 256 列")
}


@pytest.fixture
def hr_project(make, admin_login):
    """A project, and the CSRF token of its enterprise admin, signed in."""
    enterprise = make.enterprise()
    admin = make.admin(Role.ENTERPRISE_ADMIN, enterprise=enterprise)
    project = make.project(enterprise)
    make.session.commit()
    return project, admin_login(admin)


@pytest.fixture
def operator_course(make, admin_login):
    """A course, and the CSRF token of a signed-in operator."""
    course = make.course()
    return course, admin_login(make.admin(Role.OPERATOR))


def _post(client, url: str, data: bytes, filename: str, csrf: str):
    return client.post(
        url,
        data={"file": (io.BytesIO(data), filename)},
        headers={"X-CSRFToken": csrf},
        content_type="multipart/form-data",
    )


def _roster(client, project, data: bytes, csrf: str):
    url = f"/api/admin/projects/{project.id}/roster-imports"
    return _post(client, url, data, "roster.xlsx", csrf)


def _bank(client, course, data: bytes, csrf: str):
    return _post(
        client, f"/api/admin/courses/{course.id}/questions/import", data, "题库.xlsx", csrf
    )


def _count(make, model) -> int:
    return make.session.scalar(select(func.count(model.id)))


@pytest.mark.parametrize("damage", list(hostile_xlsx.DAMAGES))
def test_a_damaged_roster_is_a_readable_error(client, make, hr_project, damage):
    project, csrf = hr_project
    good = rosters.xlsx_bytes([rosters.person(1)])
    assert _roster(client, project, good, csrf).get_json()["ok"]
    data = hostile_xlsx.rewrite_sheet(good, hostile_xlsx.DAMAGES[damage])
    response = _roster(client, project, data, csrf)
    assert response.status_code == 400, response.get_json()
    error = response.get_json()["error"]
    assert error == {"code": "unreadable_file", "message": error["message"]}
    assert error["message"] == "Excel 文件已损坏或无法读取，请重新保存后上传"
    assert _count(make, Trainee) == 0


@pytest.mark.parametrize("damage", list(hostile_xlsx.DAMAGES))
def test_a_damaged_question_bank_is_a_readable_error(client, make, operator_course, damage):
    course, csrf = operator_course
    good = hostile_xlsx.bank_bytes([GOOD_QUESTION])
    data = hostile_xlsx.rewrite_sheet(good, hostile_xlsx.DAMAGES[damage])
    response = _bank(client, course, data, csrf)
    assert response.status_code == 400, response.get_json()
    assert response.get_json()["error"]["code"] == "not_xlsx"
    assert "文件无法读取" in response.get_json()["error"]["message"]
    assert _count(make, Question) == 0
    # The same file undamaged imports: the damage is what was refused.
    assert _bank(client, course, good, csrf).status_code == 201


@pytest.mark.parametrize("oversize", list(OVERSIZED))
def test_an_oversized_roster_sheet_is_refused(client, make, hr_project, oversize):
    project, csrf = hr_project
    build, words = OVERSIZED[oversize]
    response = _roster(client, project, build(rosters.xlsx_bytes([rosters.person(1)])), csrf)
    assert response.status_code == 413, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "sheet_too_large" and words in error["message"]
    assert _count(make, Trainee) == 0


@pytest.mark.parametrize("oversize", list(OVERSIZED))
def test_an_oversized_question_bank_sheet_is_refused(client, make, operator_course, oversize):
    course, csrf = operator_course
    build, words = BANK_OVERSIZED[oversize]
    response = _bank(client, course, build(hostile_xlsx.bank_bytes([GOOD_QUESTION])), csrf)
    assert response.status_code == 413, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "sheet_too_large" and words in error["message"]
    assert _count(make, Question) == 0


def test_a_dimension_that_claims_a_huge_sheet_is_refused(client, make, hr_project):
    project, csrf = hr_project
    good = rosters.xlsx_bytes([rosters.person(1)])

    def claim_a_million_rows(xml: bytes) -> bytes:
        return re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:F1048576"', xml)

    response = _roster(
        client, project, hostile_xlsx.rewrite_sheet(good, claim_a_million_rows), csrf
    )
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "sheet_too_large"
    assert _count(make, Trainee) == 0


def test_a_dimension_that_claims_too_little_loses_no_one(client, hr_project):
    project, csrf = hr_project
    good = rosters.xlsx_bytes([rosters.person(n) for n in range(1, 4)])

    def claim_one_cell(xml: bytes) -> bytes:
        return re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1"', xml)

    # openpyxl's read-only mode stops where the tag says; the reader reads what is there.
    body = _roster(client, project, hostile_xlsx.rewrite_sheet(good, claim_one_cell), csrf)
    assert body.get_json()["ok"], body.get_json()
    assert body.get_json()["row_count"] == 3
