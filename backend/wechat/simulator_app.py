"""The WSGI app behind the local WeChat simulator: endpoints, codes, tokens and fault injection.

See :mod:`backend.wechat.simulator` for the endpoints it serves and how to run it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import threading
import time
from collections import Counter, defaultdict, deque
from dataclasses import dataclass
from typing import Any

from werkzeug.wrappers import Request, Response

from backend.wechat.simulator_controls import SimulatorControls, json_body
from backend.wechat.simulator_face import FaceVerifySim
from backend.wechat.simulator_page import SCENE as _SCENE
from backend.wechat.simulator_page import wxacode_png

DEFAULT_APP_ID = "wx5h1gang5imu1at0"
# A public placeholder the simulator accepts; real secrets come from configuration only.
DEFAULT_SECRET = "simulator-secret-not-a-real-one"  # noqa: S105
TOKEN_LIFETIME = 7200


def refuse_in_production() -> None:
    """Refuse to run the simulator in production (it would accept any code)."""
    if os.environ.get("SHIGANG_ENV", "").strip().lower() == "production":
        raise RuntimeError("the WeChat simulator must not run with SHIGANG_ENV=production")


def _digest(prefix: str, value: str) -> str:
    raw = hashlib.sha256(value.encode("utf-8")).digest()
    return prefix + base64.urlsafe_b64encode(raw).decode("ascii")[:27]


def derive_openid(code: str) -> str:
    """Openid the simulator assigns to an unregistered login code ("alice.2" -> alice's)."""
    return _digest("o", code.split(".", 1)[0])


def derive_unionid(code: str) -> str:
    """Unionid the simulator assigns to an unregistered login code."""
    return _digest("u", "union:" + code.split(".", 1)[0])


def _new_session_key() -> str:
    return base64.b64encode(secrets.token_bytes(16)).decode("ascii")


def _normalise_path(path: str) -> str:
    return path.strip("/")


@dataclass
class _RegisteredCode:
    openid: str
    session_key: str | None
    unionid: str | None


class WeChatSimulatorApp(SimulatorControls):
    """WSGI app holding the simulated WeChat state; thread-safe for a threaded server."""

    def __init__(self, app_id: str = DEFAULT_APP_ID, secret: str = DEFAULT_SECRET) -> None:
        refuse_in_production()
        self.app_id = app_id
        self.secret = secret
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._codes: dict[str, _RegisteredCode] = {}
        self._used_codes: set[str] = set()
        self._phone_codes: dict[str, str] = {}
        self._used_phone_codes: set[str] = set()
        self._tokens: dict[str, float] = {}  # access token -> monotonic expiry
        self._stable_token: str | None = None
        self._failures: dict[str, deque[tuple[int, str]]] = defaultdict(deque)
        self._delays: dict[str, deque[float]] = defaultdict(deque)
        self._last_logins: dict[str, dict[str, Any]] = {}
        self._last_login: dict[str, Any] | None = None
        self.token_fetches = 0
        self.calls: Counter[str] = Counter()  # requests per WeChat path, e.g. "cgi-bin/token"
        self.sent_messages: list[dict[str, Any]] = []
        self.wxacodes: list[dict[str, Any]] = []  # {scene, page} of every code drawn
        self.face = FaceVerifySim()
        self._routes = {
            ("POST", "cityservice/face/identify/getverifyid"): self._face(self.face.get_verify_id),
            ("POST", "cityservice/face/identify/queryverifyinfo"): self._face(
                self.face.query_verify_info
            ),
            ("POST", "_sim/face/complete"): self._ctl_face_complete,
            ("POST", "_sim/face/expire"): self._ctl_face_expire,
            ("GET", "sns/jscode2session"): self._jscode2session,
            ("GET", "cgi-bin/token"): self._token,
            ("POST", "cgi-bin/stable_token"): self._stable_token_endpoint,
            ("POST", "wxa/business/getuserphonenumber"): self._phone_number,
            ("POST", "cgi-bin/message/subscribe/send"): self._subscribe_send,
            ("POST", "_sim/phone-codes"): self._ctl_phone_code,
            ("POST", "_sim/codes"): self._ctl_code,
            ("GET", "_sim/last-login"): self._ctl_last_login,
            ("POST", "_sim/fail-next"): self._ctl_fail_next,
            ("POST", "_sim/expire-tokens"): self._ctl_expire_tokens,
            ("GET", "_sim/state"): self._ctl_state,
            ("POST", "wxa/getwxacodeunlimit"): self._wxacode,
            ("GET", "_sim/wxacodes"): self._ctl_wxacodes,
            ("GET", ""): self._page,
            ("GET", "_sim"): self._page,
            ("POST", "_sim/face/complete-form"): self._page_face_complete,
        }

    # -- Python control API -----------------------------------------------------------------

    def register_code(
        self,
        code: str,
        openid: str,
        session_key: str | None = None,
        unionid: str | None = None,
    ) -> None:
        """Make a login code resolve to this user (session_key random if None)."""
        with self._lock:
            self._codes[code] = _RegisteredCode(openid, session_key, unionid)
            self._used_codes.discard(code)

    def register_phone_code(self, phone_code: str, phone: str) -> None:
        """Make a getPhoneNumber code resolve (once) to this phone number."""
        with self._lock:
            self._phone_codes[phone_code] = phone
            self._used_phone_codes.discard(phone_code)

    def fail_next(self, path: str, errcode: int, errmsg: str = "") -> None:
        """Answer the next call to ``path`` with this errcode (queued, one per call)."""
        with self._lock:
            self._failures[_normalise_path(path)].append((int(errcode), errmsg))

    def delay_next(self, path: str, seconds: float) -> None:
        """Sleep before answering the next call to ``path`` (provokes client timeouts)."""
        with self._lock:
            self._delays[_normalise_path(path)].append(float(seconds))

    def expire_access_tokens(self) -> None:
        """Expire every access token issued so far; their next use answers 40001."""
        with self._lock:
            self._tokens.clear()
            self._stable_token = None

    def last_session_key(self, openid: str) -> str | None:
        """Session key of this user's latest successful login, if any."""
        with self._lock:
            login = self._last_logins.get(openid)
            return login["session_key"] if login else None

    def last_login(self, openid: str | None = None) -> dict[str, Any] | None:
        """Latest login overall (or of one openid): code, openid, unionid, session_key."""
        with self._lock:
            login = self._last_logins.get(openid) if openid else self._last_login
            return dict(login) if login else None

    def valid_access_tokens(self) -> list[str]:
        """Access tokens currently accepted."""
        now = time.monotonic()
        with self._lock:
            return [token for token, expiry in self._tokens.items() if expiry > now]

    # -- WSGI -------------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        path = _normalise_path(request.path)
        handler = self._routes.get((request.method, path))
        if handler is None:
            response = _json({"errcode": 404, "errmsg": "simulator: no such endpoint"}, 404)
            return response(environ, start_response)
        with self._lock:
            if not path.startswith("_sim/"):
                self.calls[path] += 1
            delay = self._delays[path].popleft() if self._delays[path] else 0.0
            failure = self._failures[path].popleft() if self._failures[path] else None
        if delay:
            # Interruptible, so stopping the server does not wait for a long injected delay.
            self._stopping.wait(delay)
        if path in ("cgi-bin/token", "cgi-bin/stable_token"):
            with self._lock:
                self.token_fetches += 1
        if failure is not None:
            errcode, errmsg = failure
            body = {"errcode": errcode, "errmsg": errmsg or f"simulated error {errcode}"}
            return _json(body)(environ, start_response)
        try:
            body = handler(request)
        except ValueError:
            body = {"errcode": 47001, "errmsg": "data format error"}
        if isinstance(body, Response):
            return body(environ, start_response)
        return _json(body)(environ, start_response)

    # -- WeChat endpoints -------------------------------------------------------------------

    def _check_app(self, appid: str | None, secret: str | None) -> dict[str, Any] | None:
        if appid != self.app_id:
            return {"errcode": 40013, "errmsg": "invalid appid"}
        if secret != self.secret:
            return {"errcode": 40125, "errmsg": "invalid appsecret"}
        return None

    def _check_token(self, request: Request) -> dict[str, Any] | None:
        token = request.args.get("access_token", "")
        with self._lock:
            expiry = self._tokens.get(token)
        if expiry is None or expiry <= time.monotonic():
            return {
                "errcode": 40001,
                "errmsg": "invalid credential, access_token is invalid or not latest",
            }
        return None

    def _jscode2session(self, request: Request) -> dict[str, Any]:
        args = request.args
        problem = self._check_app(args.get("appid"), args.get("secret"))
        if problem:
            return problem
        if args.get("grant_type") != "authorization_code":
            return {"errcode": 40002, "errmsg": "invalid grant_type"}
        code = args.get("js_code", "")
        if not code:
            return {"errcode": 41008, "errmsg": "missing code"}
        with self._lock:
            registered = self._codes.get(code)
            if registered is None and code.startswith("invalid"):
                return {"errcode": 40029, "errmsg": "invalid code"}
            if code in self._used_codes:
                return {"errcode": 40163, "errmsg": "code been used"}
            self._used_codes.add(code)
            if registered is not None:
                openid = registered.openid
                unionid = registered.unionid
                session_key = registered.session_key or _new_session_key()
            else:
                openid, unionid = derive_openid(code), derive_unionid(code)
                session_key = _new_session_key()
            login = {"code": code, "openid": openid, "unionid": unionid, "session_key": session_key}
            self._last_logins[openid] = login
            self._last_login = login
        body = {"openid": openid, "session_key": session_key}
        if unionid:
            body["unionid"] = unionid
        return body

    def _issue_token(self, *, reuse_stable: bool, stable: bool) -> dict[str, Any]:
        now = time.monotonic()
        with self._lock:
            current = self._stable_token
            if reuse_stable and current and self._tokens.get(current, 0) > now:
                return {"access_token": current, "expires_in": int(self._tokens[current] - now)}
            token = secrets.token_urlsafe(48)
            self._tokens[token] = now + TOKEN_LIFETIME
            if stable:
                # force_refresh (or first fetch) replaces the previous stable token at once.
                if current:
                    self._tokens.pop(current, None)
                self._stable_token = token
        return {"access_token": token, "expires_in": TOKEN_LIFETIME}

    def _token(self, request: Request) -> dict[str, Any]:
        args = request.args
        if args.get("grant_type") != "client_credential":
            return {"errcode": 40002, "errmsg": "invalid grant_type"}
        problem = self._check_app(args.get("appid"), args.get("secret"))
        return problem or self._issue_token(reuse_stable=False, stable=False)

    def _stable_token_endpoint(self, request: Request) -> dict[str, Any]:
        body = json_body(request)
        if body.get("grant_type") != "client_credential":
            return {"errcode": 40002, "errmsg": "invalid grant_type"}
        problem = self._check_app(body.get("appid"), body.get("secret"))
        force = bool(body.get("force_refresh"))
        return problem or self._issue_token(reuse_stable=not force, stable=True)

    def _phone_number(self, request: Request) -> dict[str, Any]:
        problem = self._check_token(request)
        if problem:
            return problem
        code = str(json_body(request).get("code") or "")
        with self._lock:
            phone = self._phone_codes.get(code)
            if phone is None:
                return {"errcode": 40029, "errmsg": "invalid code"}
            if code in self._used_phone_codes:
                return {"errcode": 40163, "errmsg": "code been used"}
            self._used_phone_codes.add(code)
        return {
            "errcode": 0,
            "errmsg": "ok",
            "phone_info": {
                "phoneNumber": phone,
                "purePhoneNumber": phone,
                "countryCode": "86",
                "watermark": {"timestamp": int(time.time()), "appid": self.app_id},
            },
        }

    def _subscribe_send(self, request: Request) -> dict[str, Any]:
        problem = self._check_token(request)
        if problem:
            return problem
        body = json_body(request)
        if not body.get("touser"):
            return {"errcode": 40003, "errmsg": "invalid openid"}
        if not body.get("template_id"):
            return {"errcode": 40037, "errmsg": "invalid template_id"}
        if not isinstance(body.get("data"), dict):
            return {"errcode": 47003, "errmsg": "argument invalid! data.keyword invalid"}
        with self._lock:
            self.sent_messages.append(body)
        return {"errcode": 0, "errmsg": "ok"}

    def _face(self, endpoint):
        def handler(request: Request) -> dict[str, Any]:
            return self._check_token(request) or endpoint(json_body(request))

        return handler

    def _wxacode(self, request: Request) -> dict[str, Any] | Response:
        problem = self._check_token(request)
        if problem:
            return problem
        body = json_body(request)
        scene = body.get("scene")
        if not isinstance(scene, str) or not _SCENE.fullmatch(scene):
            return {"errcode": 40169, "errmsg": "invalid length for scene, or the data is not json"}
        page = body.get("page")
        with self._lock:
            self.wxacodes.append({"scene": scene, "page": page})
        return Response(wxacode_png(scene, page), mimetype="image/png")


def _json(body: dict[str, Any], status: int = 200) -> Response:
    return Response(
        json.dumps(body, ensure_ascii=False), status=status, mimetype="application/json"
    )
