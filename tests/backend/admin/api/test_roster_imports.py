"""Roster import over the admin JSON API: preview errors for every kind of bad row, confirm."""

from __future__ import annotations

import io
import zipfile

import pytest
from sqlalchemy import func, select

from backend import pii
from backend.models import AuditLog, Enrolment, Role, Trainee
from tests import rosters
from tests.factories import id_number


@pytest.fixture
def hr(make, admin_login):
    """Enterprise A's admin signed in, with a project; returns (admin, project, csrf)."""
    enterprise = make.enterprise(name="甲企业")
    admin = make.admin(Role.ENTERPRISE_ADMIN, enterprise=enterprise)
    project = make.project(enterprise)
    make.session.commit()
    return admin, project, admin_login(admin)


def upload(client, csrf, project_id, data: bytes, filename: str = "roster.csv"):
    """POST a roster file for a preview."""
    return client.post(
        f"/api/admin/projects/{project_id}/roster-imports",
        data={"file": (io.BytesIO(data), filename)},
        headers={"X-CSRFToken": csrf},
        content_type="multipart/form-data",
    )


def trainee_count(make) -> int:
    """How many trainees exist."""
    return make.session.scalar(select(func.count(Trainee.id)))


def test_clean_csv_previews_then_confirms_in_one_transaction(client, make, hr, redis_client):
    admin, project, csrf = hr
    data = rosters.csv_bytes([rosters.person(1), rosters.person(2, "female")])
    preview = upload(client, csrf, project.id, data)
    assert preview.status_code == 200, preview.get_json()
    body = preview.get_json()
    assert body["ok"] and body["errors"] == [] and body["row_count"] == 2
    assert (body["male"], body["female"]) == (1, 1)
    assert body["sample"][0]["id_number"].count("*") == 8  # masked in the preview
    assert trainee_count(make) == 0  # nothing imported before confirming
    key = next(iter(redis_client.scan_iter(match="*roster_import*")))
    assert id_number(9001) not in redis_client.get(key)  # the stash is encrypted

    done = client.post(
        f"/api/admin/roster-imports/{body['import_id']}/confirm", headers={"X-CSRFToken": csrf}
    )
    assert done.status_code == 201, done.get_json()
    ids = done.get_json()["trainee_ids"]
    assert done.get_json()["created"] == 2
    make.session.expire_all()
    trainees = [make.session.get(Trainee, i) for i in ids]
    assert [t.account for t in trainees] == ["import1", "import2"]
    assert trainees[0].id_number_hash == pii.blind_index(id_number(9001))
    assert id_number(9001) not in trainees[0].id_number_enc
    enrolled = make.session.scalars(
        select(Enrolment.trainee_id).where(Enrolment.project_id == project.id)
    ).all()
    assert sorted(enrolled) == sorted(ids)
    entry = make.session.scalars(select(AuditLog).where(AuditLog.action == "roster.import")).one()
    assert entry.actor_id == admin.id and entry.object_id == project.id
    assert entry.detail["trainee_ids"] == ids and entry.detail["created"] == 2
    assert id_number(9001) not in str(entry.detail)
    # The preview is used up: a second confirm finds nothing.
    again = client.post(
        f"/api/admin/roster-imports/{body['import_id']}/confirm", headers={"X-CSRFToken": csrf}
    )
    assert again.status_code == 404


def _bad_id_checksum():
    good = id_number(9001)
    return good[:17] + ("0" if good[17] != "0" else "1")


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ([rosters.person(1, id=_bad_id_checksum())], (5, "身份证号码", "校验位不正确")),
        ([rosters.person(1, id="440106199002300011")], (5, "身份证号码", "出生日期不存在")),
        ([rosters.person(1, sex="女")], (5, "性别", "与所填性别不一致")),
        ([rosters.person(1, mobile="1234567")], (5, "手机号码", "手机号码格式不正确")),
        ([rosters.person(1, account="a b")], (5, "平台登录账号", "平台登录账号应为")),
        ([rosters.person(1, name="")], (5, "姓名", "姓名不能为空")),
        (
            [rosters.person(1), rosters.person(2, account="import1")],
            (6, "平台登录账号", "与第 5 行重复"),
        ),
        (
            [rosters.person(1), rosters.person(2, id=id_number(9001))],
            (6, "身份证号码", "与第 5 行重复"),
        ),
        ([rosters.person(1, id=440106199001011234)], (5, "身份证号码", "存成了数字")),
    ],
    ids=[
        "bad_check_digit",
        "impossible_birth_date",
        "gender_mismatch",
        "bad_mobile",
        "bad_account",
        "missing_name",
        "duplicate_account_in_file",
        "duplicate_id_in_file",
        "id_stored_as_number",
    ],
)
def test_bad_rows_are_reported_and_nothing_is_imported(client, make, hr, rows, expected):
    _, project, csrf = hr
    response = upload(client, csrf, project.id, rosters.xlsx_bytes(rows), "名册.xlsx")
    assert response.status_code == 200
    body = response.get_json()
    assert not body["ok"] and body["import_id"] is None
    row, column, fragment = expected
    assert any(
        e["row"] == row and e["column"] == column and fragment in e["message"]
        for e in body["errors"]
    ), body["errors"]
    assert trainee_count(make) == 0


