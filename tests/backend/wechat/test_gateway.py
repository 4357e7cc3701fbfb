"""WeChatGateway against the HTTP simulator, with the real wechatpy client and a real Redis."""

import logging
import os
import socket
import threading
import uuid

import pytest
import redis

from backend.wechat.errors import WeChatError, WeChatUnavailable
from backend.wechat.gateway import WeChatGateway
from backend.wechat.simulator import SimulatorServer, derive_openid

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def sim():
    with SimulatorServer() as server:
        yield server


@pytest.fixture
def redis_client():
    client = redis.Redis.from_url(REDIS_URL)
    yield client
    client.close()


@pytest.fixture
def prefix(redis_client):
    # The Redis is shared with other people: namespace by pid and test, delete only ours.
    value = f"test{os.getpid()}:{uuid.uuid4().hex[:12]}:"
    yield value
    for key in redis_client.scan_iter(match=value + "*"):
        redis_client.delete(key)


@pytest.fixture
def make_gateway(sim, redis_client, prefix):
    made = []

    def factory(**overrides):
        kwargs = {
            "app_id": sim.app_id,
            "secret": sim.secret,
            "api_base_url": sim.url,
            "redis": redis_client,
            "key_prefix": prefix,
            "timeout": 5.0,
        }
        kwargs.update(overrides)
        gateway = WeChatGateway(**kwargs)
        made.append(gateway)
        return gateway

    yield factory
    for gateway in made:
        gateway.close()


@pytest.fixture
def gateway(make_gateway):
    return make_gateway()


def _stored_token(redis_client, prefix, app_id):
    return redis_client.get(f"{prefix}wechat:{app_id}_access_token")


# -- login -----------------------------------------------------------------------------------


def test_code_to_session_goes_through_wechatpy_to_the_simulator(sim, gateway):
    result = gateway.code_to_session("alice.1")
    openid = derive_openid("alice.1")
    assert result["openid"] == openid
    assert result["session_key"] == sim.last_session_key(openid)
    assert result["unionid"].startswith("u")
    assert gateway.code_to_session("alice.2")["openid"] == openid
    assert gateway.code_to_session("bob.1")["openid"] != openid
    assert sim.calls["sns/jscode2session"] == 3
    # jscode2session authenticates with appid+secret: no access token is fetched for it.
    assert sim.token_fetches == 0


def test_code_to_session_with_registered_code_and_no_unionid(sim, gateway):
    sim.register_code("reg-1", "oRegisteredUser", session_key="c2Vzc2lvbmtleTEyMzQ1Ng==")
    assert gateway.code_to_session("reg-1") == {
        "openid": "oRegisteredUser",
        "session_key": "c2Vzc2lvbmtleTEyMzQ1Ng==",
        "unionid": None,
    }


def test_reused_code_is_40163(gateway):
    gateway.code_to_session("carol.1")
    with pytest.raises(WeChatError) as info:
        gateway.code_to_session("carol.1")
    assert info.value.errcode == 40163
    assert not isinstance(info.value, WeChatUnavailable)


def test_invalid_code_is_40029(gateway):
    with pytest.raises(WeChatError) as info:
        gateway.code_to_session("invalid-code")
    assert info.value.errcode == 40029


def test_wrong_secret_is_40125_and_never_echoed(make_gateway, caplog):
    gateway = make_gateway(secret="a-very-wrong-secret")
    caplog.set_level(logging.DEBUG)
    with pytest.raises(WeChatError) as info:
        gateway.code_to_session("dave.1")
    assert info.value.errcode == 40125
    with pytest.raises(WeChatError) as info:
        gateway.get_phone_number("pc-any")
    assert info.value.errcode == 40125
    assert "a-very-wrong-secret" not in caplog.text
    assert "a-very-wrong-secret" not in repr(gateway)


