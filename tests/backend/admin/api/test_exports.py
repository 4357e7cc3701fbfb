"""Exports read back: 附件1 and 附件2 layout, hours sheet, training records, audit entries."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from backend.models import (
    AuditLog,
    CreditedSpan,
    FaceCheck,
    FaceCheckOutcome,
    FaceCheckTrigger,
    Institution,
    LearningSession,
    Platform,
    Quiz,
    QuizAttempt,
    QuizKind,
    Role,
    TrainingType,
)
from tests.factories import id_number, mobile

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


@pytest.fixture
def setup(make):
    """Enterprise A's project with a plan, two trainees (one with a hostile name), learning data."""
    a = make.enterprise(
        name="甲制造有限公司", registered_address="广州市天河区1号", legal_representative="赵总"
    )
    project = make.project(
        a,
        name="=2026 年适岗培训",
        training_type=TrainingType.JOB_TRANSFER,
        post_trade="装配工",
        person_in_charge="钱经理",
        person_mobile="13900139000",
        goal="掌握安全规程",
        platform=Platform(name="适岗平台", icp_number="粤ICP备1号", server_city="广州"),
        institution=Institution(name="某培训学校", credit_code="91440300000000001X"),
    )
    make.plan_row(project, resource_name="安全生产", key_content="规程", duration_minutes=90)
    make.plan_row(project, resource_name="质量管理", key_content="标准", duration_minutes=45)
    lesson = make.lesson(make.course(project, name="岗位操作", summary="操作规程"), title="第一课")
    first = make.trainee(a, name="张三", id_number=id_number(1), mobile=mobile(1), roster_seq=1)
    second = make.trainee(a, name="=cmd|'/C calc'!A0", gender="female", roster_seq=2)
    for t in (first, second):
        make.enrol(t, project)
    session = make.ended_session(first, lesson, T0, 50 * 60, device="iPhone", credited_s=2700 + 600)
    for start, seconds in ((T0, 2700), (T0 + timedelta(minutes=46), 600)):
        make.credited_span(first, lesson, start, seconds, session=session, device="iPhone")
    # An open session without credit yet: listed, with no span rows under it.
    make.session.add(
        LearningSession(
            trainee_id=second.id,
            project_id=project.id,
            lesson_id=lesson.id,
            device="=Android",
            started_at=T0,
            last_beat_at=T0,
        )
    )
    quiz = Quiz(project_id=project.id, title="考核", kind=QuizKind.ASSESSMENT)
    make.session.add(quiz)
    make.session.flush()
    make.session.add(
        QuizAttempt(
            quiz_id=quiz.id,
            trainee_id=first.id,
            question_ids=[],
            option_orders={},
            submitted_at=T0,
            score=80,
            passed=True,
        )
    )
    admins = {
        "hr": make.admin(Role.ENTERPRISE_ADMIN, enterprise=a),
        "reviewer": make.admin(Role.REVIEWER),
        "operator": make.admin(Role.OPERATOR),
    }
    make.session.commit()
    return project, (first, second), admins


