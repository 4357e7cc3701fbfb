"""Sign-in failures: WeChat errors, reused codes, rate limits and binding conflicts."""

import pytest
from sqlalchemy import select

from backend.models import Trainee
from tests.signin import WeChatUser, bind, bind_ticket, phone_code, sign_in, wx_login

MOBILE = "13800138002"
JSCODE2SESSION = "sns/jscode2session"
PHONE = "wxa/business/getuserphonenumber"


@pytest.fixture
def trainee(make):
    trainee = make.trainee(mobile=MOBILE, account="wangfang")
    make.session.commit()
    return trainee


def _error(response):
    return response.status_code, response.get_json()["error"]["code"]


def test_reused_code_is_refused(client):
    code = WeChatUser().code()
    assert wx_login(client, code).status_code == 200
    assert _error(wx_login(client, code)) == (400, "code_used")


def test_invalid_code(client):
    assert _error(wx_login(client, "invalid-code-from-nowhere")) == (400, "invalid_code")


@pytest.mark.parametrize("code", ["", "has space", "x" * 129, "中文"])
def test_malformed_code_is_a_clean_422(client, code):
    assert _error(wx_login(client, code)) == (422, "validation_error")


@pytest.mark.parametrize(
    ("errcode", "status", "code", "retry_after"),
    [
        (40029, 400, "invalid_code", None),
        (40163, 400, "code_used", None),
        (45011, 429, "wechat_rate_limited", "60"),
        (40226, 403, "wechat_user_blocked", None),
        (-1, 503, "wechat_unavailable", "10"),
        (40013, 503, "wechat_unavailable", "10"),
    ],
)
def test_login_wechat_errors_are_mapped(
    client, wechat_simulator, errcode, status, code, retry_after
):
    wechat_simulator.fail_next(JSCODE2SESSION, errcode)
    response = wx_login(client, WeChatUser().code())
    assert _error(response) == (status, code)
    assert response.headers.get("Retry-After") == retry_after
    assert response.get_json()["error"]["message"]  # a Chinese sentence for the user


def test_login_timeout_is_503_with_retry_after(app_factory, app, wechat_simulator):
    client = app_factory(WECHAT_TIMEOUT_S=0.3).test_client()
    wechat_simulator.delay_next(JSCODE2SESSION, 1.5)
    response = wx_login(client, WeChatUser().code())
    assert _error(response) == (503, "wechat_unavailable")
    assert int(response.headers["Retry-After"]) > 0


def test_unreachable_wechat_is_503(app_factory, app):
    client = app_factory(WECHAT_API_BASE_URL="http://127.0.0.1:1/").test_client()
    response = wx_login(client, WeChatUser().code())
    assert _error(response) == (503, "wechat_unavailable")
    assert "Retry-After" in response.headers


@pytest.mark.parametrize(
    ("errcode", "status", "code"),
    [(-1, 503, "wechat_unavailable"), (45011, 429, "wechat_rate_limited")],
)
def test_phone_number_wechat_errors_are_mapped(
    client, trainee, wechat_simulator, errcode, status, code
):
    ticket = bind_ticket(client, WeChatUser())
    wechat_simulator.fail_next(PHONE, errcode)
    response = bind(client, ticket, "wangfang", phone_code=phone_code(wechat_simulator, MOBILE))
    assert _error(response) == (status, code)


def test_unknown_phone_code_is_invalid_code(client, trainee):
    ticket = bind_ticket(client, WeChatUser())
    response = bind(client, ticket, "wangfang", phone_code="never-registered")
    assert _error(response) == (400, "invalid_code")


def test_reused_phone_code_is_code_used(client, make, wechat_simulator):
    make.trainee(mobile=MOBILE, account="first")
    make.trainee(mobile=MOBILE, account="second", enterprise=make.enterprise())
    make.session.commit()
    proof = phone_code(wechat_simulator, MOBILE)
    assert (
        bind(client, bind_ticket(client, WeChatUser()), "first", phone_code=proof).status_code
        == 200
    )
    again = bind(client, bind_ticket(client, WeChatUser()), "second", phone_code=proof)
    assert _error(again) == (400, "code_used")


