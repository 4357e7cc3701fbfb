"""Setting up the heartbeat benchmark: its database, seeded trainees, the servers under test."""

from __future__ import annotations

import http.client
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent


def add_service_arguments(parser) -> None:
    """The PostgreSQL server and Redis the benchmark uses (``BENCH_*`` variables by default)."""
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
    )
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("BENCH_REDIS_URL"),
        help="a Redis to use as it is (default: a private redis-server run as production runs it)",
    )


# Redis as the README's production section runs it: the append-only file fsynced every second,
# and a hash of more than 16 fields kept as a hash table. A live session's hash has about 45
# fields: as a listpack (the default up to 128) every HMGET and HSET of a beat scans it field
# by field, as a hash table it looks them up (bench.live_script: 61.3 -> 50.6 us of Redis a beat).
PRODUCTION_REDIS = (
    "--appendonly", "yes",
    "--appendfsync", "everysec",
    "--hash-max-listpack-entries", "16",
    "--save", "",
)  # fmt: skip


def local_redis(url: str | None) -> str:
    """``url``, or the machine's own Redis (the in-process benchmarks time our code, not it)."""
    return url or "redis://127.0.0.1:6379/0"


@contextmanager
def redis_for(url: str | None) -> Iterator[str]:
    """``url`` when given, else a private redis-server with PRODUCTION_REDIS for the run."""
    if url:
        yield url
        return
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="shigang-bench-redis-") as workdir:
        process = subprocess.Popen(
            ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", workdir,
             *PRODUCTION_REDIS],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            for _ in range(100):
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
                        conn.sendall(b"PING\r\n")
                        if conn.recv(16).startswith(b"+PONG"):
                            break
                except OSError:
                    time.sleep(0.05)
            else:
                raise SystemExit("the private redis-server did not start")
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            process.terminate()
            process.wait(10)


# Pairs of one trainee's spans that overlap (the drain must write none): the benchmarks that
# drain check their credit with it.
OVERLAPS_SQL = (
    "SELECT count(*) FROM credited_span a JOIN credited_span b ON"
    " a.trainee_id = b.trainee_id AND a.id < b.id AND"
    " tstzrange(a.start_at, a.end_at) && tstzrange(b.start_at, b.end_at)"
)


def create_database(database_url: str, kind: str):
    """A new PostgreSQL database named for this run (``shigang_bench_<kind>_…``): the admin
    engine (to drop it afterwards), its name and its URL."""
    admin_url = make_url(database_url).set(drivername="postgresql+psycopg")
    name = f"shigang_bench_{kind}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    return admin, name, admin_url.set(database=name).render_as_string(False)


def delete_prefix(client, prefix: str) -> None:
    """Remove every Redis key a benchmark wrote under its ``prefix``."""
    keys = list(client.scan_iter(match=prefix + "*", count=1000))
    if keys:
        client.delete(*keys)


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def environment(redis_url: str, database_url: str, prefix: str) -> dict[str, str]:
    """The production settings the servers and the drainer run with."""
    from backend.crypto import generate_master_key

    return {
        **os.environ,
        "SHIGANG_ENV": "production",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "REDIS_PREFIX": prefix,
        "SECRET_KEY": secrets.token_urlsafe(32),
        "FIELD_ENCRYPTION_KEY": generate_master_key(),
        "WECHAT_APP_ID": "wxbench000000000",
        "WECHAT_APP_SECRET": secrets.token_hex(16),
        # Production refuses a local simulator; nothing calls WeChat during beats anyway.
        "WECHAT_API_BASE_URL": "https://api.weixin.qq.com/",
        "BENCH_COUNT_SQL": "1",
    }


def seed(app, sessions: int, check_interval_s: int) -> tuple[int, list[tuple[int, str]]]:
    """A running project with one long lesson and ``sessions`` enrolled trainees with tokens."""
    from backend import pii
    from backend.clock import today
    from backend.demo import demo_id_number
    from backend.extensions import db
    from backend.models import (
        Course,
        Enrolment,
        Enterprise,
        Lesson,
        Project,
        ProjectCourse,
        Trainee,
    )
    from backend.services.accounts import tokens

    with app.app_context():
        db.create_all()
        enterprise = Enterprise(name="压测企业", credit_code="914403001922038216")
        project = Project(
            enterprise=enterprise,
            name="心跳压测项目",
            training_type="on_job",
            start_date=today() - timedelta(days=1),
            end_date=today() + timedelta(days=30),
            planned_class_hours=8,
            status="approved",  # only filed or approved training is credited
            # Scaled so that checks come at the production rate per beat (see heartbeat.py).
            attention_check_interval_s=check_interval_s,
        )
        course = Course(enterprise=enterprise, name="压测课程")
        project.course_links.append(ProjectCourse(course=course))
        lesson = Lesson(course=course, title="压测课节", duration_s=8 * 3600)
        db.session.add_all([enterprise, project, course, lesson])
        people = []
        for n in range(sessions):
            trainee = Trainee(
                enterprise=enterprise, name=f"学员{n}", gender="male", account=f"bench{n}"
            )
            pii.set_id_number(
                trainee, demo_id_number("19900101", f"{n % 1000:03d}", f"{440100 + n // 1000}")
            )
            pii.set_mobile(trainee, f"139{n:08d}")
            db.session.add_all([trainee, Enrolment(project=project, trainee=trainee)])
            people.append(trainee)
        db.session.commit()
        lesson_id = lesson.id
        issued = [(t.id, tokens.issue_token(t.id)[0]) for t in people]
        db.session.remove()
    return lesson_id, issued


