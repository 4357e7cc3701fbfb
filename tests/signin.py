"""Helpers for driving the mini-program sign-in over HTTP against the WeChat simulator."""

from __future__ import annotations

import base64
import secrets
import uuid

from backend.services.accounts import privacy
from backend.wechat import encrypt_user_data
from backend.wechat.simulator import derive_openid

LOGIN = "/api/v1/auth/wx-login"
BIND = "/api/v1/auth/bind"


class WeChatUser:
    """One simulated WeChat user: each ``code()`` is a fresh wx.login code of this user."""

    def __init__(self) -> None:
        # The simulator lives for the whole run and remembers used codes: never reuse a name.
        self.name = "u" + uuid.uuid4().hex[:16]
        self._n = 0

    @property
    def openid(self) -> str:
        """The openid WeChat gives this user."""
        return derive_openid(self.name)

    def code(self) -> str:
        """A new, unused wx.login code."""
        self._n += 1
        return f"{self.name}.{self._n}"


def wx_login(client, code: str):
    """POST /auth/wx-login."""
    return client.post(LOGIN, json={"code": code})


def bind_ticket(client, user: WeChatUser) -> str:
    """Log ``user`` in (unbound) and return the bind ticket."""
    response = wx_login(client, user.code())
    assert response.status_code == 200, response.get_json()
    return response.get_json()["bind_ticket"]


def phone_code(simulator, phone: str) -> str:
    """Register a getPhoneNumber code for ``phone`` in the simulator and return it."""
    code = "pc-" + uuid.uuid4().hex
    simulator.register_phone_code(code, phone)
    return code


def encrypted_phone(session_key: str, phone: str, app_id: str) -> dict[str, str]:
    """Legacy getPhoneNumber encryptedData + iv, as the WeChat client would produce them."""
    iv = base64.b64encode(secrets.token_bytes(16)).decode()
    payload = {
        "phoneNumber": phone,
        "purePhoneNumber": phone,
        "countryCode": "86",
        "watermark": {"appid": app_id, "timestamp": 1772413200},
    }
    return {"encrypted_data": encrypt_user_data(session_key, payload, iv), "iv": iv}


def bind(client, ticket: str, account: str, **proof):
    """POST /auth/bind, accepting the current privacy notice unless ``privacy_version`` is given."""
    proof.setdefault("privacy_version", privacy.current_notice().version)
    if proof["privacy_version"] is None:
        del proof["privacy_version"]
    return client.post(BIND, json={"bind_ticket": ticket, "account": account, **proof})


def bearer(token: str) -> dict[str, str]:
    """The Authorization header for a token."""
    return {"Authorization": f"Bearer {token}"}


def sign_in(client, simulator, trainee, mobile: str, user: WeChatUser | None = None) -> str:
    """Bind a fresh WeChat user to ``trainee`` through the phone-code proof; return a token."""
    user = user or WeChatUser()
    ticket = bind_ticket(client, user)
    response = bind(client, ticket, trainee.account, phone_code=phone_code(simulator, mobile))
    assert response.status_code == 200, response.get_json()
    return response.get_json()["token"]
