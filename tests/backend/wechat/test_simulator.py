"""The WeChat simulator over raw HTTP: endpoint shapes, errcodes and control endpoints."""

import socket

import pytest
import requests

from backend.wechat.simulator import SimulatorServer, derive_openid, derive_unionid

TIMEOUT = 5


@pytest.fixture
def sim():
    with SimulatorServer() as server:
        yield server


def _login(sim, code, appid=None, secret=None):
    params = {
        "appid": appid or sim.app_id,
        "secret": secret or sim.secret,
        "js_code": code,
        "grant_type": "authorization_code",
    }
    return requests.get(sim.url + "sns/jscode2session", params=params, timeout=TIMEOUT).json()


def _stable_token(sim, force_refresh=False):
    body = {
        "grant_type": "client_credential",
        "appid": sim.app_id,
        "secret": sim.secret,
        "force_refresh": force_refresh,
    }
    return requests.post(sim.url + "cgi-bin/stable_token", json=body, timeout=TIMEOUT).json()


def _phone(sim, token, code):
    return requests.post(
        sim.url + "wxa/business/getuserphonenumber",
        params={"access_token": token},
        json={"code": code},
        timeout=TIMEOUT,
    ).json()


def test_url_is_loopback_with_a_real_port(sim):
    assert sim.url.startswith("http://127.0.0.1:")
    assert sim.url.endswith("/")
    assert int(sim.url.rsplit(":", 1)[1].rstrip("/")) > 0


def test_login_identity_is_derived_from_the_code_prefix(sim):
    first = _login(sim, "alice.1")
    second = _login(sim, "alice.2")
    other = _login(sim, "bob.1")
    assert first["openid"] == second["openid"] == derive_openid("alice.1")
    assert len(first["openid"]) == 28 and first["openid"].startswith("o")
    assert first["unionid"] == derive_unionid("alice.9")
    assert other["openid"] != first["openid"]
    # A fresh session key per login, and the simulator remembers the latest one.
    assert first["session_key"] != second["session_key"]
    assert sim.last_session_key(first["openid"]) == second["session_key"]
    assert sim.last_login()["openid"] == other["openid"]


@pytest.mark.parametrize(
    ("kwargs", "errcode"),
    [({"appid": "wxWrongApp"}, 40013), ({"secret": "wrong-secret"}, 40125)],
)
def test_login_rejects_wrong_app_credentials(sim, kwargs, errcode):
    assert _login(sim, "carol.1", **kwargs)["errcode"] == errcode


def test_login_code_works_once_and_invalid_codes_fail(sim):
    assert "openid" in _login(sim, "dave.1")
    assert _login(sim, "dave.1")["errcode"] == 40163
    assert _login(sim, "invalid-code")["errcode"] == 40029


def test_registered_codes_take_precedence(sim):
    sim.register_code("invalid.but.registered", "oRegistered", "c2Vzc2lvbmtleTEyMzQ1Ng==")
    body = _login(sim, "invalid.but.registered")
    assert body == {"openid": "oRegistered", "session_key": "c2Vzc2lvbmtleTEyMzQ1Ng=="}
    assert "unionid" not in body


def test_tokens_are_counted_and_stable_token_is_stable(sim):
    plain = requests.get(
        sim.url + "cgi-bin/token",
        params={"grant_type": "client_credential", "appid": sim.app_id, "secret": sim.secret},
        timeout=TIMEOUT,
    ).json()
    assert plain["expires_in"] == 7200 and plain["access_token"]
    first = _stable_token(sim)
    assert _stable_token(sim)["access_token"] == first["access_token"]
    forced = _stable_token(sim, force_refresh=True)
    assert forced["access_token"] != first["access_token"]
    assert sim.token_fetches == 4
    assert sim.calls["cgi-bin/stable_token"] == 3
    # A forced refresh invalidates the previous stable token.
    sim.register_phone_code("pc-old", "13800000001")
    assert _phone(sim, first["access_token"], "pc-old")["errcode"] == 40001


