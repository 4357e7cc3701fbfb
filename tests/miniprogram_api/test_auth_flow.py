"""Sign-in over HTTP against the WeChat simulator, the real Redis and the real database."""

import logging

import pytest
from sqlalchemy import select

from backend.models import AuditLog, Trainee
from backend.wechat.simulator import SimulatorServer
from tests.signin import (
    WeChatUser,
    bearer,
    bind,
    bind_ticket,
    encrypted_phone,
    phone_code,
    sign_in,
    wx_login,
)
from tests.wechat_sample import SAMPLE_APP_ID, SAMPLE_ENCRYPTED_DATA, SAMPLE_IV, SAMPLE_SESSION_KEY

MOBILE = "13800138001"


@pytest.fixture
def trainee(make):
    trainee = make.trainee(mobile=MOBILE, account="zhangwei", name="张伟")
    make.session.commit()
    return trainee


def _audit(session, action):
    return session.scalars(select(AuditLog).where(AuditLog.action == action)).all()


def test_first_login_bind_by_phone_second_login_and_logout(
    client, app, make, trainee, wechat_simulator, caplog
):
    caplog.set_level(logging.DEBUG)
    user = WeChatUser()
    first = wx_login(client, user.code())
    assert first.status_code == 200
    body = first.get_json()
    assert set(body) == {"bind_ticket", "expires_in"}
    assert body["expires_in"] == app.config["BIND_TICKET_TTL_S"]
    session_key = wechat_simulator.last_session_key(user.openid)

    proof = phone_code(wechat_simulator, MOBILE)
    bound = bind(client, body["bind_ticket"], "zhangwei", phone_code=proof)
    assert bound.status_code == 200, bound.get_json()
    signed_in = bound.get_json()
    assert signed_in["expires_in"] == app.config["TOKEN_TTL_S"]
    assert signed_in["trainee"]["account"] == "zhangwei"
    assert signed_in["trainee"]["enterprise"]["id"] == trainee.enterprise_id

    make.session.expire_all()
    row = make.session.get(Trainee, trainee.id)
    assert row.wx_openid == user.openid and row.bound_at is not None
    [entry] = _audit(make.session, "trainee.wechat_bound")
    assert entry.object_id == trainee.id and entry.detail["method"] == "phone_code"
    assert client.get("/api/v1/me", headers=bearer(signed_in["token"])).status_code == 200

    second = wx_login(client, user.code())
    assert second.status_code == 200
    again = second.get_json()
    assert set(again) == {"token", "expires_in", "trainee"}
    assert again["trainee"]["id"] == trainee.id

    token = again["token"]
    assert client.post("/api/v1/auth/logout", headers=bearer(token)).status_code == 204
    after = client.get("/api/v1/me", headers=bearer(token))
    assert after.status_code == 401 and after.get_json()["error"]["code"] == "invalid_token"
    # The other device's token is untouched by this logout.
    assert client.get("/api/v1/me", headers=bearer(signed_in["token"])).status_code == 200

    # The session_key never leaves the server and is never logged.
    for response in (first, bound, second):
        assert session_key not in response.get_data(as_text=True)
    assert session_key not in caplog.text
    assert "session_key" not in first.get_data(as_text=True)


def test_bind_with_legacy_encrypted_data(client, make, trainee, wechat_simulator):
    user = WeChatUser()
    ticket = bind_ticket(client, user)
    session_key = wechat_simulator.last_session_key(user.openid)
    proof = encrypted_phone(session_key, MOBILE, wechat_simulator.app_id)
    response = bind(client, ticket, "zhangwei", **proof)
    assert response.status_code == 200, response.get_json()
    make.session.expire_all()
    assert make.session.get(Trainee, trainee.id).wx_openid == user.openid
    [entry] = _audit(make.session, "trainee.wechat_bound")
    assert entry.detail["method"] == "encrypted_data"


def test_watermark_of_another_app_is_refused(client, make, trainee, wechat_simulator):
    user = WeChatUser()
    ticket = bind_ticket(client, user)
    session_key = wechat_simulator.last_session_key(user.openid)
    proof = encrypted_phone(session_key, MOBILE, "wxSomeoneElsesApp")
    response = bind(client, ticket, "zhangwei", **proof)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bind_failed"
    make.session.expire_all()
    assert make.session.get(Trainee, trainee.id).wx_openid is None
    [entry] = _audit(make.session, "trainee.bind_failed")
    assert entry.detail["reason"] == "encrypted_data_rejected"
    assert entry.object_id == trainee.id


def test_encrypted_data_of_an_earlier_session_is_refused(client, make, trainee, wechat_simulator):
    user = WeChatUser()
    bind_ticket(client, user)
    old_key = wechat_simulator.last_session_key(user.openid)
    ticket = bind_ticket(client, user)  # a new login: a new session_key
    response = bind(client, ticket, "zhangwei", **encrypted_phone(old_key, MOBILE, "x"))
    assert response.get_json()["error"]["code"] == "bind_failed"


