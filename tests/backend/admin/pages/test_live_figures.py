"""Someone learning now: 学习中 with the credit so far on the dashboard, table and trainee page."""

from __future__ import annotations

import re

from backend.models import Role
from tests.learning_driver import Learner, drain, enrolled


def test_learning_now_shows_on_every_page(client, make, admin_login, frozen_clock):
    project, lesson, trainee = enrolled(make, attention_checks_enabled=False, planned_class_hours=2)
    idle = make.trainee(project.enterprise, name="未学习")
    make.enrol(idle, project)
    hr = make.admin(Role.ENTERPRISE_ADMIN, enterprise=project.enterprise)
    make.session.commit()
    me = Learner(client, make, trainee)
    me.check_in(lesson)
    me.play(150)  # 2.5 minutes of beats, none of it stored yet
    admin_login(hr)

    dashboard = client.get(f"/admin/projects/{project.id}").get_data(as_text=True)
    assert '<strong id="stat-started">1</strong>' in dashboard
    assert '<span id="stat-learning-now">1</span> 人学习中' in dashboard
    # The rules in the project's policy numbers.
    assert "45 分钟计 1 课时" in dashboard
    assert "30 元/课时，每人每年 1000 元封顶" in dashboard
    assert "每人最多计 2 课时（计划课时）" in dashboard
    assert "已交卷的 0 人中 0 人通过全部考核（共报名 2 人）" in dashboard

    table = client.get(f"/admin/projects/{project.id}/trainees").get_data(as_text=True)
    assert '学习中</span> <small class="muted">本次已计入 2分钟' in table
    assert "按 45 分钟计 1 课时" in table

    page = client.get(f"/admin/trainees/{trainee.id}?project={project.id}").get_data(as_text=True)
    assert 'id="learning-now">学习中' in page
    assert re.search(r'id="stat-credited">2分钟</strong>', page)
    assert "再学 43 分钟得下一课时" in page

    # Checked out: the credit is stored once the drain caught up, and nobody is learning.
    me.end()
    drain()
    dashboard = client.get(f"/admin/projects/{project.id}").get_data(as_text=True)
    assert '<strong id="stat-started">1</strong>' in dashboard
    assert "人学习中" not in dashboard
    page = client.get(f"/admin/trainees/{trainee.id}?project={project.id}").get_data(as_text=True)
    assert 'id="learning-now"' not in page and 'id="stat-credited">2分钟</strong>' in page


def _figures(client, project, trainee):
    """(dashboard 累计课时, 已达计划课时; trainee page credited minutes, class hours)."""
    dashboard = client.get(f"/admin/projects/{project.id}").get_data(as_text=True)
    stats = dict(re.findall(r"<span>([^<]+)</span><strong[^>]*>([^<]+)</strong>", dashboard))
    page = client.get(f"/admin/trainees/{trainee.id}?project={project.id}").get_data(as_text=True)
    credited = re.search(r'id="stat-credited">([^<]+)</strong>', page).group(1)
    hours = re.search(r"<span>课时</span><strong>(\d+) / ", page).group(1)
    return stats["累计课时"], stats["已达计划课时"], credited, hours


def test_class_hours_include_credit_the_drain_has_not_written(
    client, make, admin_login, frozen_clock
):
    project, lesson, trainee = enrolled(
        make, attention_checks_enabled=False, planned_class_hours=1, duration_s=3600
    )
    hr = make.admin(Role.ENTERPRISE_ADMIN, enterprise=project.enterprise)
    make.session.commit()
    me = Learner(client, make, trainee)
    me.check_in(lesson)
    me.play(2640)
    drain()
    admin_login(hr)
    assert _figures(client, project, trainee) == ("0", "0", "44分钟", "0")
    me.play(60)  # the 45th minute is in Redis only
    assert _figures(client, project, trainee) == ("1", "1", "45分钟", "1")
    drain()
    assert _figures(client, project, trainee) == ("1", "1", "45分钟", "1")  # not doubled
    me.play(60)
    frozen_clock.advance(30)
    me.end()  # closed, its last 90 s not drained yet: the trainee page still counts them
    assert _figures(client, project, trainee)[2:] == ("46分钟", "1")
    drain()
    assert _figures(client, project, trainee) == ("1", "1", "46分钟", "1")
