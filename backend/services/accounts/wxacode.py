"""Mini-program codes (小程序码) for a computer's screen: scanned with WeChat, they open the
mini-program on a page with a ``scene`` naming what to do (a web sign-in, a face check)."""

from __future__ import annotations

import base64
import hashlib

from backend.extensions import redis_store
from backend.services.accounts import wechat_calls
from backend.wechat import WeChatError

# The mini-program's pages that read the scene.
WEB_LOGIN_PAGE = "pages/web-login/index"
FACE_CHECK_PAGE = "pages/face-check/index"


def _key(page: str, scene: str) -> str:
    return redis_store.key("wxacode", hashlib.sha256(f"{page}?{scene}".encode()).hexdigest())


def image(page: str, scene: str, ttl_s: int) -> bytes:
    """The code's image, drawn by WeChat once and kept ``ttl_s`` seconds (pages poll it)."""
    key = _key(page, scene)
    cached = redis_store.client.get(key)  # base64: the client decodes replies as text
    if cached is not None:
        return base64.b64decode(cached)
    try:
        png = wechat_calls.gateway().get_wxacode_unlimited(scene, page)
    except WeChatError as exc:
        raise wechat_calls.api_error(exc) from None
    redis_store.client.set(key, base64.b64encode(png).decode("ascii"), ex=max(1, ttl_s))
    return png