def test_official_sample_vector_decrypts_through_the_bind_endpoint(app, app_factory, make):
    """WeChat's own sample (a profile, no phone) decrypts with its app id and session_key."""
    make.trainee(mobile=MOBILE, account="sample-user")
    make.session.commit()
    with SimulatorServer(app_id=SAMPLE_APP_ID, secret="sample-secret") as simulator:
        sample_app = app_factory(
            WECHAT_APP_ID=SAMPLE_APP_ID,
            WECHAT_APP_SECRET="sample-secret",
            WECHAT_API_BASE_URL=simulator.url,
        )
        client = sample_app.test_client()
        simulator.register_code("sample-code", "oSampleUser", session_key=SAMPLE_SESSION_KEY)
        ticket = wx_login(client, "sample-code").get_json()["bind_ticket"]
        proof = {"encrypted_data": SAMPLE_ENCRYPTED_DATA, "iv": SAMPLE_IV}
        response = bind(client, ticket, "sample-user", **proof)
    # It decrypted and the watermark matched; it just holds no phone number to compare.
    assert response.status_code == 400
    make.session.expire_all()
    [entry] = _audit(make.session, "trainee.bind_failed")
    assert entry.detail["reason"] == "no_phone_in_data"


def test_sample_vector_under_our_app_id_is_refused(client, make, trainee, wechat_simulator):
    wechat_simulator.register_code("sample-under-our-app", "oSample2", SAMPLE_SESSION_KEY)
    ticket = wx_login(client, "sample-under-our-app").get_json()["bind_ticket"]
    proof = {"encrypted_data": SAMPLE_ENCRYPTED_DATA, "iv": SAMPLE_IV}
    assert bind(client, ticket, "zhangwei", **proof).status_code == 400
    make.session.expire_all()
    [entry] = _audit(make.session, "trainee.bind_failed")
    assert entry.detail["reason"] == "encrypted_data_rejected"


def test_wrong_phone_and_unknown_account_look_the_same(client, make, trainee, wechat_simulator):
    wrong_phone = bind(
        client,
        bind_ticket(client, WeChatUser()),
        "zhangwei",
        phone_code=phone_code(wechat_simulator, "13900000000"),
    )
    unknown = bind(
        client,
        bind_ticket(client, WeChatUser()),
        "nobody-here",
        phone_code=phone_code(wechat_simulator, MOBILE),
    )
    assert wrong_phone.status_code == unknown.status_code == 400
    assert wrong_phone.get_json() == unknown.get_json()
    assert wrong_phone.get_json()["error"]["code"] == "bind_failed"
    make.session.expire_all()
    reasons = {e.detail["reason"] for e in _audit(make.session, "trainee.bind_failed")}
    assert reasons == {"phone_mismatch", "unknown_account"}


def test_inactive_trainee_cannot_bind(client, make, wechat_simulator):
    make.trainee(mobile=MOBILE, account="left-company", active=False)
    make.session.commit()
    ticket = bind_ticket(client, WeChatUser())
    response = bind(client, ticket, "left-company", phone_code=phone_code(wechat_simulator, MOBILE))
    # Told only after a valid proof (a wrong one is bind_failed, as for any account).
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "account_disabled"


def test_deactivated_trainee_login_is_refused(client, make, trainee, wechat_simulator):
    user = WeChatUser()
    sign_in(client, wechat_simulator, trainee, MOBILE, user)
    trainee.active = False
    make.session.commit()
    response = wx_login(client, user.code())
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "account_disabled"


def test_bind_ticket_is_single_use(client, trainee, wechat_simulator):
    ticket = bind_ticket(client, WeChatUser())
    first = bind(client, ticket, "zhangwei", phone_code=phone_code(wechat_simulator, "13900000000"))
    assert first.get_json()["error"]["code"] == "bind_failed"
    again = bind(client, ticket, "zhangwei", phone_code=phone_code(wechat_simulator, MOBILE))
    assert again.status_code == 400
    assert again.get_json()["error"]["code"] == "invalid_bind_ticket"


@pytest.mark.parametrize(
    "proof",
    [
        {},
        {"phone_code": "p", "activation_code": "ABCD"},
        {"encrypted_data": "AAAA"},
        {"iv": "AAAA"},
        {"phone_code": "p", "iv": "AAAA"},
    ],
)
def test_bind_needs_exactly_one_proof(client, trainee, proof):
    ticket = bind_ticket(client, WeChatUser())
    response = bind(client, ticket, "zhangwei", **proof)
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "validation_error"
    # A malformed request does not burn the ticket.
    ok = bind(client, ticket, "zhangwei", activation_code="WRONG")
    assert ok.get_json()["error"]["code"] == "bind_failed"
