"""The credit drain under faults: how much credit a Redis flush, a killed drainer and a database
restart lose or double, per trainee.

It starts its own redis-server and PostgreSQL (initdb into a temporary directory, free ports),
serves the app over HTTP in this process (the script moves its clock, so a lesson of many beat
intervals takes seconds), runs two drainers as separate ``flask drain-credit`` processes, and
has trainees learn one lesson. Mid-lesson it kills one drainer with SIGKILL, restarts
PostgreSQL while beats keep coming, and flushes Redis (FLUSHALL; the trainees sign in again and
beat on). After check-out and the drain it compares each trainee's stored credit with the time
learned: lost = learned − stored once, doubled = seconds stored more than once. It exits 1 when
a trainee lost more than 5 s or anything was doubled (the target: lost ≤ 5 s per trainee and
beat interval, doubled 0).

    .venv/bin/python -m bench.faults --trainees 50 --rounds 40
"""

from __future__ import annotations

import argparse
import glob
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import redis

from bench.heartbeat_setup import environment, free_port, seed
from bench.redis_cluster import PrivateRedisCluster

LOST_TARGET_S = 5  # per trainee and beat interval


def _pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        raise SystemExit(f"PostgreSQL's {name} not found under /usr/lib/postgresql/*/bin/")
    return found[-1]


def _as_postgres(cmd: list[str]) -> list[str]:
    # initdb and the server refuse to run as root.
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


class PrivatePostgres:
    """A throw-away PostgreSQL server on a free port, data in a temporary directory."""

    def __init__(self, root: Path) -> None:
        self.dir = root / "pg"
        self.port = free_port()
        self.dir.mkdir()
        if os.geteuid() == 0:
            shutil.chown(root, "postgres")
            shutil.chown(self.dir, "postgres")
        initdb = [_pg_bin("initdb"), "-D", str(self.dir), "-U", "postgres", "-A", "trust"]
        subprocess.run(
            _as_postgres([*initdb, "--no-sync"]),
            check=True,
            capture_output=True,
        )
        self._ctl("start")

    def _ctl(self, action: str, *extra: str) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        cmd = [_pg_bin("pg_ctl"), "-D", str(self.dir), "-w", "-l", str(self.dir / "log")]
        subprocess.run(
            _as_postgres([*cmd, "-o", options, *extra, action]), check=True, capture_output=True
        )

    @property
    def url(self) -> str:
        """The URL of its ``postgres`` database."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def restart(self) -> None:
        """Stop (fast: connections are cut) and start again."""
        self._ctl("restart", "-m", "fast")

    def stop(self) -> None:
        """Stop the server."""
        self._ctl("stop", "-m", "immediate")


class PrivateRedis:
    """A throw-away redis-server on a free port, without persistence."""

    def __init__(self, root: Path) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(root)],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        self.client = redis.Redis(port=self.port, decode_responses=True)
        for _ in range(100):
            try:
                self.client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    @property
    def url(self) -> str:
        """Its URL."""
        return f"redis://127.0.0.1:{self.port}/0"

    def flushall(self) -> None:
        """FLUSHALL."""
        self.client.flushall()

    def stop(self) -> None:
        """Stop the server."""
        self.process.terminate()
        self.process.wait(10)


@dataclass(frozen=True)
class Outcome:
    """One trainee's credit after the faults."""

    trainee_id: int
    learned_s: int
    stored_s: int  # seconds stored at least once
    doubled_s: int  # seconds stored more than once

    @property
    def lost_s(self) -> int:
        """Seconds learned but never stored."""
        return self.learned_s - self.stored_s


class _Client:
    """One keep-alive HTTP connection of one trainee."""

    def __init__(self, port: int, token: str) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.token = token

    def post(self, path: str, body: dict) -> tuple[int, dict]:
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        self.conn.request("POST", path, json.dumps(body), headers)
        response = self.conn.getresponse()
        return response.status, json.loads(response.read() or b"{}")


