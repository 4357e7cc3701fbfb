"""The app's WeChat gateway, and WeChat failures turned into clear answers for the mini-program."""

from __future__ import annotations

import logging

from flask import current_app

from backend.kernel.errors import DomainError
from backend.wechat import WeChatError, WeChatGateway, WeChatUnavailable

log = logging.getLogger(__name__)

# How long the mini-program should wait before trying again.
RETRY_AFTER_UNAVAILABLE_S = 10
RETRY_AFTER_QUOTA_S = 60  # 45011 is WeChat's per-minute quota

INVALID_CODE = 40029
CODE_USED = 40163
QUOTA_EXCEEDED = 45011
USER_BLOCKED = 40226

_INVALID_CODE_MESSAGES = {
    "login": "微信登录凭证无效，请重新登录",
    "phone": "手机号授权凭证无效，请重新授权",
}
_USED_CODE_MESSAGES = {
    "login": "微信登录凭证已使用过，请重新登录",
    "phone": "手机号授权凭证已使用过，请重新授权",
}


def gateway() -> WeChatGateway:
    """The current app's WeChat gateway."""
    return current_app.extensions["wechat"]


def unavailable() -> DomainError:
    """503 with Retry-After: WeChat is busy, slow or unreachable."""
    return DomainError(
        "wechat_unavailable", headers={"Retry-After": str(RETRY_AFTER_UNAVAILABLE_S)}
    )


def api_error(exc: WeChatError, context: str = "login") -> DomainError:
    """The answer for a failed WeChat call; ``context`` is "login" or "phone"."""
    if isinstance(exc, WeChatUnavailable):
        return unavailable()
    if exc.errcode == INVALID_CODE:
        return DomainError("invalid_code", _INVALID_CODE_MESSAGES[context])
    if exc.errcode == CODE_USED:
        return DomainError("code_used", _USED_CODE_MESSAGES[context])
    if exc.errcode == QUOTA_EXCEEDED:
        return DomainError("wechat_rate_limited", headers={"Retry-After": str(RETRY_AFTER_QUOTA_S)})
    if exc.errcode == USER_BLOCKED:
        return DomainError("wechat_user_blocked")
    # Anything else (bad app id or secret, unexpected codes) is our side's problem, not the
    # user's: say "try later" and make it loud in the log.
    log.error("unexpected WeChat error %s on %s call", exc.errcode, context)
    return unavailable()
