"""Health endpoint for load balancers and the first run."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from backend.clock import now
from backend.errors import RETRY_AFTER_OUTAGE_S
from backend.extensions import db, redis_store

bp = Blueprint("health", __name__)


def _check(fn) -> dict:
    try:
        fn()
    except Exception as exc:  # a health probe reports every failure instead of raising
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True}


@bp.get("/healthz")
def healthz():
    """Report whether the database and Redis are reachable."""
    database = _check(lambda: db.session.execute(text("SELECT 1")))
    database["backend"] = db.engine.dialect.name
    cache = _check(redis_store.client.ping)
    cache["embedded"] = current_app.extensions["redis_embedded"]
    ok = database["ok"] and cache["ok"]
    body = {"ok": ok, "database": database, "redis": cache, "server_time": now().isoformat()}
    if ok:
        return jsonify(body), 200
    # As every 503: when to look again.
    return jsonify(body), 503, {"Retry-After": str(RETRY_AFTER_OUTAGE_S)}
