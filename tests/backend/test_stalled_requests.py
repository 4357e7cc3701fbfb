"""Stalled clients against the served app (issue 25): a body announced and never sent, headers
never finished. More of them than the server has threads, and ``/healthz`` still answers; each
stalled client gets ``408 request_timeout`` (or, for headers, a closed connection) once
``REQUEST_READ_TIMEOUT_S`` has passed. The development server with its handler takes both;
granian as ``config/granian.py`` configures it (one worker, two blocking threads) takes stalled
headers (its body reads are bounded by the proxy in front: README, Production)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time

import pytest
from werkzeug.serving import make_server

from backend.devserver import request_handler

READ_TIMEOUT_S = 1
THREADS = 2
# Generous: the server frees its threads after READ_TIMEOUT_S; this only stops a hung test.
WAIT_S = 20
STALLED_BODIES = (
    b"POST /api/v1/auth/wx-login HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
    b'Content-Length: 1000\r\n\r\n{"co',
    # The heartbeat fast route reads its body outside Flask.
    b"POST /api/v1/sessions/1/heartbeats HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer x\r\n"
    b'Content-Type: application/json\r\nContent-Length: 300\r\n\r\n{"seq"',
    b"POST /admin/login HTTP/1.1\r\nHost: t\r\nContent-Type: application/x-www-form-urlencoded\r\n"
    b"Content-Length: 1000\r\n\r\nusername=",
)
STALLED_HEADERS = b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Slow: "


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get_healthz(port: int) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=WAIT_S) as conn:
        conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        return _read_all(conn)


def _read_all(conn: socket.socket) -> bytes:
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


def _stall(port: int, count: int) -> list[socket.socket]:
    """``count`` stalled bodies (cycling through the kinds) and one stalled header."""
    conns = []
    for n in range(count):
        conn = socket.create_connection(("127.0.0.1", port), timeout=WAIT_S)
        conn.sendall(STALLED_BODIES[n % len(STALLED_BODIES)])
        conns.append(conn)
    header = socket.create_connection(("127.0.0.1", port), timeout=WAIT_S)
    header.sendall(STALLED_HEADERS)
    return [*conns, header]


def _assert_served_despite_stalls(port: int) -> None:
    conns = _stall(port, 2 * THREADS + 1)
    try:
        time.sleep(0.3)  # the stalled requests reach the app's threads first
        health = _get_healthz(port)
        assert health.startswith(b"HTTP/1.1 200"), health
        for conn in conns[:-1]:
            answer = _read_all(conn)
            assert answer.startswith(b"HTTP/1.1 408"), answer
            assert b"request_timeout" in answer or "请求超时".encode() in answer
        # The stalled header: dropped, or answered with an error; never left waiting.
        answer = _read_all(conns[-1])
        assert answer == b"" or answer.startswith(b"HTTP/1.1 4"), answer
        # And the app still serves afterwards.
        assert _get_healthz(port).startswith(b"HTTP/1.1 200")
    finally:
        for conn in conns:
            conn.close()


@pytest.fixture
def granian_server(app_config):
    """``python -m config.granian`` with one worker of two threads, on the test services."""
    port = _free_port()
    env = {
        **os.environ,
        "SHIGANG_ENV": "test",
        "DATABASE_URL": app_config["DATABASE_URL"],
        "REDIS_URL": app_config["REDIS_URL"],
        "REDIS_PREFIX": app_config["REDIS_PREFIX"],
        "WECHAT_API_BASE_URL": app_config["WECHAT_API_BASE_URL"],
        "REQUEST_READ_TIMEOUT_S": str(READ_TIMEOUT_S),
        "GRANIAN_BIND": f"127.0.0.1:{port}",
        "GRANIAN_WORKERS": "1",
        "GRANIAN_BLOCKING_THREADS": str(THREADS),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "config.granian"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(300):
            try:
                if _get_healthz(port).startswith(b"HTTP/1.1 200"):
                    break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("granian did not come up")
        yield port
    finally:
        proc.terminate()
        proc.wait(20)


def test_granian_drops_stalled_headers_and_serves_healthz(granian_server):
    conns = []
    try:
        for _ in range(2 * THREADS + 1):
            conn = socket.create_connection(("127.0.0.1", granian_server), timeout=WAIT_S)
            conn.sendall(STALLED_HEADERS)
            conns.append(conn)
        assert _get_healthz(granian_server).startswith(b"HTTP/1.1 200")
        for conn in conns:  # closed after the bound (granian's default was 30 s)
            answer = _read_all(conn)
            assert answer == b"" or answer.startswith(b"HTTP/1.1 4"), answer
    finally:
        for conn in conns:
            conn.close()


def test_the_development_server_frees_stalled_clients(app_factory):
    app = app_factory(REQUEST_READ_TIMEOUT_S=READ_TIMEOUT_S)
    port = _free_port()
    server = make_server(
        "127.0.0.1", port, app, threaded=True, request_handler=request_handler(READ_TIMEOUT_S)
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        _assert_served_despite_stalls(port)
    finally:
        server.shutdown()
        thread.join(10)
