"""Heartbeat load benchmark at the production mix: the real app with production settings on
PostgreSQL and Redis, with a credit drainer running, against the floor (``bench/floor_wsgi.py``:
a bare WSGI callable that checks a signed token, parses the beat with pydantic and does one
pipelined HSET + XADD) and, as a second reference, a minimal Flask endpoint, under the same
server, in alternating rounds.

    python -m bench.heartbeat [--sessions 5000] [--seconds 5] [--rounds 3] [--servers granian]

The load generator is wrk (keep-alive, one connection per thread, ``bench/wrk_beats.lua``); it
answers the attention checks the app asks, as a trainee would. Everything the run creates (a
PostgreSQL database with a unique name, Redis keys under its own prefix, the server and drainer
process groups on 127.0.0.1) is removed at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench import heartbeat_setup as setup
from bench.minimal_app import sign

ROOT = setup.ROOT
RESULTS = ROOT / "bench" / "results"
SCRIPT = ROOT / "bench" / "wrk_beats.lua"
TARGET_RATIO = 0.8  # of the floor's beats/s
TARGET_CPU_US = 300  # the whole machine's CPU per beat: server, Redis, drainer, PostgreSQL
TARGET_REDIS_US = 50
TARGET_RPS = 3300
CHECKS_SCALED_TO_RPS = 2 * TARGET_RPS
TARGET_P99_MS = 50
TARGET_LAG_MS = 2000
# Production: a beat every 30 s and an attention check every 1200 s (config/policies), so one
# beat in 40 brings a check and one in 40 answers it.
PRODUCTION_BEAT_S = 30
PRODUCTION_CHECK_S = 1200
_BATCH_LINE = re.compile(rb"credit drain batch: (\d+) entries, lag (\d+) ms")


@dataclass
class Round:
    """What wrk measured in one round, and the server's CPU time during it."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    statuses: dict[str, int]
    challenges: int
    answers: int
    server_cpu_s: float = 0.0
    redis_cpu_s: float = 0.0
    wrk_cpu_s: float = 0.0
    idle_s: float = 0.0  # CPU time no process used, over all CPUs
    drain_cpu_s: float = 0.0
    postgres_cpu_s: float = 0.0  # PostgreSQL's processes (this run is their only user)

    @property
    def rps(self) -> float:
        """Requests per second."""
        return self.requests / self.seconds