def test_account_taken_on_the_platform_is_an_error(client, make, hr):
    _, project, csrf = hr
    make.trainee(make.enterprise(), account="import1")
    make.session.commit()
    body = upload(client, csrf, project.id, rosters.csv_bytes([rosters.person(1)])).get_json()
    assert body["errors"] == [
        {"row": 2, "column": "平台登录账号", "message": "平台登录账号已被平台上的其他学员使用"}
    ]


def test_id_already_in_this_enterprise_is_recognised_and_another_enterprise_is_counted(
    client, make, hr
):
    _, project, csrf = hr
    known = make.trainee(project.enterprise, id_number=id_number(9001), account="old1")
    make.trainee(make.enterprise(), id_number=id_number(9002), account="old2")
    make.session.commit()
    rows = [rosters.person(1), rosters.person(2)]
    body = upload(client, csrf, project.id, rosters.csv_bytes(rows)).get_json()
    # The same person again: enrolled, not created; where the file differs, the admin decides.
    assert body["ok"] and body["existing"] == 1 and body["elsewhere"] == 1
    assert {(d["row"], d["column"], d["trainee_id"]) for d in body["differences"]} == {
        (2, "姓名", known.id),
        (2, "手机号码", known.id),
        (2, "平台登录账号", known.id),
    }


@pytest.mark.parametrize(
    ("data", "filename", "fragment"),
    [
        (rosters.csv_bytes([rosters.person(1)], header=rosters.HEADER[:4]), "a.csv", "缺少列"),
        (b"", "empty.csv", "文件是空的"),
        (rosters.csv_bytes([]), "header-only.csv", "没有学员数据"),
        (rosters.csv_bytes([["x"]], header=["a", "b"]), "nohead.csv", "找不到表头行"),
    ],
    ids=["missing_column", "empty_file", "no_rows", "no_header"],
)
def test_file_level_problems(client, hr, data, filename, fragment):
    _, project, csrf = hr
    body = upload(client, csrf, project.id, data, filename).get_json()
    assert not body["ok"]
    assert fragment in body["errors"][0]["message"]
    if fragment == "缺少列":
        assert "手机号码" in body["errors"][0]["message"]


@pytest.mark.parametrize(
    ("data", "filename", "code"),
    [
        (b"%PDF-1.4 not a sheet", "roster.pdf", "unsupported_file"),
        (b"\xd0\xcf\x11\xe0old excel", "roster.xls", "unsupported_file"),
        (b"plain text", "roster.xlsx", "unsupported_file"),
        (b"PK\x03\x04broken zip", "roster.xlsx", "unreadable_file"),
        (b"\x00\x01\x02binary", "roster.csv", "unsupported_file"),
    ],
)
def test_not_a_spreadsheet_is_a_400(client, hr, data, filename, code):
    _, project, csrf = hr
    response = upload(client, csrf, project.id, data, filename)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == code


def test_missing_file_and_oversized_file(client, app, hr):
    _, project, csrf = hr
    response = client.post(
        f"/api/admin/projects/{project.id}/roster-imports",
        data={},
        headers={"X-CSRFToken": csrf},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "file_missing"
    app.config["ROSTER_IMPORT_MAX_BYTES"] = 1000
    response = upload(client, csrf, project.id, b"a" * 2000)
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "file_too_large"
    # Over the request limit: refused before the view runs, still a JSON answer.
    response = client.post(
        f"/api/admin/projects/{project.id}/roster-imports",
        data=oversized_multipart(app.config["MAX_CONTENT_LENGTH"] + 10),
        headers={"X-CSRFToken": csrf},
        content_type="multipart/form-data; boundary=XyZ",
    )
    assert response.status_code == 413 and response.is_json


def oversized_multipart(size: int) -> bytes:
    """A raw multipart body (the test client would spool a big dict body to a temp file)."""
    head = b'--XyZ\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n\r\n'
    return head + b"a" * size + b"\r\n--XyZ--\r\n"


def test_too_many_rows(client, app, hr):
    _, project, csrf = hr
    app.config["ROSTER_IMPORT_MAX_ROWS"] = 3
    rows = [rosters.person(n) for n in range(1, 5)]
    for data, name in ((rosters.csv_bytes(rows), "r.csv"), (rosters.xlsx_bytes(rows), "r.xlsx")):
        body = upload(client, csrf, project.id, data, name).get_json()
        assert body["errors"][0]["message"] == "文件超过 3 行，请分批导入"


def test_zip_bomb_is_refused(client, hr):
    _, project, csrf = hr
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (65 * 1024 * 1024))
    response = upload(client, csrf, project.id, buffer.getvalue(), "bomb.xlsx")
    assert response.status_code == 413
    assert response.get_json()["error"]["message"] == "文件解压后过大，请检查是否为学员名册"


