"""Trainee pages: edit form errors, deactivate, withdraw, and the table's bulk enrolment."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from backend.models import ActivationCode, Enrolment, ProjectStatus, Role, Trainee
from tests.factories import mobile


@pytest.fixture
def company(make):
    return make.enterprise()


@pytest.fixture
def hr(make, company, admin_login):
    admin = make.admin(Role.ENTERPRISE_ADMIN, enterprise=company)
    make.session.commit()
    return admin, admin_login(admin)


def test_edit_form_shows_a_taken_mobile_next_to_the_field(client, make, company, hr):
    _admin, csrf = hr
    trainee = make.trainee(company, name="赵六")
    make.trainee(company, mobile=mobile(41))
    make.session.commit()
    url = f"/admin/trainees/{trainee.id}/edit"
    page = client.get(url)
    assert page.status_code == 200 and 'value="赵六"' in page.text
    assert "身份证号码（留空不修改）" not in page.text  # operators only
    taken = client.post(
        url, data={"csrf_token": csrf, "name": "赵六", "gender": "male", "mobile": mobile(41)}
    )
    assert taken.status_code == 422
    assert "该手机号码已被本企业的其他学员使用" in taken.text
    bad = client.post(url, data={"csrf_token": csrf, "name": "", "gender": "male"})
    assert bad.status_code == 422 and "此项为必填项" in bad.text
    done = client.post(url, data={"csrf_token": csrf, "name": "赵陆", "gender": "male"})
    assert done.status_code == 302
    make.session.expire_all()
    assert make.session.get(Trainee, trainee.id).name == "赵陆"


def test_deactivate_and_reactivate_buttons(client, make, company, hr):
    _admin, csrf = hr
    trainee = make.trainee(company)
    make.session.commit()
    page = client.get(f"/admin/trainees/{trainee.id}")
    assert "停用账号" in page.text
    done = client.post(f"/admin/trainees/{trainee.id}/deactivate", data={"csrf_token": csrf})
    assert done.status_code == 302
    page = client.get(done.headers["Location"])
    assert "已停用" in page.text and "启用账号" in page.text
    client.post(f"/admin/trainees/{trainee.id}/reactivate", data={"csrf_token": csrf})
    make.session.expire_all()
    assert make.session.get(Trainee, trainee.id).active is True


def test_reviewers_cannot_edit_or_deactivate(client, make, company, admin_login):
    trainee = make.trainee(company)
    reviewer = make.admin(Role.REVIEWER)
    make.session.commit()
    csrf = admin_login(reviewer)
    assert client.get(f"/admin/trainees/{trainee.id}/edit").status_code == 403
    response = client.post(f"/admin/trainees/{trainee.id}/deactivate", data={"csrf_token": csrf})
    assert response.status_code == 403


def test_bulk_enrol_from_the_table_into_another_project(client, make, company, hr):
    _admin, csrf = hr
    source, target = make.project(company), make.project(company, name="次年在岗培训")
    make.project(company, name="已结束项目", status=ProjectStatus.CLOSED)
    make.project(make.enterprise(), name="别家项目")
    people = [make.trainee(company) for _ in range(3)]
    for person in people:
        make.enrol(person, source)
    make.session.commit()
    table = client.get(f"/admin/projects/{source.id}/trainees")
    assert "次年在岗培训" in table.text
    assert "已结束项目" not in table.text and "别家项目" not in table.text
    assert f'name="trainee_id" value="{people[0].id}"' in table.text

    chosen = [str(people[0].id), str(people[1].id)]
    response = client.post(
        f"/admin/projects/{source.id}/trainees/bulk",
        data={"csrf_token": csrf, "trainee_id": chosen, "target_project": target.id},
    )
    assert response.status_code == 302
    assert "已为“次年在岗培训”报名 2 名学员" in client.get(response.headers["Location"]).text
    enrolled = make.session.scalars(
        select(Enrolment.trainee_id).where(Enrolment.project_id == target.id)
    ).all()
    assert sorted(enrolled) == sorted([people[0].id, people[1].id])


def test_withdraw_button_marks_a_learner_as_withdrawn(client, make, company, hr):
    _admin, csrf = hr
    project = make.project(company)
    lesson = make.lesson(make.course(project))
    trainee = make.trainee(company)
    make.enrol(trainee, project)
    make.credited_span(trainee, lesson, datetime(2026, 3, 5, 1, tzinfo=UTC), 600)
    make.session.commit()
    response = client.post(
        f"/admin/projects/{project.id}/trainees/{trainee.id}/withdraw", data={"csrf_token": csrf}
    )
    assert response.status_code == 302
    table = client.get(response.headers["Location"]).text
    assert "已退出本项目" in table and "已退出" in table
    detail = client.get(f"/admin/trainees/{trainee.id}?project={project.id}").text
    assert "已退出" in detail


def test_bulk_activation_sheet_is_downloaded_once(client, make, company, hr):
    _admin, csrf = hr
    project = make.project(company, name="岗前培训")
    people = [make.trainee(company, name=f"甲{n}") for n in range(2)]
    bound = make.trainee(company, wx_openid="oBound")
    for person in (*people, bound):
        make.enrol(person, project)
    make.session.commit()
    table = client.get(f"/admin/projects/{project.id}/trainees").text
    assert "生成激活码表" in table
    response = client.post(
        f"/admin/projects/{project.id}/trainees/bulk",
        data={
            "csrf_token": csrf,
            "bulk": "activation_codes",
            "trainee_id": [str(p.id) for p in (*people, bound)],
        },
    )
    assert response.status_code == 302
    download = client.get(response.headers["Location"])
    assert download.status_code == 200 and download.headers["Cache-Control"] == "no-store"
    sheet = load_workbook(io.BytesIO(download.data)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=4)]
    assert [r[1] for r in rows] == ["甲0", "甲1"]  # the bound trainee gets none
    assert all(re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", r[3]) for r in rows)
    assert make.session.scalar(select(func.count(ActivationCode.id))) == 2
    again = client.get(response.headers["Location"])
    assert again.status_code == 410 and rows[0][3].encode() not in again.data
