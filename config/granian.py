"""Granian settings for production app hosts: ``python -m config.granian`` serves the app.

Keep-alive HTTP/1.1 (the mini-program's ``wx.request`` reuses connections), one worker process
per CPU by default, two blocking threads per worker (while one waits for its Redis call the
other runs: 5,142 against 4,609 beats/s with one, bench/heartbeat.py), and no worker recycling:
a worker lives as long as the host (recycling cost about a second of CPU per boot).
The WSGI app is served over granian's RSGI interface (``backend/rsgi_bridge.py``): the event
loop reads each body, at most ``REQUEST_READ_TIMEOUT_S`` between two reads, before one of the
worker's threads runs the app (granian's WSGI interface reads bodies in the thread, unbounded);
a client's headers must arrive within the same bound. A stalled client never holds a thread.
Live heartbeats run on the loop itself, without the hop to a thread, answered from the RSGI
scope without a WSGI environ (see rsgi_bridge.py). The loop is uvloop (granian's ``auto``
picks it when installed; ``GRANIAN_LOOP=asyncio`` for comparison, ``GRANIAN_TASK_IMPL=rust``
likewise: it did not pay here).
"""

from __future__ import annotations

import multiprocessing
import os
import sys

from granian.constants import Interfaces, Loops, TaskImpl
from granian.http import HTTP1Settings
from granian.server import Server

from config.settings import BaseConfig


def read_timeout_s() -> float:
    """The deployment's ``REQUEST_READ_TIMEOUT_S`` (the app reads the same variable)."""
    return float(os.environ.get("REQUEST_READ_TIMEOUT_S") or BaseConfig.REQUEST_READ_TIMEOUT_S)


def main() -> None:
    """Serve the WSGI app named on the command line (default the app factory) on
    ``GRANIAN_BIND``, with ``GRANIAN_BLOCKING_THREADS`` threads per worker running it (0: the
    worker's event loop runs it, see backend/rsgi_bridge.py).
    ``GRANIAN_INTERFACE=wsgi`` serves it over granian's WSGI interface instead, for comparison
    only (bench/heartbeat.py): there a stalled body holds a thread."""
    host, _, port = os.environ.get("GRANIAN_BIND", "0.0.0.0:8000").rpartition(":")
    target = sys.argv[1] if len(sys.argv) > 1 else "backend:create_app"
    threads = int(os.environ.get("GRANIAN_BLOCKING_THREADS", 2))
    if os.environ.get("GRANIAN_INTERFACE") == "wsgi":
        served = {"interface": Interfaces.WSGI, "blocking_threads": threads}
        factory = target.endswith("create_app")
    else:
        # The workers build it (backend.rsgi_app.from_environ); they inherit the environment.
        # Its threads run the app; RSGI itself runs one event loop per worker.
        os.environ["SHIGANG_WSGI_TARGET"] = target
        served = {"interface": Interfaces.RSGI, "blocking_threads": 1}
        target, factory = "backend.rsgi_app:from_environ", True
    Server(
        target,
        address=host,
        port=int(port),
        workers=int(os.environ.get("GRANIAN_WORKERS", multiprocessing.cpu_count())),
        backlog=2048,
        http1_settings=HTTP1Settings(header_read_timeout=int(read_timeout_s() * 1000)),
        factory=factory,
        log_access=False,  # the app writes JSON access logs with request ids itself
        respawn_failed_workers=True,
        loop=Loops(os.environ.get("GRANIAN_LOOP", "auto")),
        task_impl=TaskImpl(os.environ.get("GRANIAN_TASK_IMPL", "asyncio")),
        **served,
    ).serve()


if __name__ == "__main__":
    main()
