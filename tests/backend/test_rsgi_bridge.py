"""The app over granian's RSGI interface as production serves it (backend/rsgi_bridge.py): the
WSGI app gets the same requests as before, bodies read whole first (small, large, chunked),
cookies and forms, percent-encoded paths, large answers streamed, over-long bodies refused."""

from __future__ import annotations

import json
import re
import socket
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from backend import clock, loop_redis
from tests.learning_driver import Learner, enrolled
from tests.served import WAIT_S, exchange, granian, read_all
from tests.tcp_forwarder import Forwarder

STATIC = Path(__file__).resolve().parents[2] / "backend" / "static"


@pytest.fixture(params=[2, 0], ids=["threads", "inline"])
def served(app_config, request):
    """Two threads running the app (production), or none: the app on the event loop."""
    with granian(app_config, read_timeout_s=5, threads=request.param) as port:
        yield port


def _post(port: int, path: str, body: bytes, *headers: str) -> bytes:
    head = [f"POST {path} HTTP/1.1", "Host: t", "Connection: close", *headers]
    if not any(h.lower().startswith("transfer-encoding") for h in headers):
        head.append(f"Content-Length: {len(body)}")
    return exchange(port, ("\r\n".join(head) + "\r\n\r\n").encode() + body)


def _json(answer: bytes) -> dict:
    return json.loads(answer.partition(b"\r\n\r\n")[2])


def _checked_in_today(client, make) -> Learner:
    """A trainee checked in to a lesson of a project running today: the served app runs in
    another process, on the real clock."""
    today = clock.now().date()
    _, lesson, trainee = enrolled(
        make,
        attention_checks_enabled=False,
        start_date=today - timedelta(days=1),
        end_date=today + timedelta(days=1),
    )
    me = Learner(client, make, trainee)
    me.check_in(lesson)
    return me


def test_a_json_body_small_or_large_reaches_the_app(served):
    small = _post(served, "/api/v1/auth/wx-login", b"{}", "Content-Type: application/json")
    assert small.startswith(b"HTTP/1.1 422"), small
    # Over the one-read size: read chunk by chunk, the app sees all of it.
    large = json.dumps({"code": "x" * 300_000}).encode()
    answer = _post(served, "/api/v1/auth/wx-login", large, "Content-Type: application/json")
    assert answer.startswith(b"HTTP/1.1 422"), answer[:300]
    assert _json(answer)["error"]["code"] == "validation_error"


def test_a_chunked_body_reaches_the_app(served):
    body = json.dumps({"code": "x" * 300_000}).encode()
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (body[:1000], body[1000:]))
    answer = _post(
        served,
        "/api/v1/auth/wx-login",
        chunks + b"0\r\n\r\n",
        "Content-Type: application/json",
        "Transfer-Encoding: chunked",
    )
    assert answer.startswith(b"HTTP/1.1 422"), answer[:300]


def test_a_body_over_the_routes_limit_is_refused_unread(served):
    with socket.create_connection(("127.0.0.1", served), timeout=WAIT_S) as conn:
        conn.sendall(
            b"POST /api/v1/auth/wx-login HTTP/1.1\r\nHost: t\r\n"
            b"Content-Type: application/json\r\nContent-Length: 5000000\r\n\r\n"
        )
        answer = read_all(conn)
    assert answer.startswith(b"HTTP/1.1 413"), answer
    assert _json(answer)["error"]["code"] == "payload_too_large"
    # A media upload view takes more than MAX_CONTENT_LENGTH: the app answers it.
    body = b"x" * (3 * 1024 * 1024)
    answer = _post(
        served,
        "/api/admin/courses/1/lessons",
        body,
        "Content-Type: multipart/form-data; boundary=b",
    )
    assert re.match(rb"HTTP/1.1 (400|401|403)", answer), answer[:300]


