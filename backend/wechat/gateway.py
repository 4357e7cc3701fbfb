"""Our one door to the WeChat server API, built on wechatpy's ``WeChatClient``.

* Every request goes to a configurable API base URL (production: ``https://api.weixin.qq.com/``,
  tests and demos: the local simulator), by rebasing the URLs wechatpy builds.
* The access token lives in Redis (wechatpy ``RedisStorage``) so all workers share one. It is
  fetched through ``cgi-bin/stable_token`` - which, unlike ``cgi-bin/token``, does not
  invalidate the token other workers still hold - and refreshes are serialised by a Redis
  lock, so a fleet of workers with an expired token makes one fetch, not one each.
* wechatpy and ``requests`` failures become :class:`WeChatError` / :class:`WeChatUnavailable`
  whose messages never contain the secret, an access token or a session_key.
"""

from __future__ import annotations

import base64
import hashlib
import logging
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import requests
from wechatpy.exceptions import WeChatClientException
from wechatpy.session.redisstorage import RedisStorage

from backend.wechat.client import (
    BUSY_ERRCODE,
    PRODUCTION_API_BASE_URL,
    TOKEN_ERRCODES,
    GatewayClient,
    install_log_redaction,
    normalise_base,
)
from backend.wechat.errors import WeChatError, WeChatUnavailable

logger = logging.getLogger(__name__)

T = TypeVar("T")


class WeChatGateway:
    """Calls the WeChat server API: login, phone number, notifications, face verification."""

    def __init__(
        self,
        app_id: str,
        secret: str,
        api_base_url: str,
        redis: Any,
        key_prefix: str,
        timeout: float = 5.0,
    ) -> None:
        install_log_redaction()
        self.app_id = app_id
        self.api_base_url = normalise_base(api_base_url)
        self.timeout = timeout
        storage = RedisStorage(redis, prefix=f"{key_prefix}wechat")
        self._client = GatewayClient(
            app_id,
            secret,
            self.api_base_url,
            storage,
            redis,
            lock_name=f"{key_prefix}wechat:{app_id}:token-lock",
            timeout=timeout,
        )

    @classmethod
    def from_config(
        cls, config: Mapping[str, Any], redis: Any, key_prefix: str = "shigang:"
    ) -> WeChatGateway:
        """Build from WECHAT_APP_ID, WECHAT_APP_SECRET, WECHAT_API_BASE_URL, WECHAT_TIMEOUT_S."""
        return cls(
            app_id=config["WECHAT_APP_ID"],
            secret=config["WECHAT_APP_SECRET"],
            api_base_url=config.get("WECHAT_API_BASE_URL") or PRODUCTION_API_BASE_URL,
            redis=redis,
            key_prefix=key_prefix,
            timeout=float(config.get("WECHAT_TIMEOUT_S") or 5.0),
        )

    def __repr__(self) -> str:
        return f"WeChatGateway(app_id={self.app_id!r}, api_base_url={self.api_base_url!r})"

    def close(self) -> None:
        """Close the pooled HTTP connections."""
        self._client._http.close()

    def __enter__(self) -> WeChatGateway:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- API calls --------------------------------------------------------------------------

    def code_to_session(self, js_code: str) -> dict[str, Any]:
        """Exchange a wx.login code for {openid, session_key, unionid (None if absent)}."""
        result = self._call("jscode2session", lambda: self._client.wxa.code_to_session(js_code))
        openid, session_key = result.get("openid"), result.get("session_key")
        if not openid or not session_key:
            raise WeChatUnavailable(BUSY_ERRCODE, "malformed jscode2session response")
        return {"openid": openid, "session_key": session_key, "unionid": result.get("unionid")}

    def get_phone_number(self, phone_code: str) -> str:
        """Exchange a getPhoneNumber code for the user's phone number (purePhoneNumber)."""
        # wechatpy 1.8 has no wrapper; its generic post adds ?access_token= and JSON-encodes.
        url = self.api_base_url + "wxa/business/getuserphonenumber"
        result = self._call(
            "getuserphonenumber", lambda: self._client.post(url, data={"code": phone_code})
        )
        phone_info = result.get("phone_info")
        phone = phone_info.get("purePhoneNumber") if isinstance(phone_info, dict) else None
        if not phone:
            raise WeChatUnavailable(BUSY_ERRCODE, "malformed getuserphonenumber response")
        return str(phone)

    def send_subscribe_message(
        self,
        openid: str,
        template_id: str,
        data: Mapping[str, Any],
        page: str | None = None,
    ) -> None:
        """Send a subscribe (one-off notification) message to a user."""
        self._call(
            "subscribe/send",
            lambda: self._client.wxa.send_subscribe_message(openid, template_id, dict(data), page),
        )

    def get_verify_id(
        self, out_seq_no: str, cert_name: str, cert_no: str, openid: str
    ) -> dict[str, Any]:
        """Start a face verification (人脸核身 2.0) of a resident ID: {verify_id, expires_in}."""
        url = self.api_base_url + "cityservice/face/identify/getverifyid"
        body = {
            "out_seq_no": out_seq_no,
            "cert_info": {"cert_type": CERT_TYPE, "cert_name": cert_name, "cert_no": cert_no},
            "openid": openid,
        }
        result = self._call("getverifyid", lambda: self._client.post(url, data=body))
        verify_id = result.get("verify_id")
        if not verify_id:
            raise WeChatUnavailable(BUSY_ERRCODE, "malformed getverifyid response")
        return {"verify_id": str(verify_id), "expires_in": int(result.get("expires_in") or 3600)}

    def query_verify_info(
        self, verify_id: str, out_seq_no: str, cert_name: str, cert_no: str, openid: str
    ) -> int:
        """The face verification's verify_ret (10000: passed); WeChatError if WeChat refuses."""
        url = self.api_base_url + "cityservice/face/identify/queryverifyinfo"
        body = {
            "verify_id": verify_id,
            "out_seq_no": out_seq_no,
            "cert_hash": cert_hash(CERT_TYPE, cert_name, cert_no),
            "openid": openid,
        }
        result = self._call("queryverifyinfo", lambda: self._client.post(url, data=body))
        verify_ret = result.get("verify_ret")
        if not isinstance(verify_ret, int):
            raise WeChatUnavailable(BUSY_ERRCODE, "malformed queryverifyinfo response")
        return verify_ret

    def get_wxacode_unlimited(self, scene: str, page: str | None = None, width: int = 430) -> bytes:
        """The mini-program code (小程序码) that opens ``page`` with ``scene`` (at most 32
        characters): the image bytes WeChat draws (wxa/getwxacodeunlimit)."""
        url = self.api_base_url + "wxa/getwxacodeunlimit"
        body: dict[str, Any] = {"scene": scene, "width": width, "check_path": False}
        if page:
            body["page"] = page
        result = self._call(
            "getwxacodeunlimit",
            lambda: _image_or_json(self._client.post(url, data=body)),
        )
        image = result.get("image")
        if not isinstance(image, bytes) or not image:
            raise WeChatUnavailable(BUSY_ERRCODE, "malformed getwxacodeunlimit response")
        return image

    # -- plumbing ---------------------------------------------------------------------------

    def _call(self, operation: str, fn: Callable[[], Any]) -> dict[str, Any]:
        """Run a wechatpy call with one token-refresh retry and map every failure."""
        error: WeChatError
        try:
            result = self._with_token_retry(fn)
            if isinstance(result, dict):
                return result
            error = WeChatUnavailable(BUSY_ERRCODE, "non-JSON response from WeChat")
        except WeChatError as exc:
            error = exc
        except WeChatClientException as exc:
            error = _map_client_exception(exc)
        except (requests.Timeout, requests.ConnectionError) as exc:
            error = WeChatUnavailable(BUSY_ERRCODE, f"WeChat unreachable ({type(exc).__name__})")
        except requests.RequestException as exc:
            error = WeChatUnavailable(BUSY_ERRCODE, f"WeChat request failed ({type(exc).__name__})")
        logger.warning(
            "WeChat %s failed: errcode=%s errmsg=%s", operation, error.errcode, error.errmsg
        )
        # Raised outside the except blocks on purpose: requests/wechatpy exceptions carry URLs
        # with the secret or access token, and must not ride along as __context__.
        raise error

    def _with_token_retry(self, fn: Callable[[], T]) -> T:
        self._client.forget_used_token()
        try:
            return fn()
        except WeChatClientException as exc:
            stale = self._client.last_used_token()
            if exc.errcode not in TOKEN_ERRCODES or stale is None:
                raise
            logger.info("WeChat rejected the access token (errcode=%s); refreshing", exc.errcode)
        self._client.refresh_access_token(stale)
        return fn()


