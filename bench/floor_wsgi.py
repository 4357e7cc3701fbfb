"""The floor: the least a beat can cost under the same server settings. A bare WSGI callable
(no framework) that checks an HMAC-signed token, parses the beat with pydantic and records it in
Redis in one round trip (HSET of the session's state and XADD to a stream, pipelined).

    granian ... bench.floor_wsgi:app     (bench/heartbeat.py starts it as the yardstick)
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import time

import redis
from pydantic import BaseModel

from bench.minimal_app import SECRET

PREFIX = os.environ.get("REDIS_PREFIX", "bench:") + "floor:"
# The live beat's path (bench/wrk_beats.lua): served where the server serves live beats.
_PATH = re.compile(r"/api/v1/sessions/([1-9][0-9]{0,9})/heartbeats")
_client = redis.Redis.from_url(os.environ["REDIS_URL"], decode_responses=True)


class Beat(BaseModel):
    """A live beat, as the app's model reads it."""

    seq: int
    client_ts: int
    position_s: int
    playing: bool


def _answer(start_response, status: str, body: dict) -> list[bytes]:
    data = json.dumps(body).encode()
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))]
    )
    return [data]


def app(environ, start_response):
    """The WSGI callable."""
    path = environ.get("PATH_INFO", "")
    if path == "/healthz":
        return _answer(start_response, "200 OK", {"ok": True})
    match = _PATH.fullmatch(path)
    token = environ.get("HTTP_AUTHORIZATION", "").removeprefix("Bearer ")
    subject, _, mac = token.rpartition(".")
    expected = hmac.new(SECRET, subject.encode(), hashlib.sha256).hexdigest()
    if match is None or not subject or not hmac.compare_digest(mac, expected):
        return _answer(start_response, "401 Unauthorized", {"error": "unauthorized"})
    length = int(environ.get("CONTENT_LENGTH") or 0)
    beat = Beat.model_validate_json(environ["wsgi.input"].read(length))
    session_id = match.group(1)
    pipe = _client.pipeline(transaction=False)
    pipe.hset(f"{PREFIX}{session_id}", mapping={"seq": beat.seq, "at": int(time.time())})
    pipe.xadd(f"{PREFIX}stream", {"v": f"{session_id}|{beat.seq}|{beat.position_s}"},
              maxlen=100_000, approximate=True)  # fmt: skip
    pipe.execute()
    return _answer(start_response, "200 OK", {"acked_seq": beat.seq})
