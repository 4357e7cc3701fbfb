"""Keeping trainees current over the admin API: edits, and deactivation that stops learning."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from backend import pii
from backend.models import AuditLog, Role, Trainee
from tests.factories import id_number, mobile
from tests.learning_driver import Learner
from tests.signin import WeChatUser, bind, bind_ticket, phone_code, sign_in, wx_login


@pytest.fixture
def company(make):
    return make.enterprise()


@pytest.fixture
def hr(make, company, admin_login):
    admin = make.admin(Role.ENTERPRISE_ADMIN, enterprise=company)
    make.session.commit()
    return admin, admin_login(admin)


def _patch(client, csrf, trainee_id, **body):
    return client.patch(
        f"/api/admin/trainees/{trainee_id}", json=body, headers={"X-CSRFToken": csrf}
    )


def _post(client, csrf, trainee_id, action):
    return client.post(f"/api/admin/trainees/{trainee_id}/{action}", headers={"X-CSRFToken": csrf})


def _entries(make, action):
    return make.session.scalars(select(AuditLog).where(AuditLog.action == action)).all()


def test_edit_re_encrypts_the_mobile_and_logs_old_and_new_masked(client, make, company, hr):
    admin, csrf = hr
    trainee = make.trainee(company, name="王五", mobile=mobile(1))
    make.session.commit()
    response = _patch(client, csrf, trainee.id, name="王伍", mobile=mobile(2))
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["name"] == "王伍" and body["mobile"] == "139****0002"
    make.session.expire_all()
    stored = make.session.get(Trainee, trainee.id)
    assert stored.mobile_hash == pii.blind_index(mobile(2)) and mobile(2) not in stored.mobile_enc
    [entry] = _entries(make, "trainee.edit")
    assert entry.actor_id == admin.id
    assert entry.detail["changes"] == {
        "name": {"old": "王五", "new": "王伍"},
        "mobile": {"old": "139****0001", "new": "139****0002"},
    }
    # Nothing to change: no entry.
    assert _patch(client, csrf, trainee.id, name="王伍").status_code == 200
    assert len(_entries(make, "trainee.edit")) == 1


def test_mobile_of_another_trainee_of_the_enterprise_is_refused(client, make, company, hr):
    _admin, csrf = hr
    trainee = make.trainee(company)
    make.trainee(company, mobile=mobile(77))
    make.trainee(make.enterprise(), mobile=mobile(88))
    make.session.commit()
    response = _patch(client, csrf, trainee.id, mobile=mobile(77))
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "mobile_taken"
    # Another enterprise's trainee with that mobile is no conflict.
    assert _patch(client, csrf, trainee.id, mobile=mobile(88)).status_code == 200
    bad = _patch(client, csrf, trainee.id, mobile="12345")
    assert bad.status_code == 422 and bad.get_json()["error"]["code"] == "invalid_value"


def test_id_number_is_changed_only_by_an_operator_with_a_reason(
    client, make, company, hr, admin_login
):
    _admin, csrf = hr
    trainee = make.trainee(company, id_number=id_number(5))
    make.session.commit()
    new_id = id_number(6)
    refused = _patch(client, csrf, trainee.id, id_number=new_id, reason="录入错误")
    assert refused.status_code == 403
    operator = make.admin(Role.OPERATOR)
    make.session.commit()
    csrf = admin_login(operator)
    no_reason = _patch(client, csrf, trainee.id, id_number=new_id)
    assert no_reason.get_json()["error"]["code"] == "reason_required"
    done = _patch(client, csrf, trainee.id, id_number=new_id, reason="录入错误")
    assert done.status_code == 200, done.get_json()
    make.session.expire_all()
    assert make.session.get(Trainee, trainee.id).id_number_hash == pii.blind_index(new_id)
    [entry] = _entries(make, "trainee.edit")
    assert entry.detail["reason"] == "录入错误"
    assert new_id not in str(entry.detail) and "*" in entry.detail["changes"]["id_number"]["new"]


def test_another_enterprises_trainee_is_404(client, make, hr):
    _admin, csrf = hr
    stranger = make.trainee(make.enterprise())
    make.session.commit()
    assert _patch(client, csrf, stranger.id, name="x").status_code == 404
    assert _post(client, csrf, stranger.id, "deactivate").status_code == 404


def test_deactivation_mid_lesson_stops_the_next_beat(client, make, company, hr, frozen_clock):
    _admin, csrf = hr
    project = make.project(company, attention_checks_enabled=False)
    lesson = make.lesson(make.course(project))
    trainee = make.trainee(company)
    make.enrol(trainee, project)
    make.session.commit()
    me = Learner(client, make, trainee)
    me.check_in(lesson)
    me.play(120)

    response = _post(client, csrf, trainee.id, "deactivate")
    assert response.status_code == 200 and response.get_json()["active"] is False
    refused = me.beat(expect=403)
    assert refused["error"]["code"] == "account_disabled"
    assert me.check_in(lesson, expect=403)["error"]["code"] == "account_disabled"
    assert _entries(make, "trainee.deactivated")

    # The figures stay; reactivated, the trainee signs in again and carries on.
    assert _post(client, csrf, trainee.id, "reactivate").get_json()["active"] is True
    me.reauth()
    assert me.hours()["projects"][0]["credited_s"] == 120
    me.check_in(lesson)


def test_a_deactivated_trainee_cannot_log_in_or_bind(client, make, company, hr, wechat_simulator):
    _admin, csrf = hr
    bound = make.trainee(company, mobile=mobile(31))
    unbound = make.trainee(company, mobile=mobile(32))
    make.session.commit()
    user = WeChatUser()
    sign_in(client, wechat_simulator, bound, mobile(31), user)
    for trainee in (bound, unbound):
        assert _post(client, csrf, trainee.id, "deactivate").status_code == 200

    login = wx_login(client, user.code())
    assert login.status_code == 403 and login.get_json()["error"]["code"] == "account_disabled"
    ticket = bind_ticket(client, WeChatUser())
    attempt = bind(
        client, ticket, unbound.account, phone_code=phone_code(wechat_simulator, mobile(32))
    )
    assert attempt.status_code == 403
    assert attempt.get_json()["error"]["code"] == "account_disabled"
    # A wrong proof still says only bind_failed: the account's state is not given away.
    ticket = bind_ticket(client, WeChatUser())
    wrong = bind(
        client, ticket, unbound.account, phone_code=phone_code(wechat_simulator, mobile(9))
    )
    assert wrong.get_json()["error"]["code"] == "bind_failed"
