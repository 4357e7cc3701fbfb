"""Exports as Excel and LibreOffice users open them: digits kept, names distinct, years split."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from backend.models import Role
from tests.factories import id_number, mobile


def _download(client, project, kind, fmt="xlsx"):
    response = client.get(f"/api/admin/projects/{project.id}/exports/{kind}?format={fmt}")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    data = response.data
    response.close()
    return response, data


def _soffice() -> str:
    path = shutil.which("soffice")
    if path is None:
        pytest.fail("LibreOffice not found: run `make browser-deps` (libreoffice-calc)")
    return path


def _through_libreoffice(tmp_path, name: str, data: bytes) -> list[tuple]:
    """Open a CSV in LibreOffice Calc (as UTF-8, comma separated), save it as xlsx, read it."""
    source = tmp_path / name
    source.write_bytes(data)
    subprocess.run(  # noqa: S603 - our own arguments, no shell
        [
            _soffice(),
            "--headless",
            f"-env:UserInstallation=file://{tmp_path}/lo-profile",
            "--infilter=CSV:44,34,76,1",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(tmp_path / "out"),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    book = load_workbook(tmp_path / "out" / source.with_suffix(".xlsx").name)
    return list(book.active.values)


@pytest.fixture
def roster(make):
    enterprise = make.enterprise(name="甲制造有限公司")
    project = make.project(enterprise)
    people = [
        make.trainee(enterprise, name=f"学员{n}", id_number=id_number(n), mobile=mobile(n))
        for n in (1, 2)
    ]
    for trainee in people:
        make.enrol(trainee, project)
    hr = make.admin(Role.ENTERPRISE_ADMIN, enterprise=enterprise)
    make.session.commit()
    return project, people, hr


def test_roster_csv_keeps_every_digit_through_libreoffice(
    client, make, roster, admin_login, tmp_path
):
    project, _, hr = roster
    csrf = admin_login(hr)
    response, data = _download(client, project, "roster", "csv")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    rows = _through_libreoffice(tmp_path, "roster.csv", data)
    assert rows[0][0] == "附件2" and rows[1][0] == "企业职工线上适岗技能提升培训人员名册"
    body = [row for row in rows if isinstance(row[0], int | float)]
    assert [str(row[3]).strip() for row in body] == [id_number(1), id_number(2)]
    assert [str(row[4]).strip() for row in body] == [mobile(1), mobile(2)]
    assert all(isinstance(row[3], str) for row in body)  # text, never 4.40100199001E+17

    # What LibreOffice saved goes back into our own import: no digit was lost.
    converted = tmp_path / "out" / "roster.xlsx"
    preview = client.post(
        f"/api/admin/projects/{project.id}/roster-imports",
        data={"file": (io.BytesIO(converted.read_bytes()), "roster.xlsx")},
        headers={"X-CSRFToken": csrf},
        content_type="multipart/form-data",
    ).get_json()
    assert preview["errors"] == [] and preview["existing"] == 2


def test_download_names_differ_per_kind(client, make, roster, admin_login):
    project, _, hr = roster
    admin_login(hr)
    names = set()
    for kind in ("hours", "records", "roster"):
        response, _ = _download(client, project, kind)
        disposition = response.headers["Content-Disposition"]
        assert disposition.startswith(f'attachment; filename="shigang-{kind}-{project.id}.xlsx"')
        assert "filename*=UTF-8''" in disposition
        names.add(disposition)
    assert len(names) == 3


def test_hours_sheet_across_a_new_year(client, make, admin_login):
    enterprise = make.enterprise(name="跨年企业")
    project = make.project(
        enterprise,
        start_date=date(2026, 11, 25),
        end_date=date(2027, 2, 23),
        planned_class_hours=60,
    )
    lesson = make.lesson(make.course(project), duration_s=24 * 3600)
    trainee = make.trainee(enterprise, name="跨年学员")
    make.enrol(trainee, project)
    # 2026: 40 class hours (1200 yuan, capped at 1000); 2027: 10 class hours (300 yuan).
    start = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
    for day in range(10):
        make.credited_span(trainee, lesson, start + timedelta(days=day), 4 * 45 * 60)
    start = datetime(2027, 1, 5, 1, 0, tzinfo=UTC)
    for day in range(2):
        make.credited_span(trainee, lesson, start + timedelta(days=day), 5 * 45 * 60)
    admin_login(make.admin(Role.ENTERPRISE_ADMIN, enterprise=enterprise))
    make.session.commit()

    _, data = _download(client, project, "hours")
    sheet = load_workbook(io.BytesIO(data)).active
    rows = [list(row) for row in sheet.values]
    assert "2026–2027年（跨年度，分年计补贴）" in rows[2][0]
    # Printed, a header too wide for its column breaks before its unit (the CSV has none).
    header = [text.replace("\n", "") for text in rows[4]]
    assert header[4] == "年度" and header[9:13] == [
        "2026年可补贴课时",
        "2026年补贴（元）",
        "2027年可补贴课时",
        "2027年补贴（元）",
    ]
    line = rows[5]
    assert line[4] == "2026–2027" and line[6] == 50 and line[7] == 50
    assert Decimal(str(line[8])) == Decimal("1300")
    assert line[9] == 40 and Decimal(str(line[10])) == Decimal("1000")
    assert line[11] == 10 and Decimal(str(line[12])) == Decimal("300")
    total = rows[6]
    assert total[1] == "合计" and total[9] == 40 and Decimal(str(total[12])) == Decimal("300")

    _, data = _download(client, project, "hours", "csv")
    lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert lines[4] == header[: len(lines[4])]