@dataclass
class Target:
    """One server under test: its port, process group, sessions file and wrk mode."""

    label: str
    port: int
    process: subprocess.Popen
    drainer: subprocess.Popen
    sessions_file: Path
    mode: str
    rounds: list[Round] = field(default_factory=list)

    def median(self) -> Round:
        """The median round by throughput."""
        return sorted(self.rounds, key=lambda r: r.rps)[len(self.rounds) // 2]


def _wrk(target: Target, args, seconds: int, seq_base: int, redis_pid: int | None) -> Round:
    cpu, redis_cpu = setup.cpu_seconds(target.process.pid), setup.process_cpu_seconds(redis_pid)
    wrk_cpu, idle = _children_cpu_s(), setup.idle_seconds()
    drain_cpu = setup.cpu_seconds(target.drainer.pid)
    pg_cpu = setup.command_cpu_seconds("postgres")
    threads = str(args.connections)
    out = subprocess.run(
        ["wrk", "-t", threads, "-c", threads, "-d", f"{int(seconds)}s", "--timeout", "10s",
         "-s", str(SCRIPT), f"http://127.0.0.1:{target.port}",
         "--", str(target.sessions_file), threads, str(seq_base), target.mode],
        capture_output=True, text=True, check=True, timeout=seconds + 60,
    ).stdout  # fmt: skip
    data = json.loads(out.split("WRK_RESULT ", 1)[1].splitlines()[0])
    return Round(
        data["requests"],
        data["duration_us"] / 1e6,
        data["p50_us"] / 1000,
        data["p99_us"] / 1000,
        data["statuses"],
        data["challenges"],
        data["answers"],
        setup.cpu_seconds(target.process.pid) - cpu,
        setup.process_cpu_seconds(redis_pid) - redis_cpu,
        _children_cpu_s() - wrk_cpu,
        setup.idle_seconds() - idle,
        setup.cpu_seconds(target.drainer.pid) - drain_cpu,
        setup.command_cpu_seconds("postgres") - pg_cpu,
    )


def _children_cpu_s() -> float:
    # wrk is the only child that has been waited for while a round runs.
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _line(target: Target) -> str:
    rounds = target.rounds
    requests = sum(r.requests for r in rounds)
    statuses: dict[str, int] = {}
    for r in rounds:
        for status, n in r.statuses.items():
            statuses[status] = statuses.get(status, 0) + n
    cpu_us = sum(r.server_cpu_s for r in rounds) / max(requests, 1) * 1e6
    redis_us = sum(r.redis_cpu_s for r in rounds) / max(requests, 1) * 1e6
    wrk_us = sum(r.wrk_cpu_s for r in rounds) / max(requests, 1) * 1e6
    drain_us = sum(r.drain_cpu_s for r in rounds) / max(requests, 1) * 1e6
    pg_us = sum(r.postgres_cpu_s for r in rounds) / max(requests, 1) * 1e6
    idle = sum(r.idle_s for r in rounds) / sum(r.seconds for r in rounds) / (os.cpu_count() or 1)
    median = target.median()
    return (
        f"{target.label:<38} {median.rps:>6.0f} req/s (rounds: "
        f"{', '.join(f'{r.rps:.0f}' for r in rounds)})  p50 {median.p50_ms:5.1f} ms  "
        f"p99 {median.p99_ms:5.1f} ms  CPU per request: server {cpu_us:4.0f} us, Redis "
        f"{redis_us:3.0f} us, drainer {drain_us:3.0f} us, PostgreSQL {pg_us:3.0f} us, "
        f"wrk {wrk_us:3.0f} us; "
        f"CPUs idle {idle:4.0%}  statuses {statuses}"
    )


def _lags(log: Path, start: int) -> list[int]:
    """The lag of every non-empty drain batch logged after byte ``start`` of the drainer's log."""
    with log.open("rb") as f:
        f.seek(start)
        return [int(m.group(2)) for m in _BATCH_LINE.finditer(f.read()) if int(m.group(1))]


def _percentile(values: list[int], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=5000, help="open learning sessions")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--seconds", type=int, default=5, help="per measured round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--servers",
        default="granian",
        help="servers for the real app, comma-separated (granian,gunicorn; granian+NAME=VALUE "
        "runs it with that setting); rounds alternate between them and the minimal endpoint, "
        "which runs under the first",
    )
    setup.add_service_arguments(parser)
    return parser.parse_args()


def main() -> int:
    """Run the servers and a drainer, measure in alternating rounds, print against targets."""
    args = _arguments()
    with setup.redis_for(args.redis_url) as redis_url:
        return _run(args, redis_url)