def test_phone_number_shape_and_single_use(sim):
    token = _stable_token(sim)["access_token"]
    sim.register_phone_code("pc-1", "13912345678")
    body = _phone(sim, token, "pc-1")
    assert body["errcode"] == 0
    info = body["phone_info"]
    assert info["phoneNumber"] == info["purePhoneNumber"] == "13912345678"
    assert info["countryCode"] == "86"
    assert info["watermark"]["appid"] == sim.app_id
    assert _phone(sim, token, "pc-1")["errcode"] == 40163
    assert _phone(sim, token, "pc-unknown")["errcode"] == 40029


def test_expired_and_unknown_tokens_are_refused(sim):
    token = _stable_token(sim)["access_token"]
    sim.register_phone_code("pc-2", "13700000000")
    assert _phone(sim, "not-a-token", "pc-2")["errcode"] == 40001
    sim.expire_access_tokens()
    assert _phone(sim, token, "pc-2")["errcode"] == 40001
    fresh = _stable_token(sim)["access_token"]
    assert fresh != token
    assert _phone(sim, fresh, "pc-2")["errcode"] == 0


def test_subscribe_send_is_recorded(sim):
    token = _stable_token(sim)["access_token"]
    message = {"touser": "oUser", "template_id": "tpl-1", "data": {"thing1": {"value": "hi"}}}
    body = requests.post(
        sim.url + "cgi-bin/message/subscribe/send",
        params={"access_token": token},
        json=message,
        timeout=TIMEOUT,
    ).json()
    assert body == {"errcode": 0, "errmsg": "ok"}
    assert sim.sent_messages == [message]


def test_fail_next_applies_once(sim):
    sim.fail_next("/sns/jscode2session", 45011, "api minute-quota reach limit")
    assert _login(sim, "erin.1") == {"errcode": 45011, "errmsg": "api minute-quota reach limit"}
    # The failed call did not consume the code.
    assert "openid" in _login(sim, "erin.1")


def test_control_endpoints(sim):
    def ctl(path, body=None):
        if body is None and path != "_sim/expire-tokens":
            return requests.get(sim.url + path, timeout=TIMEOUT).json()
        return requests.post(sim.url + path, json=body or {}, timeout=TIMEOUT).json()

    assert ctl("_sim/last-login")["errcode"] == 404
    assert ctl("_sim/phone-codes", {"phone_code": "curl-1", "phone": "13600000000"})["errcode"] == 0
    assert ctl("_sim/codes", {"code": "pinned", "openid": "oPinned", "unionid": "uP"}) == {
        "errcode": 0,
        "errmsg": "ok",
    }
    login = _login(sim, "pinned")
    last = ctl("_sim/last-login")
    assert last["openid"] == "oPinned" and last["session_key"] == login["session_key"]
    assert ctl("_sim/last-login?openid=oPinned")["code"] == "pinned"
    token = _stable_token(sim)["access_token"]
    assert _phone(sim, token, "curl-1")["phone_info"]["purePhoneNumber"] == "13600000000"
    assert ctl("_sim/fail-next", {"path": "sns/jscode2session", "errcode": -1})["errcode"] == 0
    assert _login(sim, "frank.1")["errcode"] == -1
    assert ctl("_sim/expire-tokens")["errcode"] == 0
    assert _phone(sim, token, "curl-1")["errcode"] == 40001
    state = ctl("_sim/state")
    assert state["token_fetches"] == 1
    assert state["calls"]["sns/jscode2session"] == 2


def test_unknown_path_is_404(sim):
    assert requests.get(sim.url + "cgi-bin/nope", timeout=TIMEOUT).status_code == 404


def test_refuses_to_start_in_production(monkeypatch):
    monkeypatch.setenv("SHIGANG_ENV", "production")
    with pytest.raises(RuntimeError, match="production"):
        SimulatorServer().start()


def test_stop_releases_the_port():
    server = SimulatorServer().start()
    port = int(server.url.rsplit(":", 1)[1].rstrip("/"))
    server.stop()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", port))
