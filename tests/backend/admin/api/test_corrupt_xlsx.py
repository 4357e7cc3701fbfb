"""Damaged or hostile xlsx uploads (roster and question bank) get the import's readable error
and write nothing: truncated sheet XML, an invalid character reference, a DTD entity."""

from __future__ import annotations

import io
import zipfile

import pytest
from sqlalchemy import func, select

from backend.models import Question, Role, Trainee
from tests import rosters

SHEET = "xl/worksheets/sheet1.xml"


def _rewrite_sheet(data: bytes, change) -> bytes:
    """The same workbook with its first sheet's XML passed through ``change``."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == SHEET:
                content = change(content)
            dst.writestr(info, content)
    return out.getvalue()


def _truncated(xml: bytes) -> bytes:
    return xml[: len(xml) // 2]


def _nul_reference(xml: bytes) -> bytes:
    return xml.replace(b"<v>", b"<v>&#0;", 1).replace(b"<t>", b"<t>&#0;", 1)


def _dtd_entity(xml: bytes) -> bytes:
    head, _, rest = xml.partition(b"?>")
    dtd = b'<!DOCTYPE worksheet [<!ENTITY boom "' + b"x" * 64 + b'">]>'
    return head + b"?>" + dtd + rest.replace(b"<t>", b"<t>&boom;", 1)


DAMAGES = {"truncated": _truncated, "nul_reference": _nul_reference, "dtd_entity": _dtd_entity}


@pytest.mark.parametrize("damage", list(DAMAGES))
def test_a_damaged_roster_is_a_readable_error(client, make, admin_login, damage):
    enterprise = make.enterprise()
    admin = make.admin(Role.ENTERPRISE_ADMIN, enterprise=enterprise)
    project = make.project(enterprise)
    make.session.commit()
    csrf = admin_login(admin)
    data = _rewrite_sheet(rosters.xlsx_bytes([rosters.person(1)]), DAMAGES[damage])
    response = client.post(
        f"/api/admin/projects/{project.id}/roster-imports",
        data={"file": (io.BytesIO(data), "roster.xlsx")},
        headers={"X-CSRFToken": csrf},
        content_type="multipart/form-data",
    )
    assert response.status_code in (400, 422), response.get_json()
    assert response.get_json()["error"]["code"] in ("unreadable_file", "validation_error")
    assert make.session.scalar(select(func.count(Trainee.id))) == 0


@pytest.mark.parametrize("damage", list(DAMAGES))
def test_a_damaged_question_bank_is_a_readable_error(client, make, admin_login, damage):
    from openpyxl import Workbook

    course = make.course()
    csrf = admin_login(make.admin(Role.OPERATOR))
    book = Workbook()
    book.active.append(["题型", "题干", "选项A", "选项B", "选项C", "选项D", "选项E", "选项F"])
    book.active.append(["单选题", "安全帽的作用是？", "装饰", "防护头部"])
    raw = io.BytesIO()
    book.save(raw)
    data = _rewrite_sheet(raw.getvalue(), DAMAGES[damage])
    response = client.post(
        f"/api/admin/courses/{course.id}/questions/import",
        data={"file": (io.BytesIO(data), "题库.xlsx")},
        headers={"X-CSRFToken": csrf},
        content_type="multipart/form-data",
    )
    assert 400 <= response.status_code < 500, response.get_json()
    assert "error" in response.get_json()
    assert make.session.scalar(select(func.count(Question.id))) == 0
