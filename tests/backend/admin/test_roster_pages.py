"""The roster import pages: upload → preview → confirm, with readable errors and CSRF."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from backend.models import AuditLog, Role, Trainee
from tests import rosters


@pytest.fixture
def hr(make, admin_login):
    """Enterprise A's admin signed in; returns (project, csrf)."""
    enterprise = make.enterprise()
    admin = make.admin(Role.ENTERPRISE_ADMIN, enterprise=enterprise)
    project = make.project(enterprise)
    make.session.commit()
    return project, admin_login(admin)


def post_file(client, project, data, filename, csrf):
    """Submit the upload form."""
    form = {"file": (io.BytesIO(data), filename)}
    if csrf:
        form["csrf_token"] = csrf
    return client.post(
        f"/admin/projects/{project.id}/roster/import",
        data=form,
        content_type="multipart/form-data",
    )


def test_upload_preview_confirm(client, make, hr):
    project, csrf = hr
    form = client.get(f"/admin/projects/{project.id}/roster/import")
    assert form.status_code == 200 and 'enctype="multipart/form-data"' in form.text
    data = rosters.xlsx_bytes([rosters.person(1), rosters.person(2)])
    preview = post_file(client, project, data, "名册.xlsx", csrf)
    assert preview.status_code == 200
    assert "全部 2 行校验通过" in preview.text and "导入学员1" in preview.text
    assert rosters.person(1)[3] not in preview.text  # only masked numbers on screen
    action = re.search(r'action="(/admin/roster/imports/[^"]+/confirm)"', preview.text).group(1)
    assert make.session.scalar(select(func.count(Trainee.id))) == 0

    refused = client.post(action, data={})  # no CSRF token
    assert refused.status_code == 400
    done = client.post(action, data={"csrf_token": csrf})
    assert done.status_code == 302
    assert done.headers["Location"].endswith(f"/admin/projects/{project.id}/exports")
    assert "已导入 2 名学员" in client.get(done.headers["Location"]).text
    assert make.session.scalar(select(func.count(Trainee.id))) == 2
    assert make.session.scalars(select(AuditLog).where(AuditLog.action == "roster.import")).one()


def test_preview_lists_row_errors_in_chinese(client, make, hr):
    project, csrf = hr
    bad = rosters.person(2, mobile="12345", sex="女")
    response = post_file(
        client, project, rosters.csv_bytes([rosters.person(1), bad]), "r.csv", csrf
    )
    assert response.status_code == 422
    text = response.text
    assert "未导入任何数据" in text and "手机号码格式不正确" in text and "与所填性别不一致" in text
    assert "<td>3</td><td>性别</td>" in text and "<td>3</td><td>手机号码</td>" in text
    assert "/confirm" not in text


def test_upload_form_needs_csrf(client, hr):
    project, _ = hr
    response = post_file(client, project, rosters.csv_bytes([rosters.person(1)]), "r.csv", None)
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("data", "filename", "status", "fragment"),
    [
        (b"%PDF-1.4", "r.pdf", 400, "只能上传 Excel（.xlsx）或 CSV（.csv）"),
        (b"PK\x03\x04garbage", "r.xlsx", 400, "Excel 文件已损坏或无法读取"),
    ],
)
def test_bad_files_give_a_readable_page(client, hr, data, filename, status, fragment):
    project, csrf = hr
    response = post_file(client, project, data, filename, csrf)
    assert response.status_code == status
    assert fragment in response.text and "<form" in response.text


def test_oversized_upload_gives_a_readable_page(client, app, hr):
    project, csrf = hr
    boundary = "XyZ"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{csrf}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="r.csv"\r\n\r\n'
        ).encode()
        + b"a" * (app.config["MAX_CONTENT_LENGTH"] + 1)
        + f"\r\n--{boundary}--\r\n".encode()
    )
    response = client.post(
        f"/admin/projects/{project.id}/roster/import",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert response.status_code == 413
    assert "文件超过 1 MB 上限" in response.text and response.mimetype == "text/html"


def test_a_second_import_lists_differences_and_applies_only_the_ticked_rows(client, make, hr):
    project, csrf = hr
    other = make.project(project.enterprise)
    make.session.commit()
    first = post_file(client, project, rosters.xlsx_bytes([rosters.person(1)]), "a.xlsx", csrf)
    action = re.search(r'action="(/admin/roster/imports/[^"]+/confirm)"', first.text).group(1)
    client.post(action, data={"csrf_token": csrf})

    renamed = rosters.xlsx_bytes([rosters.person(1, name="改名学员")])
    preview = post_file(client, other, renamed, "b.xlsx", csrf)
    assert "1 人已在本企业学员名册中" in preview.text
    assert "导入学员1" in preview.text and "改名学员" in preview.text
    assert 'name="accept_row" value="5"' in preview.text  # title lines, header, then row 5
    action = re.search(r'action="(/admin/roster/imports/[^"]+/confirm)"', preview.text).group(1)
    done = client.post(action, data={"csrf_token": csrf, "accept_row": "5"})
    assert done.status_code == 302
    assert "按名册更新了 1 人的信息" in client.get(done.headers["Location"]).text
    make.session.expire_all()
    assert make.session.scalars(select(Trainee.name)).all() == ["改名学员"]
