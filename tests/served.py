"""The app served as production serves it (``python -m config.granian``), for tests that talk
to it over a socket: stalled clients, the RSGI bridge."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

# Generous: only stops a hung test; what a test asserts never depends on it.
WAIT_S = 20


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def read_all(conn: socket.socket) -> bytes:
    """One response (by its Content-Length), or what came before the connection closed."""
    conn.settimeout(WAIT_S)
    data = b""
    while chunk := conn.recv(65536):
        data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        lengths = [
            int(line.partition(b":")[2])
            for line in head.lower().split(b"\r\n")
            if line.startswith(b"content-length:")
        ]
        if lengths and len(body) >= lengths[0]:
            break
    return data


def exchange(port: int, request: bytes) -> bytes:
    """Send raw request bytes on a new connection; the response."""
    with socket.create_connection(("127.0.0.1", port), timeout=WAIT_S) as conn:
        conn.sendall(request)
        return read_all(conn)


def get_healthz(port: int) -> bytes:
    return exchange(port, b"GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")


@contextmanager
def granian(
    app_config: dict, *, read_timeout_s: float, threads: int, target: str = "backend:create_app"
) -> Iterator[int]:
    """``python -m config.granian`` with one worker of ``threads`` threads on the test
    services, serving ``target`` (the app by default); yields its port."""
    port = free_port()
    env = {
        **os.environ,
        "SHIGANG_ENV": "test",
        "DATABASE_URL": app_config["DATABASE_URL"],
        "REDIS_URL": app_config["REDIS_URL"],
        "REDIS_PREFIX": app_config["REDIS_PREFIX"],
        "WECHAT_API_BASE_URL": app_config["WECHAT_API_BASE_URL"],
        "REQUEST_READ_TIMEOUT_S": str(read_timeout_s),
        "GRANIAN_BIND": f"127.0.0.1:{port}",
        "GRANIAN_WORKERS": "1",
        "GRANIAN_BLOCKING_THREADS": str(threads),
    }
    proc = subprocess.Popen(  # noqa: S603 - our own server module and a test target
        [sys.executable, "-m", "config.granian", target],
        env=env,
        stdout=None if os.environ.get("SHOW_SERVER_LOG") else subprocess.DEVNULL,
        stderr=None if os.environ.get("SHOW_SERVER_LOG") else subprocess.DEVNULL,
    )
    try:
        for _ in range(300):
            try:
                if get_healthz(port).startswith(b"HTTP/1.1 200"):
                    break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("granian did not come up")
        yield port
    finally:
        proc.terminate()
        proc.wait(20)
