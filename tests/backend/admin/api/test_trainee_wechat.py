"""Admin JSON API: unbind a trainee's WeChat and issue activation codes, tenant-scoped."""

import pytest
from sqlalchemy import select

from backend.models import ActivationCode, AuditLog, Role, Trainee
from tests.signin import WeChatUser, bearer, bind, bind_ticket, phone_code, sign_in, wx_login

MOBILE = "13800138004"


@pytest.fixture
def company(make):
    return make.enterprise()


@pytest.fixture
def trainee(make, company):
    trainee = make.trainee(company, account="liuqiang", mobile=MOBILE)
    make.session.commit()
    return trainee


def _unbind(client, csrf, trainee_id):
    return client.post(
        f"/api/admin/trainees/{trainee_id}/wechat/unbind", headers={"X-CSRFToken": csrf}
    )


def _issue(client, csrf, trainee_id):
    return client.post(
        f"/api/admin/trainees/{trainee_id}/activation-codes", headers={"X-CSRFToken": csrf}
    )


def test_activation_code_binds_a_trainee_whose_phone_differs(
    client, make, company, trainee, admin_login
):
    hr = make.admin(Role.ENTERPRISE_ADMIN, enterprise=company)
    csrf = admin_login(hr)
    response = _issue(client, csrf, trainee.id)
    assert response.status_code == 201, response.get_json()
    code = response.get_json()["activation_code"]
    assert len(code.replace("-", "")) == 12

    # Only a hash is stored.
    make.session.expire_all()
    [row] = make.session.scalars(select(ActivationCode)).all()
    assert row.trainee_id == trainee.id and row.created_by_id == hr.id
    assert code.replace("-", "") not in row.code_hash
    issued = make.session.scalars(
        select(AuditLog).where(AuditLog.action == "trainee.activation_code_issued")
    ).one()
    assert issued.actor_id == hr.id and code not in str(issued.detail)

    user = WeChatUser()
    typed = code.lower().replace("-", " ")  # as a person might type it
    bound = bind(client, bind_ticket(client, user), "liuqiang", activation_code=typed)
    assert bound.status_code == 200, bound.get_json()
    make.session.expire_all()
    assert make.session.get(Trainee, trainee.id).wx_openid == user.openid
    assert make.session.get(ActivationCode, row.id).used_at is not None

    # Single use: after an unbind, the same code does not bind anyone again.
    assert _unbind(client, csrf, trainee.id).status_code == 200
    again = bind(client, bind_ticket(client, WeChatUser()), "liuqiang", activation_code=code)
    assert again.get_json()["error"]["code"] == "bind_failed"


def test_activation_code_expires(client, make, trainee, admin_login, frozen_clock, app):
    csrf = admin_login(make.admin(Role.OPERATOR))
    code = _issue(client, csrf, trainee.id).get_json()["activation_code"]
    frozen_clock.advance(app.config["ACTIVATION_CODE_TTL_S"] + 1)
    response = bind(client, bind_ticket(client, WeChatUser()), "liuqiang", activation_code=code)
    assert response.get_json()["error"]["code"] == "bind_failed"


def test_a_new_code_replaces_the_old_one(client, make, trainee, admin_login):
    csrf = admin_login(make.admin(Role.OPERATOR))
    old = _issue(client, csrf, trainee.id).get_json()["activation_code"]
    new = _issue(client, csrf, trainee.id).get_json()["activation_code"]
    refused = bind(client, bind_ticket(client, WeChatUser()), "liuqiang", activation_code=old)
    assert refused.get_json()["error"]["code"] == "bind_failed"
    accepted = bind(client, bind_ticket(client, WeChatUser()), "liuqiang", activation_code=new)
    assert accepted.status_code == 200


def test_code_of_another_trainee_does_not_bind(client, make, company, trainee, admin_login):
    other = make.trainee(company, account="other-trainee")
    make.session.commit()
    csrf = admin_login(make.admin(Role.OPERATOR))
    code = _issue(client, csrf, other.id).get_json()["activation_code"]
    response = bind(client, bind_ticket(client, WeChatUser()), "liuqiang", activation_code=code)
    assert response.get_json()["error"]["code"] == "bind_failed"


def test_no_code_for_a_bound_trainee(client, make, trainee, admin_login, wechat_simulator):
    sign_in(client, wechat_simulator, trainee, MOBILE)
    csrf = admin_login(make.admin(Role.OPERATOR))
    response = _issue(client, csrf, trainee.id)
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "account_already_bound"


def test_unbind_revokes_tokens_and_frees_the_account(
    client, make, company, trainee, admin_login, wechat_simulator
):
    user = WeChatUser()
    token = sign_in(client, wechat_simulator, trainee, MOBILE, user)
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200
    hr = make.admin(Role.ENTERPRISE_ADMIN, enterprise=company)
    csrf = admin_login(hr)
    response = _unbind(client, csrf, trainee.id)
    assert response.status_code == 200
    assert response.get_json() == {"trainee_id": trainee.id, "wx_bound": False, "bound_at": None}
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401
    make.session.expire_all()
    assert make.session.get(Trainee, trainee.id).wx_openid is None
    entry = make.session.scalars(
        select(AuditLog).where(AuditLog.action == "trainee.wechat_unbound")
    ).one()
    assert entry.actor_id == hr.id and entry.object_id == trainee.id
    # The same WeChat now gets a bind ticket again, and a new phone can take the account.
    assert "bind_ticket" in wx_login(client, user.code()).get_json()
    assert _unbind(client, csrf, trainee.id).status_code == 409
    new_phone_user = WeChatUser()
    ticket = bind_ticket(client, new_phone_user)
    assert (
        bind(
            client, ticket, "liuqiang", phone_code=phone_code(wechat_simulator, MOBILE)
        ).status_code
        == 200
    )


def test_enterprise_admin_cannot_touch_another_enterprise(client, make, trainee, admin_login):
    stranger = make.admin(Role.ENTERPRISE_ADMIN, enterprise=make.enterprise())
    csrf = admin_login(stranger)
    assert _unbind(client, csrf, trainee.id).status_code == 404
    assert _issue(client, csrf, trainee.id).status_code == 404
    make.session.expire_all()
    assert make.session.scalars(select(ActivationCode)).all() == []


def test_reviewer_may_do_neither(client, make, trainee, admin_login):
    csrf = admin_login(make.admin(Role.REVIEWER))
    for response in (_unbind(client, csrf, trainee.id), _issue(client, csrf, trainee.id)):
        assert response.status_code == 403
        assert response.get_json()["error"]["code"] == "forbidden"


def test_csrf_is_required_and_unknown_trainee_is_404(client, make, trainee, admin_login):
    signed_out = client.post(f"/api/admin/trainees/{trainee.id}/wechat/unbind")
    # Signed out: 401 before the CSRF check (issue 25), as the document says.
    assert signed_out.status_code == 401
    csrf = admin_login(make.admin(Role.OPERATOR))
    response = client.post(f"/api/admin/trainees/{trainee.id}/activation-codes")
    assert response.status_code == 400
    assert _issue(client, csrf, 999999).status_code == 404
    make.session.expire_all()
    assert make.session.scalars(select(ActivationCode)).all() == []
