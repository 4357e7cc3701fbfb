"""Granian settings for production app hosts: ``python -m config.granian`` serves the app.

Keep-alive HTTP/1.1 (the mini-program's ``wx.request`` reuses connections), one worker process
per CPU by default, two blocking threads per worker (while one waits for its Redis call the
other runs: 5,142 against 4,609 beats/s with one, bench/heartbeat.py), and no worker recycling:
a worker lives as long as the host (recycling cost about a second of CPU per boot).
A client's headers must arrive within ``REQUEST_READ_TIMEOUT_S`` (the app bounds each body read
by the same setting, ``backend/read_timeout.py``), so a stalled client never holds a thread.
"""

from __future__ import annotations

import multiprocessing
import os
import sys

from granian.constants import Interfaces
from granian.http import HTTP1Settings
from granian.server import Server

from config.settings import BaseConfig


def read_timeout_s() -> float:
    """The deployment's ``REQUEST_READ_TIMEOUT_S`` (the app reads the same variable)."""
    return float(os.environ.get("REQUEST_READ_TIMEOUT_S") or BaseConfig.REQUEST_READ_TIMEOUT_S)


def main() -> None:
    """Serve ``GRANIAN_TARGET`` (default the app factory) on ``GRANIAN_BIND``."""
    host, _, port = os.environ.get("GRANIAN_BIND", "0.0.0.0:8000").rpartition(":")
    target = sys.argv[1] if len(sys.argv) > 1 else "backend:create_app"
    Server(
        target,
        address=host,
        port=int(port),
        interface=Interfaces.WSGI,
        workers=int(os.environ.get("GRANIAN_WORKERS", multiprocessing.cpu_count())),
        blocking_threads=int(os.environ.get("GRANIAN_BLOCKING_THREADS", 2)),
        backlog=2048,
        http1_settings=HTTP1Settings(header_read_timeout=int(read_timeout_s() * 1000)),
        factory=target.endswith("create_app"),
        log_access=False,  # the app writes JSON access logs with request ids itself
        respawn_failed_workers=True,
    ).serve()


if __name__ == "__main__":
    main()
