"""The yardstick: a minimal Flask endpoint that checks a signed token and does one Redis
pipeline write, served with the same gunicorn settings as the real app."""

from __future__ import annotations

import hashlib
import hmac
import os
import time

import redis
from flask import Flask, jsonify, request

SECRET = os.environ.get("BENCH_TOKEN_SECRET", "bench-secret").encode()
PREFIX = os.environ.get("REDIS_PREFIX", "bench:") + "minimal:"


def sign(subject: str) -> str:
    """A token ``subject.signature`` (HMAC-SHA256)."""
    mac = hmac.new(SECRET, subject.encode(), hashlib.sha256).hexdigest()
    return f"{subject}.{mac}"


def create_app() -> Flask:
    """The minimal app."""
    app = Flask(__name__)
    client = redis.Redis.from_url(os.environ["REDIS_URL"], decode_responses=True)

    # The live beat's path too (bench/wrk_beats.lua posts there: the server runs it where it
    # runs live beats); /beat/ for bench/beat_cost.py.
    @app.post("/beat/<int:session_id>")
    @app.post("/api/v1/sessions/<int:session_id>/heartbeats")
    def beat(session_id):
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        subject, _, mac = token.rpartition(".")
        expected = hmac.new(SECRET, subject.encode(), hashlib.sha256).hexdigest()
        if not subject or not hmac.compare_digest(mac, expected):
            return jsonify({"error": "unauthorized"}), 401
        body = request.get_json()
        key = f"{PREFIX}{session_id}"
        pipe = client.pipeline()
        pipe.hset(key, mapping={"seq": body["seq"], "at": time.time(), "by": subject})
        pipe.expire(key, 3600)
        pipe.execute()
        return jsonify({"acked_seq": body["seq"]})

    @app.get("/healthz")
    def healthz():
        return jsonify({"ok": True})

    return app