def _drainer(env: dict, name: str, log: Path) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "flask", "--app", "backend:create_app", "drain-credit"]
    with log.open("ab") as out:
        return subprocess.Popen([*cmd, "--consumer", name], env=env, stdout=out, stderr=out)


def _outcomes(app, learned: dict[int, int]) -> list[Outcome]:
    from sqlalchemy import select

    from backend.extensions import db
    from backend.models import CreditedSpan

    with app.app_context():
        rows = db.session.execute(
            select(CreditedSpan.trainee_id, CreditedSpan.start_at, CreditedSpan.end_at).order_by(
                CreditedSpan.trainee_id, CreditedSpan.start_at
            )
        ).all()
        db.session.remove()
    total: dict[int, int] = {}
    union: dict[int, int] = {}
    reach: dict[int, int] = {}
    for trainee_id, start_at, end_at in rows:
        a, b = int(start_at.timestamp()), int(end_at.timestamp())
        total[trainee_id] = total.get(trainee_id, 0) + b - a
        a = max(a, reach.get(trainee_id, a))
        union[trainee_id] = union.get(trainee_id, 0) + max(b - a, 0)
        reach[trainee_id] = max(b, reach.get(trainee_id, b))
    return [
        Outcome(tid, learned[tid], union.get(tid, 0), total.get(tid, 0) - union.get(tid, 0))
        for tid in sorted(learned)
    ]


def _settle(store: PrivateRedis, deadline_s: float = 60) -> None:
    """Wait until the drainers have written and acknowledged everything in the stream."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        keys = list(store.client.scan_iter(match="*credit"))
        if all(store.client.xlen(key) == 0 for key in keys):
            return
        time.sleep(0.2)
    raise RuntimeError("the drain did not catch up")


def _wait_for_consumers(store: PrivateRedis, count: int, deadline_s: float = 60) -> None:
    """Wait until ``count`` drainers have started reading the stream."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        try:
            if len(store.client.xinfo_consumers("f:{p0}credit", "drain")) >= count:
                return
        except redis.ResponseError:
            pass  # no stream or group yet
        time.sleep(0.1)
    raise RuntimeError("the drainers did not start")