CERT_TYPE = "IDENTITY_CARD"


def cert_hash(cert_type: str, cert_name: str, cert_no: str) -> str:
    """WeChat's digest of cert_info: SHA-256 (lower hex) of "cert_type=…&cert_name=…&cert_no=…"
    with each value in standard base64 of its UTF-8."""
    b64 = [
        base64.b64encode(v.encode("utf-8")).decode("ascii") for v in (cert_type, cert_name, cert_no)
    ]
    joined = f"cert_type={b64[0]}&cert_name={b64[1]}&cert_no={b64[2]}"
    return hashlib.sha256(joined.encode("ascii")).hexdigest()


def _image_or_json(result: Any) -> Any:
    # WeChat answers an image on success and a JSON errcode otherwise; wechatpy hands back the
    # raw response when the body is not JSON (its errcodes have been raised by then).
    if isinstance(result, requests.Response):
        if not result.headers.get("Content-Type", "").startswith("image/"):
            raise WeChatUnavailable(BUSY_ERRCODE, "non-image response from getwxacodeunlimit")
        return {"image": result.content}
    return result


def _map_client_exception(exc: WeChatClientException) -> WeChatError:
    if exc.errcode is None:
        # wechatpy reports HTTP error statuses with errcode None: WeChat's side is broken.
        status = getattr(exc.response, "status_code", "?")
        return WeChatUnavailable(BUSY_ERRCODE, f"HTTP {status} from WeChat")
    try:
        errcode = int(exc.errcode)
    except (TypeError, ValueError):
        return WeChatUnavailable(BUSY_ERRCODE, "unparseable errcode from WeChat")
    errmsg = str(exc.errmsg or "")
    if errcode == BUSY_ERRCODE:
        return WeChatUnavailable(errcode, errmsg or "system busy")
    return WeChatError(errcode, errmsg)