@pytest.mark.parametrize(
    ("path", "errcode"),
    [
        ("sns/jscode2session", 45011),
        ("sns/jscode2session", 40226),
        ("sns/jscode2session", 40029),
        ("wxa/business/getuserphonenumber", 45011),
        ("cgi-bin/message/subscribe/send", 43101),
    ],
)
def test_wechat_errcodes_surface_as_wechat_error(sim, gateway, path, errcode):
    sim.register_phone_code("pc-err", "13800000000")
    sim.fail_next(path, errcode, "simulated")
    with pytest.raises(WeChatError) as info:
        if path.startswith("sns/"):
            gateway.code_to_session("erin.1")
        elif path.startswith("wxa/"):
            gateway.get_phone_number("pc-err")
        else:
            gateway.send_subscribe_message("oUser", "tpl", {"thing1": {"value": "x"}})
    assert info.value.errcode == errcode
    assert info.value.errmsg == "simulated"
    assert not isinstance(info.value, WeChatUnavailable)


# -- unavailability --------------------------------------------------------------------------


def test_system_busy_is_unavailable(sim, gateway):
    sim.fail_next("sns/jscode2session", -1, "system error")
    with pytest.raises(WeChatUnavailable) as info:
        gateway.code_to_session("frank.1")
    assert info.value.errcode == -1


def test_timeout_is_unavailable_and_leaks_nothing(sim, make_gateway, caplog):
    gateway = make_gateway(timeout=0.5)
    caplog.set_level(logging.DEBUG)
    sim.delay_next("sns/jscode2session", 3.0)
    with pytest.raises(WeChatUnavailable) as info:
        gateway.code_to_session("grace.1")
    assert "Timeout" in info.value.errmsg
    # requests' exception text carries the URL (secret, code); it must not come along.
    assert info.value.__context__ is None and info.value.__cause__ is None
    assert sim.secret not in str(info.value) and sim.secret not in caplog.text


def test_timeout_on_token_fetch_is_unavailable(sim, make_gateway):
    gateway = make_gateway(timeout=0.5)
    sim.register_phone_code("pc-slow", "13800000000")
    sim.delay_next("cgi-bin/stable_token", 3.0)
    with pytest.raises(WeChatUnavailable):
        gateway.get_phone_number("pc-slow")


def test_connection_refused_is_unavailable(sim, make_gateway):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead_port = probe.getsockname()[1]
    gateway = make_gateway(api_base_url=f"http://127.0.0.1:{dead_port}", timeout=0.5)
    with pytest.raises(WeChatUnavailable) as info:
        gateway.code_to_session("heidi.1")
    assert sim.secret not in str(info.value)
    assert info.value.__context__ is None


# -- phone number and messages ---------------------------------------------------------------


def test_get_phone_number(sim, gateway, redis_client, prefix):
    sim.register_phone_code("pc-1", "13912345678")
    assert gateway.get_phone_number("pc-1") == "13912345678"
    assert sim.calls["cgi-bin/stable_token"] == 1
    assert sim.calls["cgi-bin/token"] == 0
    token = _stored_token(redis_client, prefix, sim.app_id)
    assert token is not None and token.decode().strip('"') in sim.app.valid_access_tokens()
    with pytest.raises(WeChatError) as info:
        gateway.get_phone_number("pc-1")
    assert info.value.errcode == 40163
    with pytest.raises(WeChatError) as info:
        gateway.get_phone_number("pc-unknown")
    assert info.value.errcode == 40029


def test_send_subscribe_message(sim, gateway):
    data = {"thing1": {"value": "岗前培训"}, "time2": {"value": "2025-01-01 09:00"}}
    gateway.send_subscribe_message("oUser1", "tpl-123", data, page="pages/course/index?id=1")
    gateway.send_subscribe_message("oUser2", "tpl-123", data)
    assert sim.sent_messages == [
        {
            "touser": "oUser1",
            "template_id": "tpl-123",
            "page": "pages/course/index?id=1",
            "data": data,
        },
        {"touser": "oUser2", "template_id": "tpl-123", "data": data},
    ]


# -- access token sharing, locking and refresh -----------------------------------------------


