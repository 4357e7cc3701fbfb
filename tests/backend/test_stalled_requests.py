"""Stalled clients against the served app (issue 25): a body announced and never sent, headers
never finished. More of them than the server has threads, and ``/healthz`` still answers; each
stalled client gets ``408 request_timeout`` (or, for headers, a closed connection) once
``REQUEST_READ_TIMEOUT_S`` has passed. Both the development server with its handler and granian
as ``config/granian.py`` launches it (one worker, two threads running the app, the bodies read
by backend/rsgi_bridge.py) take both, with no proxy in front."""

from __future__ import annotations

import select
import socket
import threading
import time

import pytest
from werkzeug.serving import make_server

from backend.devserver import request_handler
from tests.served import WAIT_S, free_port, get_healthz, granian, read_all

READ_TIMEOUT_S = 2
THREADS = 2
STALLED_BODIES = (
    b"POST /api/v1/auth/wx-login HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
    b'Content-Length: 1000\r\n\r\n{"co',
    # The heartbeat fast route reads its body outside Flask.
    b"POST /api/v1/sessions/1/heartbeats HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer x\r\n"
    b'Content-Type: application/json\r\nContent-Length: 300\r\n\r\n{"seq"',
    b"POST /admin/login HTTP/1.1\r\nHost: t\r\nContent-Type: application/x-www-form-urlencoded\r\n"
    b"Content-Length: 1000\r\n\r\nusername=",
    # Large enough to be read chunk by chunk (backend/rsgi_bridge.py), each read bounded.
    b"POST /api/v1/auth/wx-login HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
    b'Content-Length: 500000\r\n\r\n{"code": "',
)
STALLED_HEADERS = b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Slow: "


@pytest.fixture
def granian_server(app_config):
    with granian(app_config, read_timeout_s=READ_TIMEOUT_S, threads=THREADS) as port:
        yield port


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
        health = get_healthz(port)
        assert health.startswith(b"HTTP/1.1 200"), health
        # Served while every stalled client still waits for its bound: no thread was theirs.
        readable, _, _ = select.select(conns, [], [], 0)
        assert readable == []
        for conn in conns[:-1]:
            answer = read_all(conn)
            assert answer.startswith(b"HTTP/1.1 408"), answer
            assert b"request_timeout" in answer or "请求超时".encode() in answer
        # The stalled header: dropped, or answered with an error; never left waiting.
        answer = read_all(conns[-1])
        assert answer == b"" or answer.startswith(b"HTTP/1.1 4"), answer
        # And the app still serves afterwards.
        assert get_healthz(port).startswith(b"HTTP/1.1 200")
    finally:
        for conn in conns:
            conn.close()


def test_granian_frees_stalled_clients(granian_server):
    _assert_served_despite_stalls(granian_server)


def test_granian_running_the_app_on_its_loop_frees_stalled_clients(app_config):
    # GRANIAN_BLOCKING_THREADS=0 (backend/rsgi_bridge.py): no thread to hold at all.
    with granian(app_config, read_timeout_s=READ_TIMEOUT_S, threads=0) as port:
        _assert_served_despite_stalls(port)


def test_granian_drops_stalled_headers_and_serves_healthz(granian_server):
    conns = []
    try:
        for _ in range(2 * THREADS + 1):
            conn = socket.create_connection(("127.0.0.1", granian_server), timeout=WAIT_S)
            conn.sendall(STALLED_HEADERS)
            conns.append(conn)
        assert get_healthz(granian_server).startswith(b"HTTP/1.1 200")
        for conn in conns:  # closed after the bound (granian's default was 30 s)
            answer = read_all(conn)
            assert answer == b"" or answer.startswith(b"HTTP/1.1 4"), answer
    finally:
        for conn in conns:
            conn.close()


def test_the_development_server_frees_stalled_clients(app_factory):
    app = app_factory(REQUEST_READ_TIMEOUT_S=READ_TIMEOUT_S)
    port = free_port()
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
