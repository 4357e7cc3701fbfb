"""The live heartbeat served in front of Flask: the one call every learning trainee makes every
30 seconds, parsed, applied and answered without Flask's request machinery.

It answers only what the Flask route (``learning.post_heartbeat``) would answer with 200, with
the same models, service call, headers and quiet access log; anything else (a batch, a bad
body, no token, a refused or failed beat) goes to that route, which answers as for any other
request. A beat handed on after its script call is a replay there (same ``seq``): nothing is
credited twice. Measured in ``bench/heartbeat.py``: Flask's request context, URL matching,
hooks and response object cost a beat more than its own work.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
import time

import redis
from flask import Flask

from backend import logs, read_timeout, security_headers
from backend.api import MAX_ID, json_content_type_ok, parse_json
from backend.errors import RETRY_AFTER_OUTAGE_S, SERVICE_UNAVAILABLE, error_body
from backend.extensions import db
from backend.services.learning import heartbeats, live
from miniprogram_api.learning_schemas import HeartbeatResponse, LiveBeatIn

# The loop of backend/rsgi_bridge.py runs these requests itself, never in a thread.
LIVE_BEAT_PATH = re.compile(r"/api/v1/sessions/([1-9][0-9]{0,9})/heartbeats")
# A live beat is a few hundred bytes; a larger body (a batch) goes to the Flask route.
_MAX_BODY = 2048
log = logging.getLogger(__name__)
_DUMP = HeartbeatResponse.__pydantic_serializer__.to_json


class HeartbeatRoute:
    """WSGI middleware: serve successful live beats, hand everything else to ``wsgi_app``."""

    def __init__(self, app: Flask, wsgi_app) -> None:
        self.app = app
        self.wsgi_app = wsgi_app
        self.headers = [("Content-Type", "application/json")]
        self.headers += security_headers.headers_for(app)

    def __call__(self, environ, start_response):
        match = environ["REQUEST_METHOD"] == "POST" and LIVE_BEAT_PATH.fullmatch(
            environ["PATH_INFO"]
        )
        if not match:
            return self.wsgi_app(environ, start_response)
        started = time.perf_counter()
        session_id = int(match.group(1))
        length = environ.get("CONTENT_LENGTH") or ""
        token = self.eligible(
            session_id,
            environ.get("HTTP_AUTHORIZATION", ""),
            environ.get("CONTENT_TYPE", ""),
            length,
        )
        if token is None:
            return self.wsgi_app(environ, start_response)
        try:
            body = environ["wsgi.input"].read(int(length))
        except TimeoutError:  # the server's read timed out (this route is the outermost)
            return read_timeout.answer_timeout(start_response)
        incoming = environ.get("HTTP_X_REQUEST_ID", "")
        answered = self.answer(session_id, token, body, incoming, environ["PATH_INFO"], started)
        if answered is None:
            # Refused or failed: the Flask route says why, as it does for every request.
            return self.hand_on(environ, body, start_response)
        status, headers, payload = answered
        try:
            start_response(_STATUS_LINES[status], headers)
        except Exception:
            rid = dict(headers)["X-Request-ID"]
            logs.log_access(logging.ERROR, "POST", environ["PATH_INFO"], 500, started, rid)
            raise
        return [payload]

    def eligible(
        self, session_id: int, authorization: str, content_type: str, length: str
    ) -> str | None:
        """The bearer token of a request this route may answer (from its headers), or None:
        the Flask route answers it."""
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if (
            session_id > MAX_ID
            or scheme.lower() != "bearer"
            or not token
            or not json_content_type_ok(content_type)
            or not length.isdigit()
            or int(length) > _MAX_BODY
        ):
            return None
        return token

    def answer(
        self, session_id: int, token: str, body: bytes, incoming_id: str, path: str, started
    ) -> tuple[int, list[tuple[str, str]], bytes] | None:
        """The beat's status, headers and body, or None to hand it on (``hand_on``). Called by
        ``__call__`` and, without a WSGI environ, by backend/rsgi_bridge.py."""
        try:
            return self._serve(session_id, token, body, incoming_id, path, started)
        except Exception:
            # Outermost, so as logs.LogEscapes does for the others: the server answers 500
            # by itself, the access line is written here.
            logs.log_access(logging.ERROR, "POST", path, 500, started, logs.request_id(incoming_id))
            raise

    def _serve(self, session_id: int, token: str, body: bytes, incoming_id: str, path, started):
        beat = _parse(body)
        if beat is None:
            return None
        with self.app.app_context():  # its teardown discards what a failed beat staged
            try:
                result = apply_live_beat(token, session_id, beat)
            except (redis.ConnectionError, redis.TimeoutError):
                # Redis down or hung: the Flask route would only wait for it again.
                return self._unavailable(incoming_id, path, started)
            except Exception:
                return None
        return self._ok(result, incoming_id, path, started)

    async def answer_on_loop(
        self, session_id: int, token: str, body: bytes, incoming_id: str, path: str, started
    ) -> tuple[int, list[tuple[str, str]], bytes] | None:
        """``answer`` on the server's event loop, its Redis call sent from the loop and awaited
        (backend/loop_redis.py): the loop serves other beats meanwhile."""
        try:
            beat = _parse(body)
            if beat is None:
                return None
            # One app context for the whole beat: it belongs to this request's task.
            with self.app.app_context():
                conn = live.loop_client()
                if conn is None:  # a cluster, TLS, the stand-in: the app's client, blocking
                    return self._serve(session_id, token, body, incoming_id, path, started)
                try:
                    call = heartbeats.prepare(token, session_id, [beat], answer=_answer(beat))
                    reply = await live.run_on_loop(conn, call.keys, call.args)
                    if heartbeats.finish_waits(reply):
                        # A check to issue (WeChat for a face check), a refusal to explain: in
                        # a thread, so the loop goes on serving the other beats meanwhile.
                        result = await asyncio.to_thread(self._finish, call, reply)
                    else:
                        result = heartbeats.finish(call, reply)
                        commit_if_opened()
                except (redis.ConnectionError, redis.TimeoutError):
                    return self._unavailable(incoming_id, path, started)
                except Exception:
                    return None
            return self._ok(result, incoming_id, path, started)
        except Exception:
            logs.log_access(logging.ERROR, "POST", path, 500, started, logs.request_id(incoming_id))
            raise

    def _finish(self, call, reply):
        with self.app.app_context():
            result = heartbeats.finish(call, reply)
            commit_if_opened()
            return result

    def _ok(self, result, incoming_id: str, path: str, started):
        # From the result's fields as a dict (half the cost of reading them as attributes),
        # straight to bytes: the same JSON as model_dump_json().
        payload = _DUMP(HeartbeatResponse.model_validate(vars(result)))
        request_id = logs.request_id(incoming_id)
        headers = [
            *self.headers,
            ("Content-Length", str(len(payload))),
            ("X-Request-ID", request_id),
        ]
        logs.log_access(logs.QUIET, "POST", path, 200, started, request_id)
        return 200, headers, payload

    def _unavailable(self, incoming_id: str, path: str, started: float):
        """503 service_unavailable with Retry-After, as the app's outage handler answers."""
        payload = json.dumps(
            error_body("service_unavailable", SERVICE_UNAVAILABLE), ensure_ascii=False
        ).encode()
        request_id = logs.request_id(incoming_id)
        headers = [
            *self.headers,
            ("Content-Length", str(len(payload))),
            ("Retry-After", str(RETRY_AFTER_OUTAGE_S)),
            ("X-Request-ID", request_id),
        ]
        log.error("service unavailable: heartbeat")
        logs.log_access(logging.INFO, "POST", path, 503, started, request_id)
        return 503, headers, payload

    def hand_on(self, environ, body: bytes, start_response):
        """The request to the app behind this route (the Flask route), its body already read."""
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        return self.wsgi_app(environ, start_response)


