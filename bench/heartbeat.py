"""Heartbeat load benchmark: the real app under gunicorn with production settings on PostgreSQL
and Redis, against a minimal Flask endpoint (signed token + one Redis pipeline write) served the
same way. Prints requests/s, p50/p99 latency, their ratio and SQL statements per beat.

    python -m bench.heartbeat [--sessions 1000] [--connections 32] [--requests 10000] [--rounds 3]

Everything it creates (a PostgreSQL database, Redis keys under its own prefix, two gunicorn
process groups on 127.0.0.1) is removed at the end.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench import loadgen
from bench.minimal_app import sign

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
TARGET_RATIO = 0.9
TARGET_RPS = 3300
TARGET_P99_MS = 50


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _environment(args, database_url: str, prefix: str) -> dict[str, str]:
    from backend.crypto import generate_master_key

    return {
        **os.environ,
        "SHIGANG_ENV": "production",
        "DATABASE_URL": database_url,
        "REDIS_URL": args.redis_url,
        "REDIS_PREFIX": prefix,
        "SECRET_KEY": secrets.token_urlsafe(32),
        "FIELD_ENCRYPTION_KEY": generate_master_key(),
        "WECHAT_APP_ID": "wxbench000000000",
        "WECHAT_APP_SECRET": secrets.token_hex(16),
        # Production refuses a local simulator; nothing calls WeChat during beats anyway.
        "WECHAT_API_BASE_URL": "https://api.weixin.qq.com/",
        "BENCH_COUNT_SQL": "1",
    }


def _seed(app, sessions: int) -> tuple[int, list[tuple[int, str]]]:
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
    from backend.services import tokens

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


def _start(module: str, port: int, env: dict, log: Path, server: str) -> subprocess.Popen:
    bind = f"127.0.0.1:{port}"
    process = subprocess.Popen(
        SERVERS[server](module),
        cwd=ROOT,
        env={**env, "GUNICORN_BIND": bind, "GRANIAN_BIND": bind},
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
    _stop(process)
    raise SystemExit(f"{module} did not start; see {log}")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _check_in(port: int, lesson_id: int, token: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    body = json.dumps({"client_ts": int(time.time() * 1000), "device": "bench"})
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    conn.request("POST", f"/api/v1/lessons/{lesson_id}/sessions", body, headers)
    response = conn.getresponse()
    payload = json.loads(response.read())
    if response.status != 201:
        raise SystemExit(f"check-in failed: {response.status} {payload}")
    return payload["session_id"]


def _cpu_seconds(group: int) -> float:
    """CPU time used so far by the processes of a process group (Linux /proc)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == group:
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def _measure(target, args, rounds_done: int, server: subprocess.Popen):
    """One measured round; seq numbers continue after the rounds (and warm-up) before it."""
    per_session = loadgen.beats_per_session(args.requests, args.connections, len(target.sessions))
    cpu = _cpu_seconds(server.pid)
    result = loadgen.run(
        target,
        requests=args.requests,
        connections=args.connections,
        seq_base=rounds_done * per_session + 1,
        time_limit=args.time_limit,
    )
    result.server_cpu_s = _cpu_seconds(server.pid) - cpu
    return result