def test_cookies_and_forms_reach_the_app(served):
    page = exchange(served, b"GET /admin/login HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
    assert page.startswith(b"HTTP/1.1 200")
    cookie = re.search(rb"Set-Cookie: ([^;]+)", page, re.I).group(1).decode()
    token = re.search(rb'name="csrf_token" value="([^"]+)"', page).group(1).decode()
    form = f"csrf_token={token}&username=nobody&password=wrong-password".encode()
    answer = _post(
        served,
        "/admin/login",
        form,
        "Content-Type: application/x-www-form-urlencoded",
        f"Cookie: {cookie}",
    )
    # Past the CSRF check (the cookie and the form arrived): the sign-in itself is refused.
    assert "用户名或密码不正确".encode() in answer, answer[:500]


def test_large_answers_stream_whole_and_paths_decode(served):
    path = "/static/vendor/echarts/echarts.common.min.js"
    answer = exchange(
        served, f"GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".encode()
    )
    assert answer.startswith(b"HTTP/1.1 200"), answer[:300]
    # Many pieces of the bridge's stream (64 KiB each), all of them, in order.
    assert (
        answer.partition(b"\r\n\r\n")[2]
        == (STATIC / "vendor/echarts/echarts.common.min.js").read_bytes()
    )
    missing = exchange(
        served,
        b"GET /certificates/%E8%AF%81%E4%B9%A6 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    )
    assert missing.startswith(b"HTTP/1.1 404"), missing[:300]


def test_live_beats_run_on_the_loop_and_everything_else_on_the_apps_threads(app_config):
    with granian(
        app_config, read_timeout_s=5, threads=2, target="tests.backend.bridge_thread_app:app"
    ) as port:
        beat = _post(port, "/api/v1/sessions/17/heartbeats", b"{}", "Content-Type: text/plain")
        batch = _post(port, "/api/v1/sessions/17/heartbeats/batch", b"{}")
        page = exchange(port, b"GET /api/v1/sessions/17/heartbeats HTTP/1.1\r\nHost: t\r\n\r\n")
    ran_by = [answer.partition(b"\r\n\r\n")[2].decode() for answer in (beat, batch, page)]
    assert not ran_by[0].startswith("wsgi-"), ran_by
    assert ran_by[1].startswith("wsgi-") and ran_by[2].startswith("wsgi-"), ran_by


def test_a_live_beat_is_answered_from_the_scope_and_a_refused_one_by_flask(
    app_config, client, make
):
    me = _checked_in_today(client, make)
    path = f"/api/v1/sessions/{me.session_id}/heartbeats"
    auth = me.headers["Authorization"]
    body = json.dumps({"seq": 1, "client_ts": me.client_ts(), "position_s": 5, "playing": True})
    with granian(app_config, read_timeout_s=5, threads=2) as port:
        rid = "a" * 32
        beat = _post(
            port, path, body.encode(), "Content-Type: application/json",
            f"Authorization: {auth}", f"X-Request-ID: {rid}",
        )  # fmt: skip
        again = _post(port, path, body.encode(), "Content-Type: application/json",
                      f"Authorization: {auth}")  # fmt: skip
        stranger = _post(port, path, body.encode(), "Content-Type: application/json",
                         "Authorization: Bearer 3.not-a-token")  # fmt: skip
        bad = _post(port, path, b'{"seq": "one"}', "Content-Type: application/json",
                    f"Authorization: {auth}")  # fmt: skip
    assert beat.startswith(b"HTTP/1.1 200"), beat
    head = beat.partition(b"\r\n\r\n")[0].lower()
    assert f"x-request-id: {rid}".encode() in head
    assert b"content-type: application/json" in head and b"x-content-type-options" in head
    answered = _json(beat)
    # Time since the check-in (the server's clock, whole seconds), once: the replay adds none.
    assert answered["acked_seq"] == 1 and answered["credited_s"] >= 1, answered
    assert again.startswith(b"HTTP/1.1 200") and _json(again) == answered
    # Refused: the Flask route answers, as for any request.
    assert stranger.startswith(b"HTTP/1.1 401"), stranger
    assert _json(stranger)["error"]["code"] == "invalid_token"
    assert bad.startswith(b"HTTP/1.1 422"), bad
    assert "error" in _json(bad)


def test_a_beat_on_the_loop_reloads_the_library_and_answers_503_while_redis_is_cut(
    app_config, client, make, redis_client
):
    me = _checked_in_today(client, make)
    path = f"/api/v1/sessions/{me.session_id}/heartbeats"
    url = urlsplit(app_config["REDIS_URL"])
    network = Forwarder((url.hostname, url.port or 6379))
    served_config = {**app_config, "REDIS_URL": f"redis://127.0.0.1:{network.port}{url.path}"}

    def beat(seq: int) -> bytes:
        body = {"seq": seq, "client_ts": me.client_ts(), "position_s": seq, "playing": True}
        return _post(port, path, json.dumps(body).encode(), "Content-Type: application/json",
                     f"Authorization: {me.headers['Authorization']}")  # fmt: skip

    try:
        with granian(served_config, read_timeout_s=5, threads=2) as port:
            assert beat(1).startswith(b"HTTP/1.1 200")
            # Sent from the worker's event loop, on its own connection (backend/loop_redis.py).
            names = {c["name"]: c["cmd"] for c in redis_client.client_list()}
            assert names.get(loop_redis.CLIENT_NAME) == "fcall", names
            # A restarted Redis without persistence has no library: loaded again, then applied.
            redis_client.function_flush()
            reloaded = beat(2)
            assert reloaded.startswith(b"HTTP/1.1 200"), reloaded
            assert _json(reloaded)["acked_seq"] == 2
            network.cut()
            cut = beat(3)
            assert cut.startswith(b"HTTP/1.1 503"), cut
            assert b"retry-after: " in cut.partition(b"\r\n\r\n")[0].lower()
            assert _json(cut)["error"]["code"] == "service_unavailable"
            network.restore()
            again = beat(3)
            assert again.startswith(b"HTTP/1.1 200"), again
            assert _json(again)["acked_seq"] == 3
    finally:
        network.close()
