"""The project dashboard's figures and the scoped chart data."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from backend.models import Evaluation, Quiz, QuizAttempt, QuizKind
from tests.backend.admin.pages import world as w


def test_dashboard_figures_and_charts(client, make, admin_login):
    world = w.build(make, span_minutes=0)
    world.project.planned_class_hours = 2
    first, second, idle = (make.trainee(world.a) for _ in range(3))
    for trainee in (first, second, idle):
        make.enrol(trainee, world.project)
    # First: 100 + 50 minutes on two China days (2 class hours); second: 50 minutes (1 hour).
    w.add_span(make, first, world.project, datetime(2026, 3, 2, 1, tzinfo=UTC), 100)
    w.add_span(make, first, world.project, datetime(2026, 3, 2, 17, tzinfo=UTC), 50)
    w.add_span(make, second, world.project, datetime(2026, 3, 2, 2, tzinfo=UTC), 50)
    quiz = Quiz(project_id=world.project.id, title="考核", kind=QuizKind.ASSESSMENT)
    make.session.add(quiz)
    make.session.flush()
    for trainee, passed in ((first, True), (second, False)):
        make.session.add(
            QuizAttempt(
                quiz_id=quiz.id,
                trainee_id=trainee.id,
                question_ids=[],
                option_orders={},
                submitted_at=datetime(2026, 3, 3, tzinfo=UTC),
                score=80 if passed else 40,
                passed=passed,
            )
        )
    for trainee, score in ((first, 5), (second, 4)):
        make.session.add(
            Evaluation(
                project_id=world.project.id,
                trainee_id=trainee.id,
                overall=score,
                content=score,
                teaching=score,
                platform=3,
            )
        )
    make.session.commit()
    w.sign_in("hr_a", world, make, admin_login, client)

    page = client.get(f"/admin/projects/{world.project.id}").get_data(as_text=True)
    figures = dict(re.findall(r"<span>([^<]+)</span>\s*<strong[^>]*>([^<]+)</strong>", page))
    assert figures["报名人数"] == "5"  # 张三 and 李四 are enrolled too
    assert figures["已开始学习"] == "2"
    assert figures["已达计划课时"] == "1"
    assert figures["累计课时"] == "4"  # 150 min → 3, 50 min → 1
    assert figures["可申请补贴课时"] == "3"  # within the 2 planned hours: 2 + 1
    assert figures["预计补贴（元）"] == "90.00"
    assert figures["考核通过率"] == "50.0%"
    assert figures["评价均分（2 人）"] == "4.5"
    assert "vendor/echarts/echarts.common.min.js" in page and "<script>" not in page

    charts = client.get(f"/api/admin/projects/{world.project.id}/charts").get_json()
    assert charts["hours_per_day"] == {
        "labels": ["2026-03-02", "2026-03-03"],
        "values": [3, 1],  # the moments the 4 class hours completed, in China time
    }
    assert charts["trainees_by_hours"] == {
        "labels": ["0 课时", "1 课时", "≥2 课时"],
        "values": [3, 1, 1],
    }


def test_vendored_chart_library_is_served_with_its_license(client):
    script = client.get("/static/vendor/echarts/echarts.common.min.js")
    assert script.status_code == 200 and b"echarts" in script.data[:5000]
    script.close()
    license_text = client.get("/static/vendor/echarts/LICENSE")
    assert b"Apache License" in license_text.data
    license_text.close()