def test_gb18030_csv_from_chinese_excel(client, hr):
    _, project, csrf = hr
    data = rosters.csv_bytes([rosters.person(1)], encoding="gb18030")
    body = upload(client, csrf, project.id, data).get_json()
    assert body["ok"], body["errors"]
    assert body["sample"][0]["name"] == "导入学员1"


def test_confirm_is_bound_to_the_admin_who_uploaded(client, make, hr, admin_login):
    _, project, csrf = hr
    body = upload(client, csrf, project.id, rosters.csv_bytes([rosters.person(1)])).get_json()
    operator = make.admin(Role.OPERATOR)
    make.session.commit()
    client.post("/admin/logout", data={"csrf_token": csrf})
    other_csrf = admin_login(operator)
    response = client.post(
        f"/api/admin/roster-imports/{body['import_id']}/confirm",
        headers={"X-CSRFToken": other_csrf},
    )
    assert response.status_code == 404
    assert trainee_count(make) == 0
    # The other admin's attempt did not destroy the uploader's preview.
    client.post("/admin/logout", data={"csrf_token": other_csrf})
    own_csrf = admin_login(hr[0])
    response = client.post(
        f"/api/admin/roster-imports/{body['import_id']}/confirm",
        headers={"X-CSRFToken": own_csrf},
    )
    assert response.status_code == 201, response.get_json()
    assert trainee_count(make) == 1


def test_confirm_rechecks_the_platform(client, make, hr):
    _, project, csrf = hr
    body = upload(client, csrf, project.id, rosters.csv_bytes([rosters.person(1)])).get_json()
    make.trainee(make.enterprise(), account="import1")  # someone takes the account meanwhile
    make.session.commit()
    response = client.post(
        f"/api/admin/roster-imports/{body['import_id']}/confirm", headers={"X-CSRFToken": csrf}
    )
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "roster_conflict"
    assert trainee_count(make) == 1


def test_upload_and_confirm_need_the_csrf_header(client, hr):
    _, project, csrf = hr
    response = client.post(
        f"/api/admin/projects/{project.id}/roster-imports",
        data={"file": (io.BytesIO(rosters.csv_bytes([rosters.person(1)])), "r.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    body = upload(client, csrf, project.id, rosters.csv_bytes([rosters.person(1)])).get_json()
    response = client.post(f"/api/admin/roster-imports/{body['import_id']}/confirm")
    assert response.status_code == 400


def test_a_nul_in_a_name_deep_in_a_csv_is_a_row_error(client, make, hr):
    _, project, csrf = hr
    rows = [rosters.person(n) for n in range(1, 80)]
    rows.append(rosters.person(80, name="张\x00三"))
    data = rosters.csv_bytes(rows)
    assert b"\x00" not in data[:4096]  # past the sniffing of binary files
    body = upload(client, csrf, project.id, data).get_json()
    assert not body["ok"] and body["import_id"] is None
    assert [(e["column"], e["message"]) for e in body["errors"]] == [
        ("姓名", "姓名包含无法保存的字符")
    ]
    assert trainee_count(make) == 0


def test_every_problem_of_every_row_in_the_first_preview(client, make, hr):
    admin, project, csrf = hr
    taken = make.trainee(admin.enterprise, account="taken01")
    make.session.commit()
    rows = [
        rosters.person(1),
        # A bad mobile and an account used on the platform and twice in the file: all three
        # problems at once, not the account only after the mobile was fixed.
        rosters.person(2, mobile="123", account=taken.account),
        rosters.person(3, mobile="456", account=taken.account),
    ]
    body = upload(client, csrf, project.id, rosters.csv_bytes(rows)).get_json()
    found = {(e["row"], e["column"], e["message"]) for e in body["errors"]}
    assert {(r, c) for r, c, _ in found} >= {
        (3, "手机号码"),
        (3, "平台登录账号"),
        (4, "手机号码"),
        (4, "平台登录账号"),
    }
    messages = {m for _, c, m in found if c == "平台登录账号"}
    assert "平台登录账号已被平台上的其他学员使用" in messages
    assert "平台登录账号与第 3 行重复" in messages
