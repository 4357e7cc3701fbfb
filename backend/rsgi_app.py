"""The RSGI application granian's workers build (``python -m config.granian``): the WSGI app
named by ``SHIGANG_WSGI_TARGET`` (default the app factory) behind backend/rsgi_bridge.py, with
its threads, read bound and body limits, and the app's live-beat route answered on the loop."""

from __future__ import annotations

import importlib
import os

from backend.rsgi_bridge import BodyLimit, WSGIOverRSGI
from config.settings import BaseConfig


def _flask_body_limit(app) -> BodyLimit:
    """A route's body limit: the app's MAX_CONTENT_LENGTH, a media upload view's own."""
    from backend.media import upload_limit

    def limit(path: str, method: str) -> int | None:
        return upload_limit(app, path, method)

    return limit


def _target(name: str):
    module, _, attr = name.partition(":")
    found = getattr(importlib.import_module(module), attr or "app")
    return found() if (attr or "").endswith("create_app") else found


def from_environ() -> WSGIOverRSGI:
    """The app of ``SHIGANG_WSGI_TARGET`` (default the app factory), as config/granian.py sets
    it, with its threads (``GRANIAN_BLOCKING_THREADS``) and read bound."""
    app = _target(os.environ.get("SHIGANG_WSGI_TARGET") or "backend:create_app")
    config = getattr(app, "config", {})
    setting = os.environ.get("REQUEST_READ_TIMEOUT_S")
    timeout = config.get("REQUEST_READ_TIMEOUT_S") or float(
        setting or BaseConfig.REQUEST_READ_TIMEOUT_S
    )
    if "MEDIA_MAX_BYTES" in config:  # the app itself
        limit = _flask_body_limit(app)
    else:  # the benchmarks' minimal endpoint and floor

        def limit(path: str, method: str) -> int | None:
            return BaseConfig.MAX_CONTENT_LENGTH

    from miniprogram_api.heartbeat_route import LIVE_BEAT_PATH

    threads = int(os.environ.get("GRANIAN_BLOCKING_THREADS", 2))
    route = getattr(app, "wsgi_app", None)  # the app's outermost WSGI layer
    return WSGIOverRSGI(
        app,
        threads=threads,
        read_timeout_s=timeout,
        body_limit=limit,
        inline_path=LIVE_BEAT_PATH,
        beat_route=route if hasattr(route, "answer_on_loop") else None,
    )