def download(client, project, kind, fmt="xlsx", **params):
    """GET an export and return its bytes."""
    query = "&".join(f"{k}={v}" for k, v in {"format": fmt, **params}.items())
    response = client.get(f"/api/admin/projects/{project.id}/exports/{kind}?{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    data = response.data
    response.close()
    return data


def book(data: bytes):
    """Open xlsx bytes with openpyxl."""
    return load_workbook(io.BytesIO(data)).active


def audit(make, action):
    """Audit entries with ``action``."""
    make.session.expire_all()
    return make.session.scalars(select(AuditLog).where(AuditLog.action == action)).all()


def test_filing_form_layout(client, make, setup, admin_login):
    project, _, admins = setup
    admin_login(admins["reviewer"])
    sheet = book(download(client, project, "filing"))
    labels = [row[0].value for row in sheet.iter_rows()]
    order = [
        "附件1",
        "企业职工线上适岗技能提升培训备案表",
        "企业基本情况",
        "企业名称",
        "注册地址",
        "法人代表",
        "是否已领取受影响企业培训补助",
        "培训机构基本情况（企业自行组织开展培训无须填写此项）",
        "培训机构名称",
        "机构注册地址",
        "机构负责人",
        "线上培训平台基本情况",
        "平台名称（网站名称或APP产品名称）",
        "ICP备案号",
        "网站地址（APP的包名）",
        "IP地址及服务器放置城市名称",
        "培训项目基本情况",
        "培训项目名称",
        "培训类型",
        "培训计划人数",
        "培训起止时间",
        "培训负责人",
        "培训目标",
        "线上培训计划(此栏目内容可根据实际情况增加)",
        "课程资源名称",
        "岗位操作",
        "安全生产",
        "质量管理",
        "申报企业意见",
        "人力资源社会保障部门审核备案意见",
    ]
    assert labels[: len(order)] == order
    row = {label: i + 1 for i, label in enumerate(labels)}
    merged = {str(r) for r in sheet.merged_cells}
    for label in ("企业基本情况", "培训项目基本情况", "线上培训计划(此栏目内容可根据实际情况增加)"):
        assert f"A{row[label]}:D{row[label]}" in merged
    for label in ("注册地址", "培训类型", "培训目标", "申报企业意见"):
        assert f"B{row[label]}:D{row[label]}" in merged
    assert sheet.cell(row["企业名称"], 3).value == "统一社会信用代码"
    assert sheet.cell(row["企业名称"], 4).value == project.enterprise.credit_code
    cell = sheet.cell(row["培训项目名称"], 2)
    # Text, no visible apostrophe: the quote-prefix style keeps it from being a formula.
    assert cell.value == "=2026 年适岗培训" and cell.data_type == "s" and cell.quotePrefix
    assert sheet.cell(row["培训项目名称"], 3).value == "培训岗位（工种）"
    assert sheet.cell(row["培训类型"], 2).value == "□岗前培训  □在岗培训  ☑转岗培训"
    assert sheet.cell(row["培训起止时间"], 2).value == "2026年03月01日至2026年06月30日"
    # The project's course comes first, from its lessons; the hand-written rows follow.
    course_row = [sheet.cell(row["岗位操作"], c).value for c in (2, 3, 4)]
    assert course_row == ["操作规程", "视频", "45分钟"]
    assert sheet.cell(row["安全生产"], 4).value == "90分钟"
    assert [c.value for c in sheet[row["课程资源名称"]]] == [
        "课程资源名称",
        "内容要点",
        "资源形式",
        "培训时长",
    ]
    assert [c.value for c in sheet[row["安全生产"]]] == ["安全生产", "规程", "视频", "90分钟"]
    assert "（盖章）" in sheet.cell(row["申报企业意见"], 2).value
    assert sheet.cell(row["企业名称"], 1).border.top.style == "thin"
    assert sheet.page_setup.paperSize == 9 and sheet.sheet_properties.pageSetUpPr.fitToPage
    assert labels[-2] == "3.与此表同时报送本项目培训人员花名册。"
    assert labels[-1].startswith("记录链摘要（0 条计入时段")
    assert len(audit(make, "export.filing")) == 1


def test_roster_for_the_enterprise_has_full_numbers_and_is_audited(
    client, make, setup, admin_login
):
    project, (first, second), admins = setup
    admin_login(admins["hr"])
    sheet = book(download(client, project, "roster"))
    assert sheet["A1"].value == "附件2"
    assert sheet["A2"].value == "企业职工线上适岗技能提升培训人员名册"
    merged = {str(r) for r in sheet.merged_cells}
    assert {"A2:F2", "A3:F3", "A4:F4"} <= merged
    assert sheet["A3"].value == "企业名称（盖章）：甲制造有限公司"
    assert [c.value for c in sheet[5]] == [
        "序号",
        "姓名",
        "性别",
        "身份证号码",
        "手机号码",
        "平台登录账号",
    ]
    one, two = sheet[6], sheet[7]
    assert [c.value for c in one] == [1, "张三", "男", id_number(1), mobile(1), first.account]
    assert one[3].data_type == "s" and one[3].number_format == "@"
    assert one[4].data_type == "s"
    assert two[1].value == "=cmd|'/C calc'!A0" and two[1].quotePrefix and two[2].value == "女"
    assert sheet["A8"].value == "(此名册可顺延)"
    reveals = audit(make, "pii.reveal_id_number") + audit(make, "pii.reveal_mobile")
    assert sorted((e.object_id, e.actor_id) for e in reveals) == sorted(
        [(first.id, admins["hr"].id), (second.id, admins["hr"].id)] * 2
    )
    (entry,) = audit(make, "export.roster")
    assert entry.detail["full_numbers"] is True and entry.detail["rows"] == 2


def test_roster_for_a_reviewer_is_masked_and_csv_reads_back(client, make, setup, admin_login):
    project, (_first, _), admins = setup
    admin_login(admins["reviewer"])
    data = download(client, project, "roster", "csv")
    assert data.startswith(b"\xef\xbb\xbf")  # BOM so that Excel reads UTF-8
    lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    # 附件2's title lines come first, as on the form.
    assert [line[0] for line in lines[:3]] == [
        "附件2",
        "企业职工线上适岗技能提升培训人员名册",
        "企业名称（盖章）：甲制造有限公司",
    ]
    lines = lines[4:]
    assert lines[0] == ["序号", "姓名", "性别", "身份证号码", "手机号码", "平台登录账号"]
    assert lines[1][:3] == ["1", "张三", "男"]
    # A tab after each digits value keeps it text in Excel and LibreOffice.
    assert lines[1][3] == id_number(1)[:6] + "********" + id_number(1)[-4:] + "\t"
    assert lines[1][4] == mobile(1)[:3] + "****" + mobile(1)[-4:] + "\t"
    assert lines[2][1] == "'=cmd|'/C calc'!A0"
    assert audit(make, "pii.reveal_id_number") == []
    assert audit(make, "export.roster")[0].detail["full_numbers"] is False


def test_exported_roster_is_read_back_by_the_importer(client, make, setup, admin_login):
    project, _, admins = setup
    csrf = admin_login(admins["hr"])
    data = download(client, project, "roster")
    response = client.post(
        f"/api/admin/projects/{project.id}/roster-imports",
        data={"file": (io.BytesIO(data), "附件2.xlsx")},
        headers={"X-CSRFToken": csrf},
        content_type="multipart/form-data",
    )
    body = response.get_json()
    # The official layout parses (header found after the title lines), and both people are
    # recognised as already on the roster.
    assert body["ok"] and body["errors"] == [] and body["existing"] == 2


def test_hours_sheet(client, make, setup, admin_login):
    project, (_first, _second), admins = setup
    admin_login(admins["reviewer"])
    sheet = book(download(client, project, "hours"))
    assert sheet["A4"].value.startswith("导出日期：")
    # A header too wide for its column breaks before its unit when printed: "补贴金额\n（元）".
    assert sheet["I5"].value == "补贴金额\n（元）"
    header = [c.value.replace("\n", "") for c in sheet[5]]
    assert header == [
        "序号",
        "姓名",
        "平台登录账号",
        "身份证号码",
        "年度",
        "计入学习时长（分钟）",
        "课时",
        "可补贴课时",
        "补贴金额（元）",
        "考核结果",
        "人脸核身覆盖率",
    ]
    one, two, total = sheet[6], sheet[7], sheet[8]
    assert one[3].value == id_number(1)[:6] + "********" + id_number(1)[-4:]
    assert one[3].data_type == "s" and one[4].value == str(project.start_date.year)
    one, two, total = ([c for i, c in enumerate(row) if i != 4] for row in (one, two, total))
    assert one[4].value == 55 and one[8].value == "合格" and one[9].value is None  # none asked
    assert two[1].value.startswith("=") and two[4].value == 0 and two[8].value == "未参加"
    assert total[1].value == "合计" and total[2].value == "2 人" and total[4].value == 55
    # From backend/services/hours.py: 55 minutes make one class hour, 30.00 yuan.
    assert [one[5].value, one[6].value, Decimal(str(one[7].value))] == [1, 1, Decimal("30.00")]
    assert one[7].number_format == "0.00" and two[5].value == 0 and two[7].value == 0
    assert [total[5].value, total[6].value, Decimal(str(total[7].value))] == [1, 1, Decimal("30")]
    closing = [row[0].value for row in sheet.iter_rows(min_row=9)]
    assert closing[0].startswith("计算说明：培训日期内计入的学习时长每 45 分钟计 1 课时")
    assert "补贴 30 元/课时，每人每个自然年（北京时间）最多 1000 元" in closing[0]
    assert closing[1].startswith("经办人") and closing[2].startswith("企业（盖章）")
    assert closing[3].startswith("记录链摘要")
    assert audit(make, "pii.reveal_id_number") == []
    lines = list(
        csv.reader(io.StringIO(download(client, project, "hours", "csv").decode("utf-8-sig")))
    )
    assert lines[0] == ["企业职工线上适岗技能提升培训课时及补贴明细表"]
    assert lines[3][0].startswith("导出日期：")
    assert lines[4] == header and lines[5][5:9] == ["55", "1", "1", "30.00"]
    assert lines[-5][1] == "合计" and lines[-5][8] == "30.00"
    assert lines[-4][0].startswith("计算说明") and lines[-1][0].startswith("记录链摘要")


def test_hours_sheet_face_check_coverage(client, make, setup, admin_login):
    project, (first, _second), admins = setup
    session = make.session.scalars(
        select(LearningSession).where(LearningSession.trainee_id == first.id)
    ).first()
    check = FaceCheck(
        trainee_id=first.id,
        project_id=project.id,
        session_id=session.id,
        trigger=FaceCheckTrigger.CHECK_IN,
        out_seq_no="coverage-1",
        verify_id="v1",
        issued_at=T0,
        expires_at=T0 + timedelta(minutes=5),
        resolved_at=T0,
        outcome=FaceCheckOutcome.PASSED,
    )
    make.session.add(check)
    make.session.flush()
    span = make.session.scalars(
        select(CreditedSpan).where(
            CreditedSpan.seconds == 2700, CreditedSpan.trainee_id == first.id
        )
    ).one()
    span.face_check_id = check.id
    make.session.commit()
    admin_login(admins["hr"])
    sheet = book(download(client, project, "hours"))
    assert sheet["K5"].value == "人脸核身覆盖率"
    # 2700 of 3300 credited seconds covered by the passed check; the second trainee has none.
    assert [sheet["K6"].value, sheet["K7"].value, sheet["K8"].value] == ["81%", None, None]
    lines = list(
        csv.reader(io.StringIO(download(client, project, "hours", "csv").decode("utf-8-sig")))
    )
    assert [lines[5][-1], lines[6][-1]] == ["81%", ""]


def test_hours_sheet_full_ids_only_for_the_enterprise(client, make, setup, admin_login):
    project, (_first, _), admins = setup
    admin_login(admins["operator"])
    url = f"/api/admin/projects/{project.id}/exports/hours?full_ids=true"
    assert client.get(url).status_code == 403
    client.post(
        "/admin/logout", data={"csrf_token": client.get("/api/admin/me").get_json()["csrf_token"]}
    )
    admin_login(admins["hr"])
    sheet = book(download(client, project, "hours", full_ids="true"))
    assert sheet["D6"].value == id_number(1) and sheet["D6"].data_type == "s"
    assert {e.object_id for e in audit(make, "pii.reveal_id_number")} == {t.id for t in setup[1]}
    # The page download takes the same spelling as the API.
    page = client.get(f"/admin/projects/{project.id}/exports/hours.xlsx?full_ids=true")
    assert page.status_code == 200
    assert book(page.data)["D6"].value == id_number(1)
    page.close()


def test_training_records(client, make, setup, admin_login):
    project, (first, _), admins = setup
    admin_login(admins["hr"])
    sheet = book(download(client, project, "records"))
    assert [c.value for c in sheet[4]][6:8] == ["开始时间（北京时间）", "结束时间（北京时间）"]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=5)]
    closing = [r[0] for r in rows if r[2] is None]
    assert closing[0] == "时间均为北京时间（UTC+8）。" and closing[1].startswith("记录链摘要")
    rows = [r for r in rows if r[2] is not None]
    assert [r[2] for r in rows] == ["学习会话", "计入时段", "计入时段", "考核", "学习会话"]
    session_row, span1, span2, attempt, open_row = rows
    assert attempt[:2] == ["张三", first.account] and attempt[4] == "考核"
    assert session_row[:2] == ["张三", first.account] and session_row[4] == "第一课"
    assert session_row[6] == "2026-03-02 09:00:00" and session_row[8] == 3300
    assert session_row[9] == "已结束"
    assert span1[6:9] == ["2026-03-02 09:00:00", "2026-03-02 09:45:00", 2700]
    assert span2[8] == 600
    assert open_row[5] == "=Android" and open_row[7] is None and open_row[9] == "进行中"
    data = download(client, project, "records", "csv").decode("utf-8-sig")
    assert len(list(csv.reader(io.StringIO(data)))) == 1 + 5 + 2
    assert len(audit(make, "export.records")) == 2
