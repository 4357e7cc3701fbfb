"""The HTTP client under the WeChat gateway: wechatpy's ``WeChatClient`` rebased onto a
configurable API base URL, its access token shared in Redis and refreshed once for the whole
fleet (``cgi-bin/stable_token`` under a Redis lock), and urllib3's logs kept free of secrets."""

from __future__ import annotations

import contextlib
import logging
import re
import threading
from typing import Any

from redis.exceptions import LockError
from wechatpy.client import WeChatClient
from wechatpy.exceptions import WeChatClientException
from wechatpy.session.redisstorage import RedisStorage

from backend.wechat.errors import WeChatUnavailable

logger = logging.getLogger(__name__)

PRODUCTION_API_BASE_URL = "https://api.weixin.qq.com/"

# 40001: invalid credential / token not latest; 42001: token expired. Both mean "refresh".
TOKEN_ERRCODES = frozenset({40001, 42001})
BUSY_ERRCODE = -1

# WeChat puts the app secret (jscode2session) and the access token in query strings, which
# urllib3 logs verbatim at DEBUG level; redact them before any handler sees the record.
_SENSITIVE_QUERY = re.compile(r"((?:secret|access_token|js_code)=)[^&\s\"']+")


class _RedactQuerySecrets(logging.Filter):
    """Logging filter that masks secret-bearing query parameters in a record's message."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the message with secrets masked; never drops the record."""
        message = record.getMessage()
        redacted = _SENSITIVE_QUERY.sub(r"\1***", message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True


_REDACTOR = _RedactQuerySecrets()


def install_log_redaction() -> None:
    # Logger.addFilter ignores a filter that is already installed, so this is idempotent.
    logging.getLogger("urllib3.connectionpool").addFilter(_REDACTOR)


def normalise_base(url: str) -> str:
    return url if url.endswith("/") else url + "/"


class GatewayClient(WeChatClient):
    """wechatpy client aimed at a configurable API base with a lock-guarded stable token."""

    def __init__(
        self,
        app_id: str,
        secret: str,
        api_base_url: str,
        storage: RedisStorage,
        redis: Any,
        lock_name: str,
        timeout: float,
    ) -> None:
        # auto_retry=False: wechatpy's own retry refetches the token without any lock;
        # the gateway retries itself, through refresh_access_token().
        super().__init__(app_id, secret, session=storage, timeout=timeout, auto_retry=False)
        self.api_base_url = normalise_base(api_base_url)
        self._redis = redis
        self._lock_name = lock_name
        # A fetch may take up to ~2 timeouts (connect + read); past that the lock expires so a
        # crashed holder cannot wedge everyone. Overlapping fetches are harmless with
        # stable_token anyway: it hands out the same token until that one expires.
        self._lock_ttl = 2 * timeout + 2
        self._lock_wait = self._lock_ttl + 0.5
        self._used = threading.local()

    # -- URLs -------------------------------------------------------------------------------

    def _rebase(self, url: str) -> str:
        """Move a production URL built by wechatpy onto the configured API base."""
        if url.startswith(PRODUCTION_API_BASE_URL):
            return self.api_base_url + url[len(PRODUCTION_API_BASE_URL) :]
        return url

    def _request(self, method: str, url_or_endpoint: str, **kwargs: Any) -> Any:
        if url_or_endpoint.startswith(("http://", "https://")):
            kwargs.pop("api_base_url", None)
            url = self._rebase(url_or_endpoint)
        else:
            # API groups such as wxa pass their own base (https://api.weixin.qq.com/), the
            # client's default is .../cgi-bin/; both are rebased the same way.
            base = kwargs.pop("api_base_url", None) or self.API_BASE_URL
            url = self._rebase(base) + url_or_endpoint
        if url.startswith(self.api_base_url + "sns/"):
            # sns/* authenticates with appid+secret. wechatpy would add access_token to any
            # dict of params (fetching one first); a list of pairs is left alone.
            params = kwargs.get("params") or {}
            if isinstance(params, dict):
                kwargs["params"] = list(params.items())
        return super()._request(method, url, **kwargs)

    # -- access token -----------------------------------------------------------------------

    @property
    def access_token(self) -> str:
        """Shared token from Redis, fetched (under the lock) when there is none."""
        token = self.session.get(self.access_token_key) or self.refresh_access_token(None)
        # Remember per thread which token this request used, so a 40001 refreshes that one.
        self._used.token = token
        return token

    def forget_used_token(self) -> None:
        """Clear this thread's record of the token its last request used."""
        self._used.token = None

    def last_used_token(self) -> str | None:
        """Token that this thread's last request carried, if any."""
        return getattr(self._used, "token", None)

    def fetch_access_token(self) -> dict[str, Any]:
        """wechatpy hook: force a refresh of the stored token (never via cgi-bin/token)."""
        token = self.refresh_access_token(self.session.get(self.access_token_key))
        return {"access_token": token}

    def refresh_access_token(self, stale: str | None) -> str:
        """Replace ``stale`` (None: nothing stored) with a fresh token, one worker at a time."""
        lock = self._redis.lock(
            self._lock_name, timeout=self._lock_ttl, sleep=0.05, blocking_timeout=self._lock_wait
        )
        if not lock.acquire():
            token = self.session.get(self.access_token_key)
            if token and token != stale:
                return token
            raise WeChatUnavailable(BUSY_ERRCODE, "timed out waiting for access token refresh")
        try:
            # Whoever held the lock before us has probably refreshed already: re-check.
            token = self.session.get(self.access_token_key)
            if token and token != stale:
                return token
            result = self._fetch_stable_token(force_refresh=False)
            if stale is not None and result["access_token"] == stale:
                # WeChat rejected a token it still hands out as current: only a forced
                # refresh (limited per day, hence not the default) replaces it.
                result = self._fetch_stable_token(force_refresh=True)
            token = result["access_token"]
            expires_in = int(result.get("expires_in") or 7200)
            # Drop our copy a little before WeChat does, so requests in flight stay valid.
            ttl = max(1, expires_in - min(300, expires_in // 2))
            self.session.set(self.access_token_key, token, ttl)
            return token
        finally:
            # LockError: the lock outlived its TTL during a slow fetch; someone else may own it.
            with contextlib.suppress(LockError):
                lock.release()

    def _fetch_stable_token(self, *, force_refresh: bool) -> dict[str, Any]:
        logger.info("Fetching WeChat access token (force_refresh=%s)", force_refresh)
        res = self._http.post(
            self.api_base_url + "cgi-bin/stable_token",
            json={
                "grant_type": "client_credential",
                "appid": self.appid,
                "secret": self.secret,
                "force_refresh": force_refresh,
            },
            timeout=self.timeout,
        )
        if res.status_code >= 400:
            raise WeChatClientException(None, None, client=self, request=res.request, response=res)
        result = self._handle_result(res)
        if not isinstance(result, dict) or not result.get("access_token"):
            raise WeChatUnavailable(BUSY_ERRCODE, "malformed access token response")
        return result
