"""The trainee table query: search by name, account, ID or mobile; filters; sort; pages."""

from __future__ import annotations

from datetime import UTC, datetime

from backend.models import Gender, QuizAttempt, QuizKind
from backend.services.people.trainee_table import TableParams, trainee_page
from tests.factories import id_number, mobile


def _credit(make, trainee, project, lesson, seconds):
    make.credited_span(trainee, lesson, datetime(2026, 3, 2, 1, tzinfo=UTC), seconds)


def test_search_filter_sort_and_pages(make):
    enterprise = make.enterprise()
    project, other = make.project(enterprise), make.project(enterprise)
    lesson = make.lesson(make.course(project))
    people = [
        make.trainee(
            enterprise, name="张三", account="zhang_3", roster_seq=3, id_number=id_number(701)
        ),
        make.trainee(enterprise, name="李四", account="li4", roster_seq=1, gender="female"),
        make.trainee(enterprise, name="王五", account="wang5", roster_seq=2, mobile=mobile(702)),
    ]
    people[2].wx_openid = "openid-w5"
    for t in people:
        make.enrol(t, project)
    make.enrol(make.trainee(enterprise, name="赵六"), other)  # not in this project
    _credit(make, people[0], project, lesson, 600)
    _credit(make, people[1], project, lesson, 1200)
    make.session.flush()

    page = trainee_page(project, TableParams())
    assert page.total == 3 and [r.name for r in page.rows] == ["李四", "王五", "张三"]
    assert page.rows[2].credited_s == 600 and page.rows[1].credited_s == 0
    assert page.rows[0].id_number.count("*") == 8 and page.rows[0].mobile.count("*") == 4

    def names(**kw):
        return [r.name for r in trainee_page(project, TableParams(**kw)).rows]

    assert names(q="张") == ["张三"]
    assert names(q="_3") == ["张三"]  # LIKE wildcards are literal
    assert names(q="%") == []
    assert names(q=id_number(701)) == ["张三"]
    assert names(q=mobile(702)) == ["王五"]
    assert names(gender=Gender.FEMALE) == ["李四"]
    assert names(bound=True) == ["王五"] and names(bound=False) == ["李四", "张三"]
    assert names(sort="credited", descending=True) == ["李四", "张三", "王五"]
    assert names(sort="account", descending=True) == ["张三", "王五", "李四"]
    second = trainee_page(project, TableParams(per_page=2, page=2))
    assert second.total == 3 and [r.name for r in second.rows] == ["张三"]


def _attempt(make, quiz, trainee, passed: bool, **fields):
    fields.setdefault("submitted_at", datetime(2026, 3, 3, tzinfo=UTC))
    make.session.add(
        QuizAttempt(
            quiz_id=quiz.id,
            trainee_id=trainee.id,
            question_ids=[],
            option_orders={},
            score=80 if passed else 40,
            passed=passed,
            **fields,
        )
    )


def test_passed_means_every_live_assessment_and_is_read_for_the_page_rows(make):
    enterprise = make.enterprise()
    project = make.project(enterprise)
    people = [make.trainee(enterprise, name=n, roster_seq=s) for s, n in enumerate("甲乙丙丁", 1)]
    for t in people:
        make.enrol(t, project)

    def view(**kw):
        page = trainee_page(project, TableParams(**kw))
        return [(r.name, r.passed) for r in page.rows]

    assert view(status="passed") == []  # no assessment: nobody passed
    first = make.quiz(project, kind=QuizKind.ASSESSMENT)
    second = make.quiz(project, kind=QuizKind.ASSESSMENT)
    retired = make.quiz(
        project, kind=QuizKind.ASSESSMENT, retired_at=datetime(2026, 3, 1, tzinfo=UTC)
    )
    practice = make.quiz(project)
    make.session.flush()
    for quiz in (first, second):
        _attempt(make, quiz, people[3], True)  # 丁: both
        _attempt(make, quiz, people[3], True)  # twice over: still one pass per quiz
    _attempt(make, first, people[1], True)  # 乙: one of two, the other failed
    _attempt(make, second, people[1], False)
    _attempt(make, first, people[2], True)  # 丙: one, plus the retired and a practice quiz
    _attempt(make, retired, people[2], True)
    _attempt(make, practice, people[2], True)
    make.session.flush()

    assert view(status="passed") == [("丁", True)]
    assert view(sort="passed", descending=True)[0] == ("丁", True)
    assert view() == [("甲", False), ("乙", False), ("丙", False), ("丁", True)]
    # The passed flag of rows past the first page comes from the same rule.
    assert view(per_page=2, page=2) == [("丙", False), ("丁", True)]

    # An attempt left open past its deadline is scored before anyone's standing is read.
    open_attempt = QuizAttempt(
        quiz_id=second.id,
        trainee_id=people[2].id,
        question_ids=[],
        option_orders={},
        started_at=datetime(2026, 3, 3, tzinfo=UTC),
        deadline_at=datetime(2026, 3, 3, 0, 30, tzinfo=UTC),
    )
    make.session.add(open_attempt)
    make.session.flush()
    assert view(status="passed") == [("丁", True)]
    assert open_attempt.submitted_at == open_attempt.deadline_at
    assert open_attempt.passed is False  # no question answered
