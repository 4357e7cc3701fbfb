"""The simulator's ``/_sim`` control endpoints and page, which tests and demos use to steer it
(register codes, inject failures, complete face checks, read its state); a mixin of
:class:`backend.wechat.simulator_app.WeChatSimulatorApp`, whose state they read and change."""

from __future__ import annotations

import json
from typing import Any

from werkzeug.wrappers import Request, Response

from backend.wechat.simulator_page import simulator_page


class SimulatorControls:
    """The ``/_sim`` endpoints; the app class provides the state and the methods they call."""

    def _ctl_wxacodes(self, request: Request) -> dict[str, Any]:
        with self._lock:
            return {"errcode": 0, "errmsg": "ok", "codes": list(self.wxacodes)}

    def _page(self, request: Request) -> Response:
        return Response(simulator_page(self.face.open_verifications()), mimetype="text/html")

    def _page_face_complete(self, request: Request) -> Response:
        verify_id = request.form.get("verify_id", "")
        ret = request.form.get("verify_ret", "10000")
        if verify_id in self.face.open_verifications() and ret.isdigit():
            self.face.complete(verify_id, int(ret))
        return Response(status=303, headers={"Location": "/_sim"})

    def _ctl_face_complete(self, request: Request) -> dict[str, Any]:
        body = json_body(request)
        self.face.complete(str(body["verify_id"]), int(body.get("verify_ret") or 10000))
        return {"errcode": 0, "errmsg": "ok"}

    def _ctl_face_expire(self, request: Request) -> dict[str, Any]:
        self.face.expire(str(json_body(request)["verify_id"]))
        return {"errcode": 0, "errmsg": "ok"}

    def _ctl_phone_code(self, request: Request) -> dict[str, Any]:
        body = json_body(request)
        self.register_phone_code(str(body["phone_code"]), str(body["phone"]))
        return {"errcode": 0, "errmsg": "ok"}

    def _ctl_code(self, request: Request) -> dict[str, Any]:
        body = json_body(request)
        self.register_code(
            str(body["code"]), str(body["openid"]), body.get("session_key"), body.get("unionid")
        )
        return {"errcode": 0, "errmsg": "ok"}

    def _ctl_last_login(self, request: Request) -> dict[str, Any]:
        login = self.last_login(request.args.get("openid"))
        if login is None:
            return {"errcode": 404, "errmsg": "no login yet"}
        return {"errcode": 0, "errmsg": "ok", **login}

    def _ctl_fail_next(self, request: Request) -> dict[str, Any]:
        body = json_body(request)
        self.fail_next(str(body["path"]), int(body["errcode"]), str(body.get("errmsg") or ""))
        return {"errcode": 0, "errmsg": "ok"}

    def _ctl_expire_tokens(self, request: Request) -> dict[str, Any]:
        self.expire_access_tokens()
        return {"errcode": 0, "errmsg": "ok"}

    def _ctl_state(self, request: Request) -> dict[str, Any]:
        with self._lock:
            return {
                "errcode": 0,
                "errmsg": "ok",
                "app_id": self.app_id,
                "token_fetches": self.token_fetches,
                "calls": dict(self.calls),
                "sent_messages": list(self.sent_messages),
            }


def json_body(request: Request) -> dict[str, Any]:
    """Parse a JSON object body whatever the Content-Type (wechatpy sends none)."""
    try:
        body = json.loads(request.get_data() or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise ValueError("body is not JSON") from None
    if not isinstance(body, dict):
        raise ValueError("body is not a JSON object")
    return body