_STATUS_LINES = {200: "200 OK", 503: "503 Service Unavailable"}


def _parse(body: bytes) -> LiveBeatIn | None:
    try:
        # One parse (duplicate keys and whole numbers as the Flask route reads them), for the
        # same model; whatever it refuses, the Flask route says why.
        return LiveBeatIn.model_validate(parse_json(body))
    except (ValueError, RecursionError):  # ValidationError is a ValueError
        return None


def _answer(beat: LiveBeatIn) -> tuple[int, str] | None:
    given = beat.challenge_answer
    return (given.id, given.answer) if given is not None else None


def apply_live_beat(token: str, session_id: int, beat: LiveBeatIn):
    """Apply one live beat (and the attention-check answer it carries) and commit."""
    result = heartbeats.receive(token, session_id, [beat], answer=_answer(beat))
    commit_if_opened()
    return result


def commit_if_opened() -> None:
    """Commit the request's database session, if it opened one."""
    # An ordinary beat never opens a database session: do not create one just to commit.
    if db.session.registry.has():
        db.session.commit()


def install(app: Flask) -> None:
    """Put the heartbeat route in front of the app's WSGI callable, outermost (after every
    other middleware): a beat then passes through no other wrapper; it bounds its own body read
    and logs its own escaped errors, as ``read_timeout`` and ``logs.LogEscapes`` do for the
    requests it hands on."""
    app.wsgi_app = HeartbeatRoute(app, app.wsgi_app)