def _line(label: str, results: list) -> str:
    merged = loadgen.LoadResult()
    for result in results:
        merged.latencies += result.latencies
        merged.statuses.update(result.statuses)
    rps = sorted(r.rps for r in results)[len(results) // 2]
    cpu_us = sum(r.server_cpu_s for r in results) / max(merged.requests, 1) * 1e6
    return (
        f"{label:<34} {rps:>7.0f} req/s (median of {len(results)} rounds: "
        f"{', '.join(f'{r.rps:.0f}' for r in results)})   p50 {merged.percentile(50):5.1f} ms   "
        f"p99 {merged.percentile(99):5.1f} ms   server CPU {cpu_us:.0f} us/request   "
        f"statuses {dict(merged.statuses)}"
    )


def main() -> int:
    """Run both servers, measure both, print the comparison; exit 2 below the target."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--requests", type=int, default=10000, help="per measured round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=3200)
    parser.add_argument("--time-limit", type=float, default=120.0)
    parser.add_argument("--server", choices=sorted(SERVERS), default="granian")
    parser.add_argument("--no-keep-alive", action="store_true", help="a connection per request")
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
    )
    parser.add_argument(
        "--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
    )
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)

    admin_url = make_url(args.database_url).set(drivername="postgresql+psycopg")
    name = f"shigang_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    prefix = f"bench-{uuid.uuid4().hex[:8]}:"
    env = _environment(args, admin_url.set(database=name).render_as_string(False), prefix)
    os.environ.update(env)
    from backend import create_app
    from backend.extensions import db

    app = create_app()
    redis_client = app.extensions["redis"]
    servers: list[subprocess.Popen] = []
    try:
        lesson_id, issued = _seed(app, args.sessions)
        print(
            f"heartbeat benchmark: {args.sessions} open sessions, {args.connections} connections, "
            f"{args.rounds} x {args.requests} measured requests each, {args.server} "
            f"({'config/granian.py' if args.server == 'granian' else 'config/gunicorn.conf.py'}), "
            f"keep-alive {'off' if args.no_keep_alive else 'on'} "
            f"({os.cpu_count()} CPUs), PostgreSQL + Redis",
            flush=True,
        )
        port = _free_port()
        servers.append(_start("bench.app_wsgi:app", port, env, RESULTS / "app.log", args.server))
        with ThreadPoolExecutor(8) as pool:
            ids = list(pool.map(lambda t: _check_in(port, lesson_id, t[1]), issued))
        ours = loadgen.Target(
            port,
            "/api/v1/sessions/{session_id}/heartbeats",
            [(sid, token) for sid, (_, token) in zip(ids, issued, strict=True)],
            keep_alive=not args.no_keep_alive,
        )
        minimal_port = _free_port()
        servers.append(
            _start(
                "bench.minimal_wsgi:app", minimal_port, env, RESULTS / "minimal.log", args.server
            )
        )
        minimal = loadgen.Target(
            minimal_port,
            "/beat/{session_id}",
            [(sid, sign(str(sid))) for sid in ids],
            keep_alive=not args.no_keep_alive,
        )
        # Warm both up, then alternate measured rounds so that a noisy neighbour on the
        # machine hits both alike; only one server is under load at a time.
        loadgen.run(ours, requests=args.warmup, connections=args.connections, time_limit=30)
        loadgen.run(minimal, requests=args.warmup, connections=args.connections, time_limit=30)
        counter = prefix + "bench:sql-statements"
        redis_client.delete(counter)
        mine_rounds, base_rounds = [], []
        for done in range(args.rounds):
            mine_rounds.append(_measure(ours, args, done + 1, servers[0]))
            base_rounds.append(_measure(minimal, args, done + 1, servers[1]))
        statements = int(redis_client.get(counter) or 0)
        beats = sum(r.requests for r in mine_rounds)
        print(_line("POST /sessions/{id}/heartbeats", mine_rounds))
        print(_line("minimal (token + Redis pipeline)", base_rounds))
        mine = sorted(mine_rounds, key=lambda r: r.rps)[args.rounds // 2]
        base = sorted(base_rounds, key=lambda r: r.rps)[args.rounds // 2]
        ratio = mine.rps / base.rps
        p99 = mine.percentile(99)
        print(f"beats/s: {mine.rps:.0f} (target >= {TARGET_RPS})")
        print(f"p99: {p99:.1f} ms (target < {TARGET_P99_MS})")
        print(f"throughput ratio (ours / minimal): {ratio:.2f} (target >= {TARGET_RATIO})")
        print(
            f"SQL statements per beat on the request path: {statements / beats:.4f} "
            f"({statements} in {beats} beats; target 0)"
        )
        ok_statuses = all(set(r.statuses) == {200} for r in mine_rounds + base_rounds)
        if not ok_statuses:
            print("some requests failed: see bench/results/*.log")
            return 1
        met = (
            ratio >= TARGET_RATIO
            and mine.rps >= TARGET_RPS
            and p99 < TARGET_P99_MS
            and statements == 0
        )
        return 0 if met else 2
    finally:
        for server in servers:
            _stop(server)
        keys = list(redis_client.scan_iter(match=prefix + "*", count=1000))
        if keys:
            redis_client.delete(*keys)
        with app.app_context():
            db.engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    sys.exit(main())