def _run(args: argparse.Namespace, redis_url: str) -> int:
    servers = [s for s in args.servers.split(",") if s]
    if not shutil.which("wrk") or any(s.split("+")[0] not in setup.SERVERS for s in servers):
        sys.exit("needs wrk (apt-get install wrk) and servers among " + ", ".join(setup.SERVERS))
    RESULTS.mkdir(parents=True, exist_ok=True)
    # Each session of the real app gets 1/len(targets) of the beats: the check interval is
    # scaled so that, at twice the target rate, one of its beats in 40 brings a check, as in
    # production (at any lower rate checks come more often than that: the mix errs against
    # us). All sessions check in at once, so their first checks fall due uniformly over
    # [interval/2, 3*interval/2]: the rounds run inside that window, after a warm-up.
    targets_count = len(servers) + 2
    beat_period_s = args.sessions * targets_count / CHECKS_SCALED_TO_RPS
    interval_s = max(10, round(beat_period_s * PRODUCTION_CHECK_S / PRODUCTION_BEAT_S))
    measured_s = args.rounds * targets_count * (args.seconds + 1)
    if measured_s > interval_s:
        sys.exit(f"{measured_s:.0f} s of rounds do not fit the {interval_s} s steady window: "
                 "give more --sessions or fewer/shorter rounds")  # fmt: skip

    admin_url = make_url(args.database_url).set(drivername="postgresql+psycopg")
    name = f"shigang_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    prefix = f"bench-{uuid.uuid4().hex[:8]}:"
    database_url = admin_url.set(database=name).render_as_string(False)
    env = setup.environment(redis_url, database_url, prefix)
    os.environ.update(env)
    from backend import create_app
    from backend.extensions import db

    app = create_app()
    redis_client = app.extensions["redis"]
    processes: list[subprocess.Popen] = []
    try:
        seeded = time.monotonic()
        lesson_id, issued = setup.seed(app, args.sessions, interval_s)
        print(
            f"heartbeat benchmark: {args.sessions} open sessions, {args.connections} kept-alive "
            f"connections (wrk), {args.rounds} alternating rounds of {args.seconds:g} s, "
            f"app under {', '.join(servers)}, minimal under {servers[0]}, a drainer running "
            f"({os.cpu_count()} CPUs); attention checks every {interval_s} s per session "
            f"(production: one per {PRODUCTION_CHECK_S // PRODUCTION_BEAT_S} beats); "
            f"seeded in {time.monotonic() - seeded:.0f} s",
            flush=True,
        )
        drain_log = RESULTS / f"drainer-{os.getpid()}.log"
        drainer = setup.start_drainer(env, drain_log)
        processes.append(drainer)
        targets: list[Target] = []
        for server in servers:
            port = setup.free_port()
            process = setup.start("bench.app_wsgi:app", port, env, RESULTS / "app.log", server)
            processes.append(process)
            targets.append(Target(f"heartbeats, {server}", port, process, drainer, Path(), "ours"))
        with ThreadPoolExecutor(8) as pool:
            ids = list(pool.map(lambda t: setup.check_in(targets[0].port, lesson_id, t[1]), issued))
        # From the last check-in on, every session's first check can be due (none is due
        # sooner than half an interval after its own check-in).
        checked_in = time.monotonic()
        ours_file = RESULTS / f"sessions-{os.getpid()}.txt"
        ours_file.write_text("".join(f"{s} {t}\n" for s, (_, t) in zip(ids, issued, strict=True)))
        minimal_file = RESULTS / f"minimal-{os.getpid()}.txt"
        minimal_file.write_text("".join(f"{s} {sign(str(s))}\n" for s in ids))
        for target in targets:
            target.sessions_file = ours_file
        port = setup.free_port()
        process = setup.start("bench.floor_wsgi:app", port, env, RESULTS / "floor.log", servers[0])
        processes.append(process)
        targets.append(
            Target(f"floor, {servers[0]}", port, process, drainer, minimal_file, "minimal")
        )
        port = setup.free_port()
        process = setup.start("bench.minimal_wsgi:app", port, env, RESULTS / "min.log", servers[0])
        processes.append(process)
        targets.append(
            Target(f"minimal, {servers[0]}", port, process, drainer, minimal_file, "minimal")
        )

        redis_pid = setup.redis_server_pid(redis_client)
        seq = 0
        # Warm up until the first checks fall due (half an interval after the check-ins).
        while time.monotonic() - checked_in < interval_s / 2:
            for target in targets:
                seq += 100_000
                _wrk(target, args, 2, seq, redis_pid)
        for key in ("request", "drainer"):
            redis_client.delete(f"{prefix}bench:sql:{key}")
        log_start = drain_log.stat().st_size
        for _ in range(args.rounds):
            for target in targets:
                seq += 100_000
                target.rounds.append(_wrk(target, args, args.seconds, seq, redis_pid))
        time.sleep(3)  # let the drain catch up with the last round
        return _report(targets, redis_client, prefix, _lags(drain_log, log_start))
    finally:
        for process in processes:
            setup.stop(process)
        setup.delete_prefix(redis_client, prefix)
        with app.app_context():
            db.engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _report(targets: list[Target], redis_client, prefix: str, lags: list[int]) -> int:
    """Print every figure beside its target; 0 when all are met, 2 when one is missed."""
    for target in targets:
        print(_line(target))
    ours, floor, minimal = targets[0], targets[-2], targets[-1]
    beats = sum(r.requests for t in targets[:-2] for r in t.rounds)
    request_sql = int(redis_client.get(prefix + "bench:sql:request") or 0)
    drainer_sql = int(redis_client.get(prefix + "bench:sql:drainer") or 0)
    checks = sum(r.challenges for r in ours.rounds) / max(sum(r.requests for r in ours.rounds), 1)
    median, base = ours.median(), floor.median()
    ratio = median.rps / base.rps
    ratio_minimal = median.rps / minimal.median().rps
    requests = max(sum(r.requests for r in ours.rounds), 1)
    redis_us = sum(r.redis_cpu_s for r in ours.rounds) / requests * 1e6
    machine_us = (
        sum(r.server_cpu_s + r.redis_cpu_s + r.drain_cpu_s + r.postgres_cpu_s for r in ours.rounds)
        / requests
        * 1e6
    )
    lag_p99 = _percentile(lags, 99) if lags else float("inf")
    production_checks = PRODUCTION_BEAT_S / PRODUCTION_CHECK_S
    results = [
        (f"beats/s: {median.rps:.0f}", f">= {TARGET_RPS}", median.rps >= TARGET_RPS),
        (f"p99: {median.p99_ms:.1f} ms", f"< {TARGET_P99_MS}", median.p99_ms < TARGET_P99_MS),
        (f"ratio to the floor: {ratio:.2f}", f">= {TARGET_RATIO}", ratio >= TARGET_RATIO),
        (f"ratio to the minimal Flask endpoint: {ratio_minimal:.2f}", "reported", True),
        (
            f"CPU per beat, server + Redis + drainer + PostgreSQL: {machine_us:.0f} us",
            f"<= {TARGET_CPU_US}",
            machine_us <= TARGET_CPU_US,
        ),
        (
            f"Redis CPU per beat: {redis_us:.0f} us",
            f"<= {TARGET_REDIS_US}",
            redis_us <= TARGET_REDIS_US,
        ),
        (
            f"SQL statements per beat, request path: {request_sql / beats:.4f} "
            f"({request_sql} in {beats})",
            "0",
            request_sql == 0,
        ),
        (
            f"SQL statements per beat, drainer: {drainer_sql / beats:.4f} ({drainer_sql})",
            "reported",
            True,
        ),
        (
            f"drain lag p99: {lag_p99:.0f} ms over {len(lags)} batches",
            f"<= {TARGET_LAG_MS}",
            lag_p99 <= TARGET_LAG_MS,
        ),
        (
            f"attention checks per beat: {checks:.4f}",
            f">= {production_checks:.4f} x 0.8 (production mix reached)",
            checks >= production_checks * 0.8,
        ),
    ]
    for figure, target, met in results:
        print(f"{figure} (target {target}) {'met' if met else 'MISSED'}")
    failed = [s for t in targets for r in t.rounds for s in r.statuses if s != "200"]
    if failed:
        print(f"some requests failed ({sorted(set(failed))}): BENCH_KEEP_LOGS=1 keeps the logs")
        return 1
    return 0 if all(met for _, _, met in results) else 2


if __name__ == "__main__":
    sys.exit(main())
