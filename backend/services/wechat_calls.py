"""The app's WeChat gateway, and WeChat failures turned into clear answers for the mini-program."""

from __future__ import annotations

import logging

from flask import current_app

from backend.errors import ApiError
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


def unavailable() -> ApiError:
    """503 with Retry-After: WeChat is busy, slow or unreachable."""
    return ApiError(
        503,
        "wechat_unavailable",
        "微信服务暂时不可用，请稍后再试",
        headers={"Retry-After": str(RETRY_AFTER_UNAVAILABLE_S)},
    )


def api_error(exc: WeChatError, context: str = "login") -> ApiError:
    """The answer for a failed WeChat call; ``context`` is "login" or "phone"."""
    if isinstance(exc, WeChatUnavailable):
        return unavailable()
    if exc.errcode == INVALID_CODE:
        return ApiError(400, "invalid_code", _INVALID_CODE_MESSAGES[context])
    if exc.errcode == CODE_USED:
        return ApiError(400, "code_used", _USED_CODE_MESSAGES[context])
    if exc.errcode == QUOTA_EXCEEDED:
        return ApiError(
            429,
            "wechat_rate_limited",
            "微信接口调用过于频繁，请稍后再试",
            headers={"Retry-After": str(RETRY_AFTER_QUOTA_S)},
        )
    if exc.errcode == USER_BLOCKED:
        return ApiError(403, "wechat_user_blocked", "该微信账号存在风险，已被微信限制登录")
    # Anything else (bad app id or secret, unexpected codes) is our side's problem, not the
    # user's: say "try later" and make it loud in the log.
    log.error("unexpected WeChat error %s on %s call", exc.errcode, context)
    return unavailable()
