"""Question banks through the admin JSON API: xlsx import with row errors, export round trip."""

import io
import zipfile

from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from backend.models import Question, Role
from backend.services.practice.bank_xlsx import HEADERS

GOOD_ROWS = [
    [
        "单选题",
        "安全帽的作用是？",
        "装饰",
        "防护头部",
        "保暖",
        None,
        None,
        None,
        "B",
        "基本常识",
        1,
    ],
    [
        "多选题",
        "=哪些属于劳保用品",
        "手套",
        "口罩",
        "手机",
        "护目镜",
        None,
        None,
        "A,B,D",
        "",
        "中",
    ],
    ["判断题", "高空作业必须系安全带。", None, None, None, None, None, None, "正确", "", 2],
    ["判断题", "可以酒后上岗。", "正确", "错误", None, None, None, None, "B", "严禁", None],
]


def _xlsx(rows, headers=HEADERS) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    for cell in (c for line in sheet.iter_rows(min_row=2) for c in line):
        if isinstance(cell.value, str):
            cell.data_type = "s"  # as a user types '=…: text, not a formula
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _upload(client, course_id, content, token, filename="题库.xlsx"):
    # Encoded in memory: the test client spools large bodies to a temp file it never closes.
    boundary, body = encode_multipart({"file": FileStorage(io.BytesIO(content), filename)})
    return client.post(
        f"/api/admin/courses/{course_id}/questions/import",
        data=body,
        headers={"X-CSRFToken": token},
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def _count(make, course) -> int:
    query = select(func.count(Question.id)).where(Question.course_id == course.id)
    return make.session.scalar(query)


def test_import_good_rows(client, make, admin_login):
    course = make.course()
    token = admin_login(make.admin(Role.OPERATOR))
    response = _upload(client, course.id, _xlsx(GOOD_ROWS), token)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["imported"] == 4
    bank = client.get(f"/api/admin/courses/{course.id}/questions").get_json()["questions"]
    assert [(q["kind"], q["answer"], q["difficulty"]) for q in bank] == [
        ("single", "B", 1),
        ("multiple", "ABD", 3),
        ("true_false", "A", 2),
        ("true_false", "B", 1),
    ]
    assert bank[1]["stem"] == "=哪些属于劳保用品" and bank[2]["options"] == ["正确", "错误"]


def test_a_bad_row_refuses_the_whole_file_with_row_errors(client, make, admin_login):
    course = make.course()
    token = admin_login(make.admin(Role.OPERATOR))
    bad = [
        *GOOD_ROWS,
        ["问答题", "什么？", "a", "b", None, None, None, None, "A", "", 1],  # row 6: kind
        ["单选题", "", "a", "b", None, None, None, None, "A", "", 1],  # row 7: stem
        ["单选题", "缺选项", "a", None, "c", None, None, None, "A", "", 1],  # row 8: gap
        ["单选题", "答案越界", "a", "b", None, None, None, None, "D", "", 1],  # row 9
        ["多选题", "只有一个答案", "a", "b", "c", None, None, None, "A", "", 1],  # row 10
        ["单选题", "难度错", "a", "b", None, None, None, None, "A", "", 9],  # row 11
    ]
    response = _upload(client, course.id, _xlsx(bad), token)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "import_rows_invalid"
    assert [(d["row"], d["column"]) for d in error["details"]] == [
        (6, "A"),
        (7, "B"),
        (8, "C–H"),
        (9, "I"),
        (10, "I"),
        (11, "K"),
    ]
    assert _count(make, course) == 0


def test_export_then_import_round_trips(client, make, admin_login):
    source, target = make.course(), make.course()
    token = admin_login(make.admin(Role.OPERATOR))
    assert _upload(client, source.id, _xlsx(GOOD_ROWS), token).status_code == 201
    exported = client.get(f"/api/admin/courses/{source.id}/questions.xlsx")
    assert exported.status_code == 200
    assert exported.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(exported.data)).active
    assert [c.value for c in sheet[1]] == HEADERS
    assert sheet["B3"].data_type == "s"  # "=..." stays text, never a formula
    assert _upload(client, target.id, exported.data, token).status_code == 201
    fields = ("kind", "stem", "options", "answer", "explanation", "difficulty")

    def bank(course):
        questions = client.get(f"/api/admin/courses/{course.id}/questions").get_json()["questions"]
        return [tuple(str(q[f]) for f in fields) for q in questions]

    assert bank(source) == bank(target) and len(bank(target)) == 4


