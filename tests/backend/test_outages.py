"""Redis down or hung and PostgreSQL down: 503 service_unavailable with Retry-After, never a 500.

Each test runs its own redis-server on a private socket (never the shared one), or points the
app at a PostgreSQL port where nothing listens."""

from __future__ import annotations

import re
import shutil
import signal
import socket
import subprocess
import time
from datetime import UTC, datetime

import pytest
import redis

from backend.clock import clock
from backend.services.accounts import tokens
from tests.learning_driver import enrolled

pytestmark = [
    pytest.mark.skipif(not shutil.which("redis-server"), reason="needs redis-server"),
    pytest.mark.both_redis,  # on one Redis and on a Redis Cluster
]


class _Nodes:
    """The processes of a private Redis Cluster, failed together as one."""

    def __init__(self, processes) -> None:
        self.processes = processes

    def terminate(self) -> None:
        for process in self.processes:
            process.terminate()

    def wait(self, timeout) -> None:
        for process in self.processes:
            process.wait(timeout)

    def poll(self):
        return None if any(p.poll() is None for p in self.processes) else 0

    def send_signal(self, sig) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(sig)


@pytest.fixture
def private_redis(tmp_path, redis_kind):
    """A redis-server of our own on a Unix socket (or a Redis Cluster of our own on free
    ports); yields (url, process)."""
    if redis_kind == "cluster":
        from bench.redis_cluster import PrivateRedisCluster

        cluster = PrivateRedisCluster(tmp_path)
        nodes = _Nodes(cluster.processes)
        yield cluster.url, nodes
        nodes.send_signal(signal.SIGCONT)
        cluster.stop()
        return
    sock = tmp_path / "redis.sock"
    proc = subprocess.Popen(  # noqa: S603 - our own fixed command line
        [
            shutil.which("redis-server"),
            "--port",
            "0",
            "--unixsocket",
            str(sock),
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"unix://{sock}"
    for _ in range(200):
        try:
            redis.Redis.from_url(url).ping()
            break
        except (redis.ConnectionError, FileNotFoundError):
            time.sleep(0.02)
    yield url, proc
    if proc.poll() is None:
        proc.send_signal(signal.SIGCONT)
        proc.terminate()
        proc.wait(10)


@pytest.fixture
def outage_app(app_factory, private_redis, make):
    """The app under test on the private Redis; the test database as usual."""
    url, proc = private_redis
    built = app_factory(REDIS_URL=url, REDIS_SOCKET_TIMEOUT_S=0.5)
    return built, proc


def _assert_503(response):
    assert response.status_code == 503, response.get_data(as_text=True)
    assert response.headers["Retry-After"].isdigit()
    assert response.get_json()["error"]["code"] == "service_unavailable"


def _learner_on(app, make):
    """A trainee checked in to a lesson through ``app`` (whose Redis is the private one)."""
    clock.freeze(datetime(2026, 3, 2, 1, 0, tzinfo=UTC))
    _, lesson, trainee = enrolled(make, attention_checks_enabled=False)
    make.session.commit()
    lesson_id, trainee_id = lesson.id, trainee.id
    client = app.test_client()
    with app.app_context():
        token = tokens.issue_token(trainee_id)[0]
        headers = {"Authorization": f"Bearer {token}"}
        checked_in = client.post(
            f"/api/v1/lessons/{lesson_id}/sessions",
            json={"client_ts": int(clock.now().timestamp() * 1000), "device": "iPhone"},
            headers=headers,
        )
    assert checked_in.status_code == 201, checked_in.get_json()
    return client, headers, checked_in.get_json()["session_id"]


def _beat(client, headers, session_id):
    body = {"seq": 1, "client_ts": int(clock.now().timestamp() * 1000), "position_s": 1}
    return client.post(
        f"/api/v1/sessions/{session_id}/heartbeats", json={**body, "playing": True}, headers=headers
    )


@pytest.mark.parametrize("fault", ["down", "hung"])
def test_beats_checkout_and_checkin_answer_503_when_redis_fails(outage_app, make, fault):
    app, proc = outage_app
    client, headers, session_id = _learner_on(app, make)
    if fault == "down":
        proc.terminate()
        proc.wait(10)
    else:
        proc.send_signal(signal.SIGSTOP)
    with app.app_context():
        _assert_503(_beat(client, headers, session_id))
        ended = client.post(
            f"/api/v1/sessions/{session_id}/end", json={"position_s": 3}, headers=headers
        )
        _assert_503(ended)


def _csrf(client) -> str:
    page = client.get("/admin/login").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_the_admin_page_is_readable_when_redis_is_down(outage_app, make):
    app, proc = outage_app
    client = app.test_client()
    with app.app_context():
        token = _csrf(client)
    proc.terminate()
    proc.wait(10)
    with app.app_context():
        form = {"username": "x", "password": "y", "csrf_token": token}
        response = client.post("/admin/login", data=form)
    assert response.status_code == 503
    assert "服务暂不可用" in response.get_data(as_text=True)
    assert response.headers["Retry-After"].isdigit()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_postgresql_down_is_503_on_the_api_and_a_readable_admin_page(app_factory, redis_kind):
    dead = f"postgresql://postgres@127.0.0.1:{_closed_port()}/nothing"
    app = app_factory(DATABASE_URL=dead)
    client = app.test_client()
    with app.app_context():
        # A code of its own per Redis kind (the simulator refuses a code used twice).
        code = f"zhangwei.outage-{redis_kind}"
        _assert_503(client.post("/api/v1/auth/wx-login", json={"code": code}))
        beat = client.post(
            "/api/v1/sessions/1/heartbeats",
            json={"seq": 1, "client_ts": 1, "position_s": 0, "playing": True},
            headers={"Authorization": "Bearer nope"},
        )
        assert beat.status_code in (401, 503)
        page = client.get("/admin/projects")
    assert page.status_code in (302, 503)
    with app.app_context():
        form = {"username": "x", "password": "y", "csrf_token": _csrf(client)}
        page = client.post("/admin/login", data=form)
    assert page.status_code == 503
    assert "服务暂不可用" in page.get_data(as_text=True)


ADMIN_PAGES = ("/admin/", "/admin/projects", "/admin/enterprises", "/admin/admins", "/admin/audit")


def _signed_in(app, make) -> object:
    """A test client of ``app`` with an operator signed in."""
    from backend.models import Role
    from tests import factories

    admin = make.admin(Role.OPERATOR)
    make.session.commit()
    client = app.test_client()
    with app.app_context():
        form = {"username": admin.username, "password": factories.ADMIN_PASSWORD}
        response = client.post("/admin/login", data={**form, "csrf_token": _csrf(client)})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def _assert_outage_page(response, records) -> None:
    assert response.status_code == 503, response.get_data(as_text=True)[:500]
    assert response.headers["Retry-After"].isdigit()
    assert "服务暂不可用" in response.get_data(as_text=True)
    assert response.mimetype == "text/html"
    # The access log has the 503 (the 500s it answered before were missing from it).
    access = [r for r in records if r.name == "shigang.access"]
    assert [r.status for r in access] == [503]


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_a_signed_in_admin_gets_the_outage_page_when_redis_is_down(outage_app, make, path, caplog):
    app, proc = outage_app
    client = _signed_in(app, make)
    proc.terminate()
    proc.wait(10)
    caplog.clear()
    with app.app_context():
        response = client.get(path)
    _assert_outage_page(response, caplog.records)


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_a_signed_in_admin_gets_the_outage_page_when_postgresql_is_down(
    app, app_factory, make, path, caplog
):
    client = _signed_in(app, make)
    # The same settings and Redis (the admin's session is open there), the database gone.
    dead = app_factory(DATABASE_URL=f"postgresql://postgres@127.0.0.1:{_closed_port()}/nothing")
    cookie = client.get_cookie("session")
    dead_client = dead.test_client()
    dead_client.set_cookie(cookie.key, cookie.value)
    caplog.clear()
    with dead.app_context():
        response = dead_client.get(path)
    _assert_outage_page(response, caplog.records)


def _stats(url: str) -> tuple[int, dict]:
    """(connections the server has accepted, calls of each command) so far."""
    client = redis.Redis.from_url(url)
    stats = client.info("commandstats")
    calls = {name: v["calls"] for name, v in stats.items()}
    return client.info("stats")["total_connections_received"], calls


@pytest.mark.one_redis  # counts one server's connections and commands
def test_a_hung_redis_is_asked_once_before_the_beats_503(outage_app, private_redis, make):
    """redis-py retried a timed-out command three times with backoff (2 to 9.5 s before the
    503 at a 2 s timeout), and the fast route handed a failed beat to the Flask route, which
    waited again. Now one command, one wait of REDIS_SOCKET_TIMEOUT_S, then the 503."""
    app, proc = outage_app
    url, _ = private_redis
    client, headers, session_id = _learner_on(app, make)
    _beat(client, headers, session_id)  # the thread's held connection is open
    before = _stats(url)
    proc.send_signal(signal.SIGSTOP)
    with app.app_context():
        _assert_503(_beat(client, headers, session_id))
    proc.send_signal(signal.SIGCONT)
    time.sleep(0.2)  # the stopped server runs what it was sent meanwhile
    connections, commands = _stats(url)
    # One script call, no retry (each reconnects) and no second try by the Flask route; the
    # one new connection is the one reading these stats.
    fcall = commands["cmdstat_fcall"] - before[1]["cmdstat_fcall"]
    assert (connections - before[0], fcall) == (1, 1)
