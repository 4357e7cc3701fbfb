"""Question banks, quizzes with their statistics, and evaluations, as the pages are used."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import Workbook, load_workbook

from backend.models import Question, Quiz, QuizKind, Role
from tests.backend.admin.pages import world as w
from tests.miniprogram_api.quiz_helpers import answer_all

OK, FOUND = 200, 302
SCOPED = {"operator": OK, "hr_a": OK, "hr_b": 404, "reviewer": OK, "anon": FOUND}
MANAGE_SCOPED = {"operator": OK, "hr_a": OK, "hr_b": 404, "reviewer": 403, "anon": FOUND}


def _bank(make, world, n: int = 4):
    course = make.course(world.project, name="安全生产")
    questions = [make.question(course) for _ in range(n)]
    make.session.commit()
    return course, questions


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


@pytest.mark.parametrize("role", w.ROLES)
def test_page_access_by_role(role, client, make, admin_login):
    world = w.build(make)
    course, questions = _bank(make, world)
    quiz = make.quiz(world.project, kind=QuizKind.ASSESSMENT)
    make.session.commit()
    w.sign_in(role, world, make, admin_login, client)
    pages = {
        f"/admin/projects/{world.project.id}/practice": SCOPED,
        f"/admin/courses/{course.id}/questions": SCOPED,
        f"/admin/courses/{course.id}/questions.xlsx": SCOPED,
        f"/admin/quizzes/{quiz.id}/statistics": SCOPED,
        f"/admin/projects/{world.project.id}/evaluations": SCOPED,
        f"/admin/courses/{course.id}/questions/new": MANAGE_SCOPED,
        f"/admin/questions/{questions[0].id}/edit": MANAGE_SCOPED,
        f"/admin/projects/{world.project.id}/quizzes/new": MANAGE_SCOPED,
        f"/admin/quizzes/{quiz.id}/edit": MANAGE_SCOPED,
    }
    for url, expected in pages.items():
        assert client.get(url).status_code == expected[role], url


@pytest.mark.parametrize("role", ["hr_a", "operator", "reviewer"])
def test_write_controls_follow_the_role(role, client, make, admin_login):
    world = w.build(make)
    course, questions = _bank(make, world)
    quiz = make.quiz(world.project, kind=QuizKind.ASSESSMENT)
    make.session.commit()
    w.sign_in(role, world, make, admin_login, client)
    writer = role != "reviewer"
    bank = client.get(f"/admin/courses/{course.id}/questions").get_data(as_text=True)
    practice = client.get(f"/admin/projects/{world.project.id}/practice").get_data(as_text=True)
    assert (f"/admin/questions/{questions[0].id}/retire" in bank) is writer
    assert ("questions/import" in bank) is writer
    assert ("添加题目" in bank) is writer
    assert (f"/admin/quizzes/{quiz.id}/retire" in practice) is writer
    assert ("新建练习或考核" in practice) is writer
    assert f"/admin/quizzes/{quiz.id}/statistics" in practice
    token = _csrf(bank)
    refused = client.post(f"/admin/questions/{questions[0].id}/retire", data={"csrf_token": token})
    assert refused.status_code == (302 if writer else 403)


def test_add_edit_and_retire_a_question(client, make, admin_login):
    world = w.build(make)
    course, questions = _bank(make, world, n=1)
    token = admin_login(make.admin(Role.ENTERPRISE_ADMIN, enterprise=world.a))
    url = f"/admin/courses/{course.id}/questions/new"
    form = {"csrf_token": token, "kind": "multiple", "stem": "哪些是劳保用品？", "difficulty": "3"}
    form |= {"option_a": "安全帽", "option_b": "手机", "option_c": "防护手套", "answer": "B"}
    refused = client.post(url, data=form)
    assert refused.status_code == 422
    assert "多选题至少要有两个正确答案" in refused.get_data(as_text=True)
    assert client.post(url, data={**form, "answer": "a, c"}).status_code == 302
    added = make.session.query(Question).filter_by(stem="哪些是劳保用品？").one()
    assert (added.answer, added.options, added.difficulty) == (
        "AC",
        ["安全帽", "手机", "防护手套"],
        3,
    )

    edit = client.post(
        f"/admin/questions/{added.id}/edit",
        data={**form, "answer": "AC", "stem": "劳保用品有哪些？"},
    )
    assert edit.status_code == 302
    make.session.expire_all()
    assert make.session.get(Question, added.id).stem == "劳保用品有哪些？"

    assert (
        client.post(f"/admin/questions/{added.id}/retire", data={"csrf_token": token}).status_code
        == 302
    )
    bank = client.get(f"/admin/courses/{course.id}/questions").get_data(as_text=True)
    assert "已停用" in bank and "可抽取 1 道，已停用 1 道" in bank
    # Retired: never drawn again, and left out of the export.
    trainee = world.trainee
    quiz = make.quiz(world.project, course_id=course.id, question_count=5)
    make.session.commit()
    attempt = client.post(
        f"/api/v1/quizzes/{quiz.id}/attempts", headers=make.auth(trainee)
    ).get_json()
    assert [q["id"] for q in attempt["questions"]] == [questions[0].id]
    exported = client.get(f"/admin/courses/{course.id}/questions.xlsx")
    rows = list(load_workbook(io.BytesIO(exported.data)).active.values)
    assert len(rows) == 2 and rows[1][1] == questions[0].stem


def test_a_question_kept_for_attention_checks_is_never_drawn(client, make, admin_login):
    world = w.build(make)
    course, questions = _bank(make, world, n=1)
    token = admin_login(make.admin(Role.ENTERPRISE_ADMIN, enterprise=world.a))
    form = {"csrf_token": token, "kind": "single", "stem": "本课节讲的是？", "difficulty": "1"}
    form |= {"option_a": "安全", "option_b": "质量", "answer": "A", "attention_pool": "y"}
    assert client.post(f"/admin/courses/{course.id}/questions/new", data=form).status_code == 302
    pooled = make.session.query(Question).filter_by(stem="本课节讲的是？").one()
    assert pooled.attention_pool
    page = client.get(f"/admin/questions/{pooled.id}/edit").get_data(as_text=True)
    assert 'id="attention_pool" name="attention_pool" type="checkbox" value="y"' in page
    quiz = make.quiz(world.project, course_id=course.id, question_count=5)
    make.session.commit()
    attempt = client.post(
        f"/api/v1/quizzes/{quiz.id}/attempts", headers=make.auth(world.trainee)
    ).get_json()
    assert [q["id"] for q in attempt["questions"]] == [questions[0].id]
    # Unticked, it is an ordinary bank question again.
    del form["attention_pool"]
    assert client.post(f"/admin/questions/{pooled.id}/edit", data=form).status_code == 302
    make.session.expire_all()
    assert not make.session.get(Question, pooled.id).attention_pool


def _xlsx(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(["题型", "题干", "A", "B", "C", "D", "E", "F", "答案", "解析", "难度"])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_import_lists_every_bad_row_and_imports_nothing(client, make, admin_login):
    world = w.build(make)
    course, _ = _bank(make, world, n=0)
    token = admin_login(make.admin(Role.ENTERPRISE_ADMIN, enterprise=world.a))
    url = f"/admin/courses/{course.id}/questions/import"
    good = ["单选题", "灭火器压力表指针应在？", "红区", "绿区", None, None, None, None, "B"]
    bad = [
        good,
        ["单选题", "", "是", "否", None, None, None, None, "A"],
        ["多选题", "题干", "甲", "乙", None, None, None, None, "A"],
    ]
    response = client.post(
        url, data={"csrf_token": token, "file": (io.BytesIO(_xlsx(bad)), "bank.xlsx")}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "有2行不正确，未导入任何题目" in html
    assert "题干不能为空" in html and "多选题至少要有两个正确答案" in html
    assert make.session.query(Question).count() == 0

    response = client.post(
        url, data={"csrf_token": token, "file": (io.BytesIO(_xlsx([good])), "bank.xlsx")}
    )
    assert response.status_code == 302
    assert "已导入 1 道题目" in client.get(response.headers["Location"]).get_data(as_text=True)
    template = client.get("/admin/question-bank-template.xlsx")
    assert load_workbook(io.BytesIO(template.data)).active["A1"].value == "题型"


def test_quiz_create_edit_retire_and_statistics(client, make, admin_login):
    world = w.build(make)
    course, questions = _bank(make, world, n=4)
    bank = {q.id: q for q in questions}
    token = admin_login(make.admin(Role.ENTERPRISE_ADMIN, enterprise=world.a))
    form = {"csrf_token": token, "title": "结业考核", "kind": "assessment", "course_id": course.id}
    form |= {"question_count": 4, "pass_score": 75, "attempt_limit": 3, "time_limit_min": 20}
    form |= {"shuffle_options": "y"}
    response = client.post(f"/admin/projects/{world.project.id}/quizzes/new", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)
    quiz = make.session.query(Quiz).filter_by(title="结业考核").one()
    assert (quiz.attempt_limit, quiz.time_limit_s, quiz.pass_score) == (3, 1200, 75)
    bad = client.post(f"/admin/quizzes/{quiz.id}/edit", data={**form, "pass_score": 120})
    assert bad.status_code == 422 and "应为0至100的整数" in bad.get_data(as_text=True)
    client.post(f"/admin/quizzes/{quiz.id}/edit", data={**form, "pass_score": 50})

    for trainee, right in ((world.trainee, 4), (world.unbound, 1)):
        headers = make.auth(trainee)
        attempt = client.post(f"/api/v1/quizzes/{quiz.id}/attempts", headers=headers).get_json()
        correct = {q["id"] for q in attempt["questions"]} if right == 4 else {questions[0].id}
        answers = answer_all(attempt, bank, correct)
        client.post(
            f"/api/v1/attempts/{attempt['id']}/answers", json={"answers": answers}, headers=headers
        )
        client.post(f"/api/v1/attempts/{attempt['id']}/submit", headers=headers)

    page = client.get(f"/admin/quizzes/{quiz.id}/statistics")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert '<strong id="stat-attempts">2</strong>' in html
    assert "data-values='[1, 0, 0, 0, 1]'" in html  # 25 and 100 points
    # Question 2 split the two attempts: the good one right, the poor one wrong.
    row = re.search(rf"{questions[1].stem}</td>(.*?)</tr>", html, re.S).group(1)
    cells = re.findall(r"<td>(.*?)</td>", row, re.S)
    assert cells[:4] == ["2", "1", "50%", "1.00"]
    assert cells[4].startswith("A（1 次）") or "（1 次）" in cells[4]

    assert (
        client.post(f"/admin/quizzes/{quiz.id}/retire", data={"csrf_token": token}).status_code
        == 302
    )
    refused = client.post(f"/api/v1/quizzes/{quiz.id}/attempts", headers=make.auth(world.trainee))
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "quiz_retired"
    listed = client.get(
        f"/api/v1/projects/{world.project.id}/quizzes", headers=make.auth(world.trainee)
    )
    assert listed.get_json()["quizzes"] == []
    assert "已停用" in client.get(f"/admin/projects/{world.project.id}/practice").get_data(
        as_text=True
    )


def test_evaluations_page(client, make, admin_login):
    world = w.build(make)
    for trainee, ratings, comment in ((world.trainee, 5, "讲得清楚"), (world.unbound, 3, "")):
        response = client.post(
            f"/api/v1/projects/{world.project.id}/evaluation",
            json={
                "overall": ratings,
                "content": ratings,
                "teaching": 4,
                "platform": 2,
                "comment": comment,
            },
            headers=make.auth(trainee),
        )
        assert response.status_code in (200, 201), response.get_json()
    admin_login(make.admin(Role.REVIEWER))
    html = client.get(f"/admin/projects/{world.project.id}/evaluations").get_data(as_text=True)
    assert '<strong id="avg-overall">4.0</strong>' in html
    assert "data-values='[0, 0, 1, 0, 1]'" in html
    assert "讲得清楚" in html and "张三" in html
    assert "共 1 条" in html