def test_an_empty_bank_exports_the_blank_template(client, make, admin_login):
    course = make.course()
    admin_login(make.admin(Role.OPERATOR))
    exported = client.get(f"/api/admin/courses/{course.id}/questions.xlsx")
    rows = list(load_workbook(io.BytesIO(exported.data)).active.values)
    assert rows == [tuple(HEADERS)]


def test_files_that_are_not_banks_are_refused_clearly(client, make, admin_login):
    course = make.course()
    token = admin_login(make.admin(Role.OPERATOR))
    cases = [
        (b"name,stem\n1,2\n", "题库.xlsx", 400, "not_xlsx"),
        (_xlsx(GOOD_ROWS), "题库.csv", 400, "not_xlsx"),
        (b"PK\x03\x04 broken zip", "题库.xlsx", 400, "not_xlsx"),
        (b"PK" + b"\0" * (950 * 1024), "题库.xlsx", 413, "file_too_large"),
        (_xlsx(GOOD_ROWS, headers=["类型", "题目"]), "题库.xlsx", 422, "import_header_invalid"),
        (_xlsx([]), "题库.xlsx", 422, "import_empty"),
    ]
    for content, name, status, code in cases:
        response = _upload(client, course.id, content, token, filename=name)
        assert response.status_code == status, (name, response.get_json())
        assert response.get_json()["error"]["code"] == code
    too_big = _upload(client, course.id, b"PK" + b"\0" * (2 * 1024 * 1024), token)
    assert too_big.status_code == 413
    assert _count(make, course) == 0


def test_add_one_question_and_its_validation(client, make, admin_login):
    course = make.course()
    token = admin_login(make.admin(Role.OPERATOR))
    url = f"/api/admin/courses/{course.id}/questions"
    body = {"kind": "single", "stem": "选哪个？", "options": ["甲", "乙"], "answer": "b"}
    created = client.post(url, json=body, headers={"X-CSRFToken": token})
    assert created.status_code == 201 and created.get_json()["answer"] == "B"
    bad = client.post(url, json={**body, "answer": "C"}, headers={"X-CSRFToken": token})
    assert bad.status_code == 422 and bad.get_json()["error"]["code"] == "question_invalid"
    no_csrf = client.post(url, json=body)
    assert no_csrf.status_code == 400


def test_reviewers_read_only_and_enterprise_admins_only_their_own(client, make, admin_login):
    course = make.course()
    other_enterprise = make.enterprise()
    token = admin_login(make.admin(Role.REVIEWER))
    assert client.get(f"/api/admin/courses/{course.id}/questions").status_code == 200
    refused = _upload(client, course.id, _xlsx(GOOD_ROWS), token)
    assert refused.status_code == 403
    client.post("/admin/logout", data={"csrf_token": token})
    token = admin_login(make.admin(Role.ENTERPRISE_ADMIN, enterprise=other_enterprise))
    assert client.get(f"/api/admin/courses/{course.id}/questions").status_code == 404
    assert client.get(f"/api/admin/courses/{course.id}/questions.xlsx").status_code == 404
    assert _upload(client, course.id, _xlsx(GOOD_ROWS), token).status_code == 404
    assert _count(make, course) == 0


def test_oversized_banks_are_refused(client, make, admin_login):
    course = make.course()
    token = admin_login(make.admin(Role.OPERATOR))
    row = ["单选题", "题", "a", "b", None, None, None, None, "A", "", 1]
    response = _upload(client, course.id, _xlsx([row] * 2001), token)
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "too_many_rows"
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (41 * 1024 * 1024))
    response = _upload(client, course.id, bomb.getvalue(), token)
    assert response.status_code == 413 and response.get_json()["error"]["code"] == "file_too_large"
    assert _count(make, course) == 0
