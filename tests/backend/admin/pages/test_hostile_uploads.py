"""Oversized and damaged xlsx uploads on the admin pages (roster and question bank): a readable
message on the form, and nothing written."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from backend.models import Question, Role, Trainee
from tests import hostile_xlsx, rosters

QUESTION = ["单选题", "安全帽的作用是？", "装饰", "防护头部", None, None, None, None, "B"]
ROSTER_FILES = {
    "huge_row": (hostile_xlsx.huge_row, "工作表第 1 行超过 256 列"),
    "many_rows": (hostile_xlsx.many_rows, "行（带格式的空行也计入），请删除多余的行或分批导入"),
    "dtd_entity": (
        lambda data: hostile_xlsx.rewrite_sheet(data, hostile_xlsx.dtd_entity),
        "Excel 文件已损坏或无法读取",
    ),
    # One shared string of 8 million characters used by 12,000 cells (issue 25).
    "shared_string_bomb": (hostile_xlsx.shared_string_bomb, "单元格超过 32767 个字"),
    # Each cell within Excel's limit, the sheet 384 million characters.
    "shared_string_expansion": (
        lambda data: hostile_xlsx.shared_string_bomb(data, characters=32_000),
        "工作表文字过多（超过 4000000 个字）",
    ),
}
BANK_FILES = ROSTER_FILES | {
    # 3 million empty cells: 3 million numbers would pass the bank's 40 MB unpacked limit.
    "huge_row": (
        lambda data: hostile_xlsx.huge_row(data, cell=b"<c/>"),
        "工作表第 1 行超过 256 列",
    ),
    "dtd_entity": (
        lambda data: hostile_xlsx.rewrite_sheet(data, hostile_xlsx.dtd_entity),
        "文件无法读取，请使用题库导入模板",
    ),
}


def _page_csrf(client, url: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(url).text).group(1)


@pytest.mark.parametrize("kind", list(ROSTER_FILES))
def test_the_roster_page_refuses_the_file_readably(client, make, admin_login, kind):
    enterprise = make.enterprise()
    admin = make.admin(Role.ENTERPRISE_ADMIN, enterprise=enterprise)
    project = make.project(enterprise)
    make.session.commit()
    admin_login(admin)
    url = f"/admin/projects/{project.id}/roster/import"
    build, message = ROSTER_FILES[kind]
    data = build(rosters.xlsx_bytes([rosters.person(1)]))
    response = client.post(
        url,
        data={"csrf_token": _page_csrf(client, url), "file": (io.BytesIO(data), "名册.xlsx")},
        content_type="multipart/form-data",
    )
    assert 400 <= response.status_code < 500
    assert message in response.text and "<form" in response.text
    assert "/roster/imports/" not in response.text  # no preview to confirm
    assert make.session.scalar(select(func.count(Trainee.id))) == 0


@pytest.mark.parametrize("kind", list(BANK_FILES))
def test_the_question_bank_page_refuses_the_file_readably(client, make, admin_login, kind):
    course = make.course()
    admin_login(make.admin(Role.OPERATOR))
    bank_url = f"/admin/courses/{course.id}/questions"
    build, message = BANK_FILES[kind]
    data = build(hostile_xlsx.bank_bytes([QUESTION]))
    response = client.post(
        f"/admin/courses/{course.id}/questions/import",
        data={"csrf_token": _page_csrf(client, bank_url), "file": (io.BytesIO(data), "题库.xlsx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert message in response.text
    assert make.session.scalar(select(func.count(Question.id))) == 0
