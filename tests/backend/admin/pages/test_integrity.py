"""The integrity page and export: each flag with its evidence; the trainee page shows each check."""

import csv
import io
from datetime import UTC, datetime, timedelta

from backend.models import (
    FaceCheck,
    FaceCheckOutcome,
    FaceCheckTrigger,
    Quiz,
    QuizAttempt,
    QuizKind,
    Role,
)
from tests.learning_driver import Learner, drain

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 China time


def _project(make, **fields):
    enterprise = make.enterprise()
    project = make.project(enterprise, attention_checks_enabled=False, **fields)
    lesson = make.lesson(make.course(project), duration_s=30 * 3600)
    return enterprise, project, lesson


def _trainee(make, enterprise, project, name):
    trainee = make.trainee(enterprise, name=name)
    make.enrol(trainee, project)
    return trainee


def _page(client, project, expect=200):
    response = client.get(f"/admin/projects/{project.id}/integrity")
    assert response.status_code == expect
    return response.get_data(as_text=True)


def _export(client, project):
    response = client.get(f"/api/admin/projects/{project.id}/exports/integrity?format=csv")
    assert response.status_code == 200, response.get_data(as_text=True)
    data = response.data
    response.close()
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_two_trainees_on_one_device_raise_a_flag(client, make, frozen_clock, admin_login):
    enterprise, project, lesson = _project(make)
    first = _trainee(make, enterprise, project, "王一")
    second = _trainee(make, enterprise, project, "李二")
    third = _trainee(make, enterprise, project, "赵三")  # the same model, a phone of their own
    for trainee, device_id in ((first, "inst-A1"), (second, "inst-A1"), (third, "inst-B2")):
        me = Learner(client, make, trainee, device="Redmi K70", device_id=device_id)
        me.check_in(lesson)
        me.play(120)
        me.end()
    admin_login(make.admin(Role.REVIEWER))
    page = _page(client, project)
    assert "多名学员使用同一设备" in page and "同一设备（标识 inst-A1）被 2 名学员用于学习" in page
    assert "王一：1 次学习会话（Redmi K70）" in page and "李二：1 次学习会话" in page
    assert "赵三" not in page and "inst-B2" not in page
    rows = _export(client, project)
    assert rows[0] == ["序号", "提示", "涉及学员", "概述", "证据"]
    assert rows[1][1:3] == ["多名学员使用同一设备", "王一、李二"]
    assert rows[-1][0].startswith("记录链摘要")


def _face(make, trainee, project, session, at, outcome, verify_ret=None):
    return make._add(
        FaceCheck(
            trainee_id=trainee.id,
            project_id=project.id,
            session_id=session.id,
            trigger=FaceCheckTrigger.CHECK_IN,
            out_seq_no=f"sg{session.id}x{at.timestamp():.0f}",
            verify_id="vf",
            issued_at=at,
            expires_at=at + timedelta(minutes=5),
            resolved_at=at + timedelta(minutes=1),
            outcome=outcome,
            verify_ret=verify_ret,
            device="iPhone",
        )
    )


def test_face_check_failures_daily_maximum_and_fast_assessments(client, make, admin_login):
    enterprise, project, lesson = _project(make)
    proxy = _trainee(make, enterprise, project, "代学者")
    clean = _trainee(make, enterprise, project, "本人")
    session = make.ended_session(proxy, lesson, T0, 60)
    _face(make, proxy, project, session, T0, FaceCheckOutcome.MISMATCH, 10003)
    for n in range(2):
        _face(
            make,
            clean,
            project,
            session,
            T0 + timedelta(hours=n + 1),
            FaceCheckOutcome.CANCELLED,
            90002,
        )
    # Eight hours (the daily maximum) on three days.
    for day in range(3):
        make.credited_span(proxy, lesson, T0 + timedelta(days=day), 8 * 3600)
    make.credited_span(clean, lesson, T0, 3600)
    quiz = make._add(Quiz(project_id=project.id, title="结业考核", kind=QuizKind.ASSESSMENT))
    for trainee, seconds in ((proxy, 12), (clean, 600)):
        make._add(
            QuizAttempt(
                quiz_id=quiz.id,
                trainee_id=trainee.id,
                question_ids=list(range(10)),
                option_orders={},
                started_at=T0,
                submitted_at=T0 + timedelta(seconds=seconds),
                score=90,
                passed=True,
            )
        )
    admin_login(make.admin(Role.ENTERPRISE_ADMIN, enterprise=enterprise))
    page = _page(client, project)
    assert "代学者 有 1 次人脸核身未通过（其中人脸与身份不符 1 次）" in page
    assert "verify_ret 10003" in page
    assert "本人 有 2 次人脸核身未通过" not in page  # below the policy's 3, and no mismatch
    assert (
        "代学者 有 3 天学时达到每日上限（8 小时）" in page and "2026-03-04：计入 480 分钟" in page
    )
    assert "代学者 用 12 秒通过 10 题的考核" in page and "本人 用" not in page
    kinds = {row[1] for row in _export(client, project)[1:-2]}
    assert kinds == {"人脸核身多次未通过", "多日学时达到每日上限", "考核用时过短"}


def test_another_enterprise_sees_no_flags(client, make, admin_login):
    _, project, _ = _project(make)
    admin_login(make.admin(Role.ENTERPRISE_ADMIN, enterprise=make.enterprise()))
    _page(client, project, expect=404)
    response = client.get(f"/api/admin/projects/{project.id}/exports/integrity")
    assert response.status_code == 404
    response.close()


def test_a_quiet_project_has_no_flags(client, make, admin_login):
    _, project, _ = _project(make)
    admin_login(make.admin(Role.OPERATOR))
    assert 'id="no-flags"' in _page(client, project)


def test_the_trainee_page_shows_each_face_check(
    client, make, frozen_clock, wechat_simulator, admin_login
):
    enterprise, project, lesson = _project(make, face_check_at_check_in="every_session")
    trainee = _trainee(make, enterprise, project, "刷脸者")
    trainee.wx_openid = "oTraineePage"
    me = Learner(client, make, trainee)
    first = me.check_in(lesson)["face_check"]
    wechat_simulator.face.complete(first["verify_id"], 10003)
    again = client.post(f"/api/v1/face-checks/{first['id']}/result", headers=me.headers).get_json()
    wechat_simulator.face.complete(again["face_check"]["verify_id"])
    assert client.post(
        f"/api/v1/face-checks/{again['face_check']['id']}/result", headers=me.headers
    ).get_json()["passed"]
    me.play(60)
    me.end()
    drain()
    admin_login(make.admin(Role.ENTERPRISE_ADMIN, enterprise=enterprise))
    page = client.get(f"/admin/trainees/{trainee.id}?project={project.id}").get_data(as_text=True)
    assert "人脸核身 09:00:00（签到时）：人脸与身份不符" in page and "verify_ret 10003" in page
    assert "人脸核身 09:00:00（重新核身）：通过" in page
    records = client.get(f"/api/admin/projects/{project.id}/exports/records?format=csv")
    data = records.data
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    faces = [row for row in rows if len(row) > 2 and row[2] == "人脸核身"]
    assert [row[9] for row in faces] == ["人脸与身份不符", "通过"]
    assert "verify_ret 10003" in faces[0][10]
    spans = [row for row in rows if len(row) > 2 and row[2] == "计入时段"]
    assert spans and all(row[10] == f"人脸核身 #{again['face_check']['id']}" for row in spans)
    records.close()