def test_token_is_fetched_once_and_shared_through_redis(sim, make_gateway):
    first, second = make_gateway(), make_gateway()
    for code in ("pc-a", "pc-b", "pc-c"):
        sim.register_phone_code(code, "13800000000")
    first.get_phone_number("pc-a")
    second.get_phone_number("pc-b")
    first.send_subscribe_message("oUser", "tpl", {"thing1": {"value": "x"}})
    second.get_phone_number("pc-c")
    assert sim.token_fetches == 1


def test_other_prefix_does_not_share_the_token(sim, make_gateway, prefix):
    sim.register_phone_code("pc-d", "13800000000")
    sim.register_phone_code("pc-e", "13800000000")
    make_gateway().get_phone_number("pc-d")
    make_gateway(key_prefix=prefix + "other:").get_phone_number("pc-e")
    assert sim.token_fetches == 2


def test_concurrent_calls_with_empty_store_fetch_the_token_once(sim, make_gateway):
    # Several gateways (as in several workers) and 20 threads race on an empty token store; a
    # slow token endpoint widens the window in which an unguarded refresh would stampede.
    gateways = [make_gateway() for _ in range(4)]
    sim.delay_next("cgi-bin/stable_token", 0.3)
    for n in range(20):
        sim.register_phone_code(f"pc-thread-{n}", f"139000000{n:02d}")
    start = threading.Barrier(20)
    results, errors = {}, []

    def worker(n):
        start.wait()
        try:
            results[n] = gateways[n % 4].get_phone_number(f"pc-thread-{n}")
        except Exception as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert results == {n: f"139000000{n:02d}" for n in range(20)}
    assert sim.token_fetches == 1


def test_expired_token_is_refreshed_and_the_call_retried(sim, gateway, redis_client, prefix):
    sim.register_phone_code("pc-1", "13800000001")
    sim.register_phone_code("pc-2", "13800000002")
    gateway.get_phone_number("pc-1")
    old = _stored_token(redis_client, prefix, sim.app_id)
    sim.expire_access_tokens()
    assert gateway.get_phone_number("pc-2") == "13800000002"
    assert sim.token_fetches == 2
    assert _stored_token(redis_client, prefix, sim.app_id) != old
    assert sim.calls["wxa/business/getuserphonenumber"] == 3


def test_expired_token_refresh_also_works_for_subscribe_messages(sim, gateway):
    gateway.send_subscribe_message("oUser", "tpl", {"thing1": {"value": "1"}})
    sim.expire_access_tokens()
    gateway.send_subscribe_message("oUser", "tpl", {"thing1": {"value": "2"}})
    assert [m["data"]["thing1"]["value"] for m in sim.sent_messages] == ["1", "2"]
    assert sim.token_fetches == 2


def test_42001_for_a_token_wechat_still_hands_out_forces_a_refresh(sim, gateway):
    sim.register_phone_code("pc-1", "13800000001")
    sim.register_phone_code("pc-2", "13800000002")
    gateway.get_phone_number("pc-1")
    sim.fail_next("wxa/business/getuserphonenumber", 42001, "access_token expired")
    assert gateway.get_phone_number("pc-2") == "13800000002"
    # The normal stable_token call returned the rejected token, so a forced one followed.
    assert sim.token_fetches == 3


def test_token_error_is_retried_only_once(sim, gateway):
    sim.register_phone_code("pc-1", "13800000001")
    sim.fail_next("wxa/business/getuserphonenumber", 40001, "invalid credential")
    sim.fail_next("wxa/business/getuserphonenumber", 40001, "invalid credential")
    with pytest.raises(WeChatError) as info:
        gateway.get_phone_number("pc-1")
    assert info.value.errcode == 40001
    assert sim.calls["wxa/business/getuserphonenumber"] == 2


def test_from_config(sim, redis_client, prefix):
    config = {
        "WECHAT_APP_ID": sim.app_id,
        "WECHAT_APP_SECRET": sim.secret,
        "WECHAT_API_BASE_URL": sim.url.rstrip("/"),
        "WECHAT_TIMEOUT_S": "2",
    }
    with WeChatGateway.from_config(config, redis_client, key_prefix=prefix) as gateway:
        assert gateway.timeout == 2.0
        assert gateway.code_to_session("ivan.1")["openid"] == derive_openid("ivan.1")
