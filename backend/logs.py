"""Structured JSON logs on stdout, each line carrying the request id."""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import time

from flask import Flask, g, has_request_context, request

from backend import clock

# Whatever a message says, these never reach the log: bearer tokens, WeChat secrets, ID numbers.
_REDACTIONS = [
    (re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+"), r"\1[redacted]"),
    # key=value and "key": "value" always carry a value; after "key:" or "key " only what
    # looks like one does (8+ token characters, or a digit), so "unclosed token: line 1" stays.
    (
        re.compile(
            r"(?i)\b(session_key|access_token|secret|token|password)(=|\"\s*:\s*\")[^\s\"'&,]+"
        ),
        r"\1\2[redacted]",
    ),
    (
        re.compile(
            r"(?i)\b(session_key|access_token|secret|token|password)(\"?\s*[:\s]\s*\"?)"
            r"(?=[A-Za-z0-9._~+/=-]*\d|[A-Za-z0-9._~+/=-]{8})[A-Za-z0-9._~+/=-]+"
        ),
        r"\1\2[redacted]",
    ),
    (re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)"), "[id-number]"),
]


# Terminal colour and cursor codes (the development server colours its warning): not for JSON.
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")

_REQUEST_ID = re.compile(r"[A-Za-z0-9-]{8,64}")


def request_id(incoming: str) -> str:
    """The request's id: the caller's ``X-Request-ID`` when it looks like one, else a new one."""
    return incoming if _REQUEST_ID.fullmatch(incoming) else os.urandom(16).hex()


_access = logging.getLogger("shigang.access")
# Successful calls of quiet_access_log views: high-volume, their evidence stored elsewhere.
QUIET = logging.DEBUG


def log_access(
    level: int, method: str, path: str, status: int, started: float | None, rid: str
) -> None:
    """Write the access log line of one request (``started``: its perf_counter at arrival)."""
    if not _access.isEnabledFor(level):
        return
    duration = round((time.perf_counter() - started) * 1000, 1) if started else None
    # The path only: query strings may carry codes or tokens.
    _access.log(
        level,
        "request",
        extra={
            "method": method,
            "path": path,
            "status": status,
            "duration_ms": duration,
            "request_id": rid,
        },
    )


class LogEscapes:
    """WSGI middleware: a request whose failure escaped every error handler (the server then
    answers 500 by itself) still gets its access line, which ``after_request`` never wrote."""

    def __init__(self, wsgi_app) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        started = time.perf_counter()
        try:
            return self.wsgi_app(environ, start_response)
        except Exception:
            rid = request_id(environ.get("HTTP_X_REQUEST_ID", ""))
            method, path = environ.get("REQUEST_METHOD", ""), environ.get("PATH_INFO", "")
            log_access(logging.ERROR, method, path, 500, started, rid)
            raise


def redact(text: str) -> str:
    """Remove tokens, secrets and resident ID numbers from a log message."""
    for pattern, replacement in _REDACTIONS:
        text = pattern.sub(replacement, text)
    return text


class JsonFormatter(logging.Formatter):
    """One JSON object a line."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": clock.now().isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": redact(_ANSI.sub("", record.getMessage())),
        }
        if hasattr(record, "request_id"):
            entry["request_id"] = record.request_id
        elif has_request_context():
            entry["request_id"] = getattr(g, "request_id", None)
        for key in ("method", "path", "status", "duration_ms"):
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        if isinstance(entry.get("path"), str):
            # A path can carry what a message must not (an ID number typed into a URL).
            entry["path"] = redact(entry["path"])
        if record.exc_info:
            entry["exc"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def quiet_access_log(view):
    """Log this view's successful requests at DEBUG: high-volume calls whose evidence is stored
    elsewhere (heartbeats leave credited spans), so INFO stays readable and cheap."""
    view.quiet_access_log = True
    return view


def configure_logging(app: Flask) -> None:
    """Send the app's logs to stdout as JSON and log one line per request."""
    root = logging.getLogger()
    if not any(getattr(h, "shigang", False) for h in root.handlers):
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(JsonFormatter())
        handler.shigang = True
        root.addHandler(handler)
    root.setLevel(app.config.get("LOG_LEVEL", "INFO"))
    # Alembic announces every plugin at INFO on each start; keep the stream about requests.
    logging.getLogger("alembic").setLevel(logging.WARNING)

    @app.before_request
    def assign_request_id():
        g.request_id = request_id(request.headers.get("X-Request-ID", ""))
        g.request_started = time.perf_counter()

    @app.after_request
    def log_request(response):
        rid = g.get("request_id", "")
        response.headers["X-Request-ID"] = rid
        level = logging.INFO
        if response.status_code < 400 and getattr(
            app.view_functions.get(request.endpoint), "quiet_access_log", False
        ):
            level = QUIET
        started = g.get("request_started")
        log_access(level, request.method, request.path, response.status_code, started, rid)
        return response
