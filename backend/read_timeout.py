"""A request body that stops arriving answers ``408 request_timeout``, never a 500.

The servers bound each read: the development server by a socket timeout of
``REQUEST_READ_TIMEOUT_S`` (``backend/devserver.py``), granian its header reads by the same
setting (``config/granian.py``), and nginx in front (README, Production) its body reads with
request buffering. A read that times out raises ``TimeoutError`` inside the app; this wrapper
turns it into a 408 (and ``Connection: close``), so the thread is free and the client told.

granian's own body reads have no time bound, and reading its body object from a second thread
(to wait with a timeout) stalls the worker, so under granian alone a stalled body still holds a
thread: the proxy's request buffering is what bounds it in production.
"""

from __future__ import annotations

import json

from werkzeug.exceptions import RequestTimeout

TIMEOUT_MESSAGE = "请求超时，请重新发送"
_TIMEOUT_BODY = json.dumps(
    {"error": {"code": "request_timeout", "message": TIMEOUT_MESSAGE}}, ensure_ascii=False
).encode()


class BodyReadTimeout(RequestTimeout):
    """The client stopped sending the body it announced (408)."""


class TimedInput:
    """``wsgi.input`` whose reads raise ``BodyReadTimeout`` where the server's timed out."""

    def __init__(self, stream) -> None:
        self.stream = stream

    def read(self, *args) -> bytes:
        """Up to ``size`` bytes."""
        try:
            return self.stream.read(*args)
        except TimeoutError:
            raise BodyReadTimeout() from None

    def readline(self, *args) -> bytes:
        """One line."""
        try:
            return self.stream.readline(*args)
        except TimeoutError:
            raise BodyReadTimeout() from None

    def readlines(self, _hint: int | None = -1) -> list[bytes]:
        """The remaining lines."""
        return list(iter(self.readline, b""))

    def __iter__(self):
        return iter(self.readline, b"")


class BoundedBodies:
    """WSGI middleware, outermost but for the heartbeat fast route (which bounds its own
    read): a timed-out body read answers 408 with Connection: close."""

    def __init__(self, wsgi_app) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        length = environ.get("CONTENT_LENGTH") or ""
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if not chunked and length in ("", "0"):
            return self.wsgi_app(environ, start_response)
        environ["wsgi.input"] = TimedInput(environ["wsgi.input"])

        def start(status, headers, exc_info=None):
            if status.startswith("408"):
                headers = [(k, v) for k, v in headers if k.lower() != "connection"]
                headers.append(("Connection", "close"))
            return start_response(status, headers, exc_info)

        try:
            return self.wsgi_app(environ, start)
        except BodyReadTimeout:  # raised outside Flask
            return answer_timeout(start_response)


def answer_timeout(start_response) -> list[bytes]:
    """The 408 of a timed-out body read, outside Flask (the heartbeat fast route reads its own
    body, in front of this middleware)."""
    length = str(len(_TIMEOUT_BODY))
    headers = [("Content-Type", "application/json"), ("Content-Length", length)]
    start_response("408 Request Timeout", [*headers, ("Connection", "close")])
    return [_TIMEOUT_BODY]


def install(app) -> None:
    """Wrap ``app.wsgi_app``; call after every other middleware so this one is outermost."""
    app.wsgi_app = BoundedBodies(app.wsgi_app)
