"""C0 control characters (issue 25): refused at every text input, and text stored before the
rule never breaks an xlsx export (a stem with \\u001f made questions.xlsx answer 500 for good)."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook

from backend.models import Role
from tests import hostile_xlsx, rosters

CONTROLS = ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1b", "\x1f"]


@pytest.mark.parametrize("char", CONTROLS)
def test_a_question_with_a_control_character_is_refused(client, make, admin_login, char):
    course = make.course()
    token = admin_login(make.admin(Role.OPERATOR))
    url = f"/api/admin/courses/{course.id}/questions"
    body = {"kind": "single", "stem": f"选哪个{char}？", "options": ["甲", "乙"], "answer": "b"}
    response = client.post(url, json=body, headers={"X-CSRFToken": token})
    assert response.status_code == 422, response.get_json()
    option = {**body, "stem": "选哪个？", "options": ["甲", f"乙{char}"]}
    assert client.post(url, json=option, headers={"X-CSRFToken": token}).status_code == 422
    # Tab and newline are text.
    fine = {**body, "stem": "第一行\n第二行\t选哪个？"}
    assert client.post(url, json=fine, headers={"X-CSRFToken": token}).status_code == 201


def test_a_bank_file_with_a_control_character_is_refused(client, make, admin_login):
    course = make.course()
    token = admin_login(make.admin(Role.OPERATOR))
    # openpyxl will not write one; the XML escape _x001F_ is how Excel stores it.
    good = hostile_xlsx.bank_bytes([["单选题", "STEM", "甲", "乙", None, None, None, None, "B"]])
    data = hostile_xlsx.rewrite_sheet(good, lambda xml: xml.replace(b"STEM", b"a_x001F_b"))
    response = client.post(
        f"/api/admin/courses/{course.id}/questions/import",
        data={"file": (io.BytesIO(data), "题库.xlsx")},
        headers={"X-CSRFToken": token},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["error"]["code"] == "import_rows_invalid"


def test_the_bank_export_survives_control_characters_already_stored(client, make, admin_login):
    course = make.course()
    make.question(course, stem="旧题\x1f干", options=["甲\x01", "乙"], explanation="解\x0b析")
    token = admin_login(make.admin(Role.OPERATOR))
    assert token
    response = client.get(f"/admin/courses/{course.id}/questions.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert [c.value for c in sheet[2]][1:3] == ["旧题干", "甲"]


def _page_csrf(client, url: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(url).text).group(1)


def test_an_admin_form_with_a_control_character_is_refused(client, make, admin_login):
    admin_login(make.admin(Role.OPERATOR))
    url = "/admin/enterprises"
    response = client.get(url, query_string={"q": "abc\x1f"})
    assert response.status_code == 400
    assert "无法保存的字符" in response.text


def test_a_trainee_support_message_with_a_control_character_is_refused(client, make):
    from tests.learning_driver import enrolled

    _, _, trainee = enrolled(make)
    make.session.commit()
    from backend.services.accounts import tokens

    token = tokens.issue_token(trainee.id)[0]
    response = client.post(
        "/api/v1/support/threads",
        json={"subject": "问题\x1b[31m", "body": "内容"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 422, response.get_json()


def test_a_roster_name_with_a_control_character_is_refused(client, make, admin_login):
    enterprise = make.enterprise()
    admin = make.admin(Role.ENTERPRISE_ADMIN, enterprise=enterprise)
    project = make.project(enterprise)
    make.session.commit()
    token = admin_login(admin)
    data = rosters.csv_bytes([rosters.person(1, name="张\x1f三")])
    response = client.post(
        f"/api/admin/projects/{project.id}/roster-imports",
        data={"file": (io.BytesIO(data), "roster.csv")},
        headers={"X-CSRFToken": token},
        content_type="multipart/form-data",
    )
    body = response.get_json()
    assert body["ok"] is False and body["row_count"] == 1, body
