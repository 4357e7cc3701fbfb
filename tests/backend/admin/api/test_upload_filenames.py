"""Uploaded file names as stored (issue 25): a NUL in one answered 500 (PostgreSQL refuses it);
path separators, control characters and overlong names are cleaned at one place."""

from __future__ import annotations

import io

import pytest

from backend.models import Role
from tests import rosters
from tests.content_helpers import ContentAdmin, pdf

NAMES = {
    "手\x00册.pdf": "手册.pdf",
    "/home/张三/手册.pdf": "手册.pdf",
    "../../etc/\x1b[31m手册.pdf": "[31m手册.pdf",
    "长" * 300 + ".pdf": "长" * 251 + ".pdf",
}


@pytest.mark.parametrize("sent", list(NAMES))
def test_a_lesson_file_name_is_stored_clean(client, make, admin_login, sent):
    company = make.enterprise()
    admin = make.admin(Role.ENTERPRISE_ADMIN, enterprise=company)
    make.session.commit()
    hr = ContentAdmin(client, admin_login(admin))
    course = hr.create_course(company.id)
    lesson = hr.upload(course["id"], pdf(2), kind="document", filename=sent, duration_s="600")
    assert lesson["media"]["filename"] == NAMES[sent]


def test_a_roster_file_name_with_nul_is_imported(client, make, admin_login):
    enterprise = make.enterprise()
    admin = make.admin(Role.ENTERPRISE_ADMIN, enterprise=enterprise)
    project = make.project(enterprise)
    make.session.commit()
    token = admin_login(admin)
    response = client.post(
        f"/api/admin/projects/{project.id}/roster-imports",
        data={"file": (io.BytesIO(rosters.csv_bytes([rosters.person(1)])), "名\x00册.csv")},
        headers={"X-CSRFToken": token},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    body = response.get_json()
    assert body["ok"] and body["filename"] == "名册.csv"