def run(trainees: int = 20, rounds: int = 40, *, cluster: bool = False, log=print) -> list[Outcome]:
    """Learn a lesson under the three faults; return each trainee's outcome."""
    from werkzeug.serving import make_server

    from backend import create_app
    from backend.clock import clock
    from backend.extensions import db
    from backend.services.accounts import tokens

    root = Path(tempfile.mkdtemp(prefix="shigang-faults-"))
    pg = PrivatePostgres(root)
    store = PrivateRedisCluster(root) if cluster else PrivateRedis(root)
    drainers: list[subprocess.Popen] = []
    server = app = None
    saved_env = dict(os.environ)
    try:
        env = environment(store.url, pg.url.replace("postgresql://", "postgresql+psycopg://"), "f:")
        env["REDIS_CLUSTER"] = "1" if cluster else "0"
        env.pop("BENCH_COUNT_SQL")
        os.environ.update(env)
        app = create_app()
        lesson_id, issued = seed(app, trainees, check_interval_s=1200)
        with app.app_context():
            db.session.execute(db.text("UPDATE project SET attention_checks_enabled = false"))
            db.session.commit()
            interval = 30
        clock.freeze(clock.now())
        port = free_port()
        server = make_server("127.0.0.1", port, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        logs = root / "drain.log"
        drainers = [_drainer(env, "a", logs), _drainer(env, "b", logs)]
        _wait_for_consumers(store, 2)
        clients = {tid: _Client(port, token) for tid, token in issued}
        sessions, started = {}, {}
        for tid, client in clients.items():
            status, body = client.post(f"/api/v1/lessons/{lesson_id}/sessions", {"client_ts": 0})
            assert status == 201, body
            sessions[tid], started[tid] = body["session_id"], int(clock.now().timestamp())
        restart = None
        for r in range(1, rounds + 1):
            clock.advance(interval)
            seq = r
            if r == rounds // 4:
                log(f"round {r}: kill -9 of drainer a (pid {drainers[0].pid})")
                os.kill(drainers[0].pid, signal.SIGKILL)
            if r == rounds // 2:
                log(f"round {r}: PostgreSQL restart while beats go on")
                restart = threading.Thread(target=pg.restart)
                restart.start()
            flush_after = len(clients) // 2 if r == 3 * rounds // 4 else None
            if flush_after is not None:
                # One fault at a time: the drain has recovered from the restart and taken over
                # the killed drainer's batch (they would otherwise be lost with the flush).
                restart.join()
                _settle(store)
            for n, (tid, client) in enumerate(clients.items()):
                if n == flush_after:
                    # Half of this round's beats just went in, likely not drained yet.
                    streams = store.client.scan_iter(match="*credit")
                    pending = sum(store.client.xlen(key) for key in streams)
                    log(f"round {r}: FLUSHALL of Redis after {n} of the round's beats, "
                        f"{pending} of their spans not drained yet")  # fmt: skip
                    store.flushall()
                body = {"seq": seq, "client_ts": 0, "position_s": r * interval, "playing": True}
                path = f"/api/v1/sessions/{sessions[tid]}/heartbeats"
                status, answer = client.post(path, body)
                if status == 401:  # Redis lost the token: the mini-program signs in again
                    with app.app_context():
                        client.token = tokens.issue_token(tid)[0]
                    status, answer = client.post(path, body)
                assert status == 200, answer
            time.sleep(0.2)  # real time between bursts of beats: the drainers' pace
        if restart is not None:
            restart.join()
        learned = {}
        for tid, client in clients.items():
            status, body = client.post(f"/api/v1/sessions/{sessions[tid]}/end", {"position_s": 0})
            assert status == 200, body
            learned[tid] = int(clock.now().timestamp()) - started[tid]
        _settle(store)
        return _outcomes(app, learned)
    finally:
        clock.unfreeze()
        os.environ.clear()
        os.environ.update(saved_env)
        for process in drainers:
            if process.poll() is None:
                process.terminate()
                process.wait(10)
        if server is not None:
            server.shutdown()
            server.server_close()
        if app is not None:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
            app.extensions["redis"].close()
        store.client.close()
        store.stop()
        pg.stop()
        if os.environ.get("BENCH_KEEP_LOGS"):
            print(f"logs kept in {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


def main() -> int:
    """Run the faults and print lost and doubled seconds per trainee against the targets."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trainees", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=40, help="beat intervals of 30 s")
    parser.add_argument("--cluster", action="store_true", help="a Redis Cluster of 3 masters")
    args = parser.parse_args()
    outcomes = run(args.trainees, args.rounds, cluster=args.cluster)
    print(f"{'trainee':>8} {'learned s':>10} {'stored s':>9} {'lost s':>7} {'doubled s':>10}")
    for o in outcomes:
        print(
            f"{o.trainee_id:>8} {o.learned_s:>10} {o.stored_s:>9} {o.lost_s:>7} {o.doubled_s:>10}"
        )
    worst = max(o.lost_s for o in outcomes)
    doubled = sum(o.doubled_s for o in outcomes)
    mean = sum(o.lost_s for o in outcomes) / len(outcomes)
    bound = LOST_TARGET_S
    print(f"lost per trainee: max {worst} s, mean {mean:.1f} s (target ≤ {bound} s) "
          f"{'met' if worst <= bound else 'MISSED'}")  # fmt: skip
    print(f"doubled: {doubled} s in all (target 0) {'met' if doubled == 0 else 'MISSED'}")
    return 0 if worst <= bound and doubled == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
