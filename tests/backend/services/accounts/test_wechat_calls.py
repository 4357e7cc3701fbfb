"""WeChat errors become clear answers."""

import logging

from backend.services.accounts.wechat_calls import api_error
from backend.wechat import WeChatError, WeChatUnavailable


def test_phone_context_has_its_own_message(app):
    login, phone = api_error(WeChatError(40029), "login"), api_error(WeChatError(40029), "phone")
    assert login.code == phone.code == "invalid_code"
    assert "手机号" in phone.message and "手机号" not in login.message


def test_unexpected_errcode_is_503_and_logged(app, caplog):
    caplog.set_level(logging.ERROR)
    error = api_error(WeChatError(40125, "invalid appsecret"))
    assert (error.status, error.code) == (503, "wechat_unavailable")
    assert error.headers["Retry-After"]
    assert "40125" in caplog.text


def test_unavailable_is_503(app):
    assert api_error(WeChatUnavailable()).status == 503