SERVERS = {
    "granian": lambda module: [sys.executable, "-m", "config.granian", module],
    "gunicorn": lambda module: [
        sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.conf.py", module
    ],
}  # fmt: skip


def start(module: str, port: int, env: dict, log: Path, server: str) -> subprocess.Popen:
    """Serve a WSGI module under ``server`` on ``port`` and wait until it answers."""
    bind = f"127.0.0.1:{port}"
    # "granian+NAME=VALUE+...": the server with those settings (GRANIAN_WORKERS=4, say).
    server, *settings = server.split("+")
    extra = dict(setting.split("=", 1) for setting in settings)
    process = subprocess.Popen(
        SERVERS[server](module),
        cwd=ROOT,
        env={**env, **extra, "GUNICORN_BIND": bind, "GRANIAN_BIND": bind},
        # The JSON access log is formatted and written as in production, to /dev/null: a log
        # shipper is not part of the comparison (BENCH_KEEP_LOGS=1 keeps it in bench/results).
        stdout=log.open("wb") if os.environ.get("BENCH_KEEP_LOGS") else subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, stopped as one below
    )
    for _ in range(300):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return process
        except OSError:
            time.sleep(0.1)
        if process.poll() is not None:
            break
    stop(process)
    raise SystemExit(f"{module} did not start; see {log}")


def stop(process: subprocess.Popen) -> None:
    """Stop a process group started here."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def check_in(port: int, lesson_id: int, token: str) -> int:
    """Check a trainee in to the lesson over HTTP; the new session's id."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    body = json.dumps({"client_ts": int(time.time() * 1000), "device": "bench"})
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    conn.request("POST", f"/api/v1/lessons/{lesson_id}/sessions", body, headers)
    response = conn.getresponse()
    payload = json.loads(response.read())
    if response.status != 201:
        raise SystemExit(f"check-in failed: {response.status} {payload}")
    return payload["session_id"]


def _process_stats():
    """(command name, stat fields after it) of every process here (Linux /proc)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            head, tail = stat.read_text().rsplit(")", 1)
        except OSError:
            continue  # ended while the folder was read
        yield head.split("(", 1)[1], tail.split()


def _cpu_s(fields: list[str]) -> float:
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def cpu_seconds(group: int) -> float:
    """CPU time used so far by the processes of a process group."""
    return sum(_cpu_s(fields) for _, fields in _process_stats() if int(fields[2]) == group)


def command_cpu_seconds(name: str) -> float:
    """CPU time used so far by every process whose command name is ``name``."""
    return sum(_cpu_s(fields) for command, fields in _process_stats() if command == name)


def start_drainer(env: dict, log: Path) -> subprocess.Popen:
    """Run ``flask drain-credit`` as production does, its batch log (DEBUG) kept in ``log``."""
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "bench.app_wsgi:app", "drain-credit"],
        cwd=ROOT,
        env={**env, "LOG_LEVEL": "DEBUG", "BENCH_SQL_COUNTER": "drainer"},
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def idle_seconds() -> float:
    """Idle CPU time of the machine so far, over all CPUs (Linux /proc/stat)."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()
    return (int(fields[4]) + int(fields[5])) / os.sysconf("SC_CLK_TCK")  # idle + iowait


def redis_server_pid(client) -> int | None:
    """The Redis server's process id when it runs on this machine (for its CPU time)."""
    pid = int(client.info("server").get("process_id", 0))
    return pid if pid and Path(f"/proc/{pid}").exists() else None


def process_cpu_seconds(pid: int | None) -> float:
    """CPU time used so far by one process (0 when it is not here)."""
    if pid is None:
        return 0.0
    return _cpu_s(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split())
