"""Local HTTP simulator of the WeChat server endpoints Shigang uses (tests and demos only).

It is a small standalone werkzeug WSGI app - never mounted on the Shigang app - served by
:class:`SimulatorServer` on 127.0.0.1 in a daemon thread. The real wechatpy client talks to it
over HTTP: point ``WECHAT_API_BASE_URL`` at ``server.url``. Paths, parameters and JSON shapes
follow the real API:

* ``GET  sns/jscode2session?appid&secret&js_code&grant_type=authorization_code``
  -> ``{openid, session_key, unionid}``. Wrong appid -> 40013, wrong secret -> 40125, a code
  used twice -> 40163, codes starting with ``invalid`` -> 40029. Unregistered codes log in
  a deterministic user derived from the part before the first ``.`` (``alice.1`` and
  ``alice.2`` are the same user, ``bob.1`` another); each login gets a fresh session_key.
  Codes registered through the Python API take precedence.
* ``GET cgi-bin/token`` and ``POST cgi-bin/stable_token`` -> ``{access_token, expires_in}``.
* ``POST wxa/business/getuserphonenumber?access_token=`` ``{code}`` -> ``phone_info``; phone
  codes must be registered and work once (unknown -> 40029).
* ``POST cgi-bin/message/subscribe/send?access_token=`` -> ``{errcode: 0}``; recorded.
* ``POST cityservice/face/identify/getverifyid`` and ``.../queryverifyinfo?access_token=``:
  face verification (人脸核身 2.0) with scripted outcomes, see
  :mod:`backend.wechat.simulator_face`.
* Unknown or expired access tokens -> 40001.

Control endpoints for driving a running demo with curl (JSON in, JSON out)::

    # register a phone code for the mini-program's getPhoneNumber button
    curl -X POST $SIM/_sim/phone-codes -d '{"phone_code": "p1", "phone": "13800138000"}'
    # pin a wx.login code to a given user (optional: unregistered codes work too)
    curl -X POST $SIM/_sim/codes -d '{"code": "c1", "openid": "oAlice", "unionid": "uA"}'
    # the latest login (optionally ?openid=...), including its session_key
    curl $SIM/_sim/last-login
    # make the next call to a path fail, or expire every access token
    curl -X POST $SIM/_sim/fail-next -d '{"path": "sns/jscode2session", "errcode": 45011}'
    curl -X POST $SIM/_sim/expire-tokens
    # the user's face verification: passed (10000), 10003 ID mismatch, 90002 cancelled...
    curl -X POST $SIM/_sim/face/complete -d '{"verify_id": "vf...", "verify_ret": 10000}'
    curl -X POST $SIM/_sim/face/expire -d '{"verify_id": "vf..."}'
    # counters and recorded subscribe messages
    curl $SIM/_sim/state

Run standalone with ``python -m backend.wechat.simulator [--port 8910]``. It refuses to
start when ``SHIGANG_ENV=production``.
"""

from __future__ import annotations

import argparse
import threading
from collections import Counter
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from backend.wechat.simulator_app import (
    DEFAULT_APP_ID,
    DEFAULT_SECRET,
    WeChatSimulatorApp,
    derive_openid,
    derive_unionid,
    refuse_in_production,
)

__all__ = ["DEFAULT_APP_ID", "DEFAULT_SECRET", "SimulatorServer", "derive_openid", "derive_unionid"]


class _QuietHandler(WSGIRequestHandler):
    """Request handler that does not log: query strings carry secrets and tokens."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Skip the access log."""


class SimulatorServer:
    """Serves a :class:`WeChatSimulatorApp` on 127.0.0.1 in a daemon thread."""

    def __init__(
        self,
        app_id: str = DEFAULT_APP_ID,
        secret: str = DEFAULT_SECRET,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        refuse_in_production()
        self.app = WeChatSimulatorApp(app_id, secret)
        self.host = host
        self.port = port
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def app_id(self) -> str:
        """App id the simulator accepts."""
        return self.app.app_id

    @property
    def secret(self) -> str:
        """App secret the simulator accepts."""
        return self.app.secret

    @property
    def url(self) -> str:
        """Base URL to use as the WeChat API base, e.g. "http://127.0.0.1:54321/"."""
        if self._server is None:
            raise RuntimeError("simulator is not running")
        return f"http://{self.host}:{self._server.server_port}/"

    def start(self) -> SimulatorServer:
        """Bind the port and serve in a background daemon thread."""
        refuse_in_production()
        if self._server is not None:
            return self
        self.app._stopping.clear()
        self._server = make_server(
            self.host, self.port, self.app, threaded=True, request_handler=_QuietHandler
        )
        # A short poll interval keeps stop() (and so each test's teardown) fast.
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="wechat-simulator",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._server is None:
            return
        self.app._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # Python control API, forwarded to the app.

    def register_code(
        self,
        code: str,
        openid: str,
        session_key: str | None = None,
        unionid: str | None = None,
    ) -> None:
        """Make a login code resolve to this user (session_key random if None)."""
        self.app.register_code(code, openid, session_key, unionid)

    def register_phone_code(self, phone_code: str, phone: str) -> None:
        """Make a getPhoneNumber code resolve (once) to this phone number."""
        self.app.register_phone_code(phone_code, phone)

    def fail_next(self, path: str, errcode: int, errmsg: str = "") -> None:
        """Answer the next call to ``path`` with this errcode."""
        self.app.fail_next(path, errcode, errmsg)

    def delay_next(self, path: str, seconds: float) -> None:
        """Sleep before answering the next call to ``path``."""
        self.app.delay_next(path, seconds)

    def expire_access_tokens(self) -> None:
        """Expire every access token issued so far."""
        self.app.expire_access_tokens()

    def last_session_key(self, openid: str) -> str | None:
        """Session key of this user's latest login, if any."""
        return self.app.last_session_key(openid)

    def last_login(self, openid: str | None = None) -> dict[str, Any] | None:
        """Latest login overall (or of one openid)."""
        return self.app.last_login(openid)

    @property
    def face(self):
        """The face-verification state: ``complete(verify_id, verify_ret)``, ``expire(...)``."""
        return self.app.face

    @property
    def token_fetches(self) -> int:
        """Number of calls to cgi-bin/token and cgi-bin/stable_token so far."""
        return self.app.token_fetches

    @property
    def calls(self) -> Counter[str]:
        """Requests received per WeChat path (control endpoints excluded)."""
        return self.app.calls

    @property
    def sent_messages(self) -> list[dict[str, Any]]:
        """Subscribe messages accepted so far (request bodies)."""
        return self.app.sent_messages


def main(argv: list[str] | None = None) -> None:
    """Run the simulator in the foreground for a local demo."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8910)
    parser.add_argument("--app-id", default=DEFAULT_APP_ID)
    parser.add_argument("--secret", default=DEFAULT_SECRET)
    args = parser.parse_args(argv)
    server = SimulatorServer(args.app_id, args.secret, args.host, args.port).start()
    print(f"WeChat simulator on {server.url}")
    # The default secret is a public placeholder, so echoing it for copy-paste is harmless.
    secret = args.secret if args.secret == DEFAULT_SECRET else "<your --secret>"
    print(f"WECHAT_API_BASE_URL={server.url} WECHAT_APP_ID={args.app_id}")
    print(f"WECHAT_APP_SECRET={secret}")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


if __name__ == "__main__":
    main()
