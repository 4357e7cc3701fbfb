"""The trainee table query: search by name, account, ID or mobile; filters; sort; pages."""

from __future__ import annotations

from datetime import UTC, datetime

from backend.models import Gender
from backend.services.trainee_table import TableParams, trainee_page
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