def test_bind_attempts_are_rate_limited_per_account(app, client, trainee):
    limit = app.config["BIND_RATE_LIMIT"]
    for _ in range(limit):
        # A new WeChat user each time: only the account is common.
        response = bind(client, bind_ticket(client, WeChatUser()), "WangFang", activation_code="X")
        assert _error(response) == (400, "bind_failed")
    response = bind(client, bind_ticket(client, WeChatUser()), "wangfang", activation_code="X")
    assert _error(response) == (429, "too_many_attempts")
    retry_after = int(response.headers["Retry-After"])
    assert 0 < retry_after <= app.config["BIND_RATE_WINDOW_S"]


def test_bind_attempts_are_rate_limited_per_wechat_user(app, client, make):
    user = WeChatUser()
    limit = app.config["BIND_RATE_LIMIT"]
    for n in range(limit):
        response = bind(client, bind_ticket(client, user), f"guess{n}", activation_code="X")
        assert _error(response) == (400, "bind_failed")
    response = bind(client, bind_ticket(client, user), "another-guess", activation_code="X")
    assert _error(response) == (429, "too_many_attempts")
    assert int(response.headers["Retry-After"]) > 0


def test_rate_limit_window_ends(app_factory, app, make, wechat_simulator, redis_client):
    client = app_factory(BIND_RATE_LIMIT=1, BIND_RATE_WINDOW_S=1).test_client()
    make.trainee(mobile=MOBILE, account="windowed")
    make.session.commit()
    user = WeChatUser()
    assert (
        _error(bind(client, bind_ticket(client, user), "windowed", activation_code="X"))[0] == 400
    )
    assert (
        _error(bind(client, bind_ticket(client, user), "windowed", activation_code="X"))[0] == 429
    )
    # Redis expires the window; waiting it out stands in for the 15 minutes of production.
    prefix = app.config["REDIS_PREFIX"]
    for key in redis_client.scan_iter(match=f"{prefix}rate:*"):
        assert 0 < redis_client.pttl(key) <= 1000
        redis_client.delete(key)
    response = bind(
        client,
        bind_ticket(client, user),
        "windowed",
        phone_code=phone_code(wechat_simulator, MOBILE),
    )
    assert response.status_code == 200


def test_account_bound_to_another_wechat_is_409(client, trainee, wechat_simulator, make):
    sign_in(client, wechat_simulator, trainee, MOBILE)
    intruder = bind(
        client,
        bind_ticket(client, WeChatUser()),
        "wangfang",
        phone_code=phone_code(wechat_simulator, MOBILE),
    )
    assert _error(intruder) == (409, "account_already_bound")
    # Without a valid proof a stranger learns nothing about the account, bound or not.
    guess = bind(client, bind_ticket(client, WeChatUser()), "wangfang", activation_code="X")
    assert _error(guess) == (400, "bind_failed")


def test_wechat_bound_to_another_trainee_is_409(client, make, wechat_simulator):
    first = make.trainee(mobile=MOBILE, account="first-account")
    make.trainee(mobile="13800138009", account="second-account")
    make.session.commit()
    user = WeChatUser()
    # Two logins before binding: both answer with a ticket.
    ticket_one, ticket_two = bind_ticket(client, user), bind_ticket(client, user)
    proof = phone_code(wechat_simulator, MOBILE)
    assert bind(client, ticket_one, "first-account", phone_code=proof).status_code == 200
    second = bind(
        client, ticket_two, "second-account", phone_code=phone_code(wechat_simulator, "13800138009")
    )
    assert _error(second) == (409, "wechat_already_bound")
    make.session.expire_all()
    rows = make.session.scalars(select(Trainee).where(Trainee.wx_openid == user.openid)).all()
    assert [t.id for t in rows] == [first.id]


def test_same_wechat_binding_the_same_account_twice_just_signs_in(
    client, trainee, wechat_simulator
):
    user = WeChatUser()
    ticket_one, ticket_two = bind_ticket(client, user), bind_ticket(client, user)
    assert (
        bind(
            client, ticket_one, "wangfang", phone_code=phone_code(wechat_simulator, MOBILE)
        ).status_code
        == 200
    )
    again = bind(client, ticket_two, "wangfang", phone_code=phone_code(wechat_simulator, MOBILE))
    assert again.status_code == 200 and again.get_json()["trainee"]["id"] == trainee.id


def test_unknown_bind_ticket(client, trainee):
    response = bind(client, "no-such-ticket", "wangfang", activation_code="ABCD")
    assert _error(response) == (400, "invalid_bind_ticket")
