"""Where a heartbeat's CPU goes, in-process: the whole beat through the WSGI app (called
directly, and through the RSGI bridge production serves it with) against the minimal endpoint,
the app without its request hooks, each hook alone, the pydantic round trip and the Redis
script call, in alternating rounds (CPU time, so a busy machine matters less).

    python -m bench.beat_cost [--sessions 500] [--beats 2000] [--rounds 7]

It creates its own PostgreSQL database and Redis prefix and removes them at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
import uuid
from collections.abc import Callable

from flask import Response
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from werkzeug.test import EnvironBuilder

from bench import heartbeat_setup as setup
from bench.minimal_app import create_app as create_minimal
from bench.minimal_app import sign

BODY = '{"seq":%d,"client_ts":0,"position_s":%d,"playing":true}'


def _environ(path: str, token: str, seq: int) -> dict:
    body = (BODY % (seq, seq * 30 % 28800)).encode()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    return EnvironBuilder(path=path, method="POST", data=body, headers=headers).get_environ()


def _wsgi(app, path: str, sessions: list[tuple[int, str]], seq: list[int]) -> Callable[[], float]:
    def start_response(status, headers, exc_info=None):
        start_response.status = status

    def one() -> float:
        seq[0] += 1
        sid, token = sessions[seq[0] % len(sessions)]
        environ = _environ(path.format(sid), token, seq[0] // len(sessions) + 1)
        began = time.process_time()
        b"".join(app.wsgi_app(environ, start_response))
        spent = time.process_time() - began
        if not start_response.status.startswith("200"):
            raise SystemExit(f"{path}: {start_response.status}")
        return spent

    return one


class _Scope:
    """What granian's RSGI interface hands the bridge for one beat."""

    proto, http_version, scheme, method = "http", "1.1", "http", "POST"
    server, client, authority, query_string = "127.0.0.1:8000", "127.0.0.1:50000", None, ""

    def __init__(self, path: str, headers: dict) -> None:
        self.path, self.headers = path, headers


class _Proto:
    """The request's body and the answer, as granian's RSGI protocol object holds them."""

    def __init__(self, body: bytes) -> None:
        self.body, self.status = body, None

    async def __call__(self) -> bytes:
        return self.body

    def response_bytes(self, status: int, headers: list, body: bytes) -> None:
        self.status = status


def _bridged(
    app, path: str, sessions, seq: list[int], *, from_scope: bool = False
) -> Callable[[], float]:
    """A beat through backend/rsgi_bridge.py: environ, body read on an event loop, the app in
    a pool thread (process CPU, so the thread's counts too); ``from_scope``: as production
    serves it, on the loop, answered by the beat route from the RSGI scope (no environ), its
    Redis call awaited on the loop (backend/loop_redis.py). One beat at a time here, so each
    await costs the loop a wait for Redis that concurrent beats share in production: the gain
    of awaiting shows only under load (bench/heartbeat.py, granian+BEAT_REDIS_FROM_LOOP=0)."""
    from backend.rsgi_bridge import WSGIOverRSGI
    from miniprogram_api.heartbeat_route import LIVE_BEAT_PATH

    native = {"inline_path": LIVE_BEAT_PATH, "beat_route": app.wsgi_app} if from_scope else {}
    bridge = WSGIOverRSGI(app, threads=2, read_timeout_s=15, body_limit=lambda *_: None, **native)
    loop = asyncio.new_event_loop()

    def one() -> float:
        seq[0] += 1
        sid, token = sessions[seq[0] % len(sessions)]
        body = (BODY % (seq[0] // len(sessions) + 1, seq[0] * 30 % 28800)).encode()
        headers = {
            "host": "localhost",
            "authorization": f"Bearer {token}",
            "content-type": "application/json",
            "content-length": str(len(body)),
        }
        proto = _Proto(body)
        began = time.process_time()
        loop.run_until_complete(bridge.__rsgi__(_Scope(path.format(sid), headers), proto))
        spent = time.process_time() - began
        if proto.status != 200:
            raise SystemExit(f"{path} through the bridge: {proto.status}")
        return spent

    return one


def _hook_costs(app, n: int) -> list[tuple[str, float]]:
    """CPU per call of each before/after-request hook, in a heartbeat's request context."""
    costs = []
    body = (BODY % (1, 1)).encode()
    path = "/api/v1/sessions/1/heartbeats"
    with app.test_request_context(path, method="POST", data=body, content_type="application/json"):
        from flask import request

        adapter = app.url_map.bind_to_environ(request.environ)
        request.url_rule, request.view_args = adapter.match(return_rule=True)
        for hook in app.before_request_funcs.get(None, []):
            began = time.process_time()
            for _ in range(n):
                hook()
            costs.append((f"before: {hook.__name__}", (time.process_time() - began) / n))
        began = time.process_time()
        for _ in range(n):
            Response("{}", mimetype="application/json")
        bare = (time.process_time() - began) / n
        for hook in app.after_request_funcs.get(None, []):
            began = time.process_time()
            for _ in range(n):
                hook(Response("{}", mimetype="application/json"))
            costs.append((f"after: {hook.__name__}", (time.process_time() - began) / n - bare))
    return costs


def _steps(app, token: str, session_id: int, n: int, rounds: int) -> list[tuple[str, float, float]]:
    """Issue 27's steps on the fast route, each as it was and as it is, CPU per beat in
    alternating rounds (the lowest: what the code costs without the machine's noise)."""
    import io

    import hiredis

    from backend import logs, read_timeout
    from backend.api import has_duplicate_keys, parse_json
    from backend.extensions import redis_store
    from backend.services.accounts import tokens
    from backend.services.learning import live
    from backend.services.learning.heartbeats import BeatResult
    from miniprogram_api import heartbeat_route
    from miniprogram_api.learning_schemas import HeartbeatResponse, LiveBeatIn

    body = (BODY % (17, 510)).encode()
    result = BeatResult(120, 5)
    with app.app_context():
        keys, wm = live.beat_keys(token, session_id)
        packer = redis_store.client.connection_pool.make_connection()._command_packer
    args = ["beat", wm, 1764633600, live.STATE_TTL_S, "live", "17,1764633600,510,1", "1.000000"]
    command = ("FCALL", live.FUNCTION, len(keys), *keys, *args, "", "", "", "")
    environ = _environ("/api/v1/sessions/1/heartbeats", token, 17)

    def inner(environ, start_response):
        environ["wsgi.input"].read(len(body))
        return [b""]

    def through(app):
        def one():
            environ["wsgi.input"] = io.BytesIO(body)
            app(environ, lambda status, headers, exc_info=None: None)

        return one

    def keys_before():
        partition = tokens.token_partition(token)
        state = redis_store.tagged(partition, "ls", session_id)
        wm = redis_store.tagged(partition, "wm", "")
        keys = [state, live.stream_key(partition), f"{state}:held", tokens.token_key(token)]
        return [*keys, f"{state}:chk"], wm

    steps = {
        "parse once (duplicate keys, whole numbers)": (
            lambda: (has_duplicate_keys(body), LiveBeatIn.model_validate_json(body)),
            lambda: LiveBeatIn.model_validate(parse_json(body)),
        ),
        "no WSGI wrapper around a beat": (
            through(read_timeout.BoundedBodies(logs.LogEscapes(inner))),
            through(inner),
        ),
        "the beat's keys from one prefix read": (keys_before, lambda: live.beat_keys(token, 1)),
        "the script call packed by hiredis": (
            lambda: packer.pack(*command),
            lambda: hiredis.pack_command(command),
        ),
        "the answer from a dict, dumped to bytes": (
            lambda: HeartbeatResponse.model_validate(result).model_dump_json().encode(),
            lambda: heartbeat_route._DUMP(HeartbeatResponse.model_validate(vars(result))),
        ),
    }
    best = {label: [float("inf"), float("inf")] for label in steps}
    with app.app_context():
        for _ in range(rounds):
            for label, pair in steps.items():
                for i, fn in enumerate(pair):
                    began = time.process_time()
                    for _ in range(n):
                        fn()
                    best[label][i] = min(best[label][i], (time.process_time() - began) / n)
    return [(label, before, now) for label, (before, now) in best.items()]


def main() -> int:
    """Seed, check in, then time each stage in alternating rounds and print the medians."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=500)
    parser.add_argument("--beats", type=int, default=2000, help="per stage and round")
    parser.add_argument("--rounds", type=int, default=7)
    setup.add_service_arguments(parser)
    args = parser.parse_args()
    admin_url = make_url(args.database_url).set(drivername="postgresql+psycopg")
    name = f"shigang_beatcost_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    prefix = f"beatcost-{uuid.uuid4().hex[:8]}:"
    database_url = admin_url.set(database=name).render_as_string(False)
    os.environ.update(setup.environment(setup.local_redis(args.redis_url), database_url, prefix))
    from backend import create_app
    from backend.clock import now
    from backend.extensions import db
    from backend.services.learning import heartbeats, live
    from backend.services.learning.heartbeats import BeatResult
    from miniprogram_api.learning_schemas import HeartbeatRequest, HeartbeatResponse

    app = create_app()
    try:
        lesson_id, issued = setup.seed(app, args.sessions, 10**6)  # no attention check due
        client = app.test_client()
        sessions = []
        for _, token in issued:
            answer = client.post(
                f"/api/v1/lessons/{lesson_id}/sessions",
                json={"client_ts": int(time.time() * 1000), "device": "bench"},
                headers={"Authorization": f"Bearer {token}"},
            )
            sessions.append((answer.get_json()["session_id"], token))
        bare = create_app()
        bare.before_request_funcs, bare.after_request_funcs = {}, {}
        minimal = create_minimal()
        seq = [0]

        def beat_call() -> float:
            seq[0] += 1
            sid, token = sessions[seq[0] % len(sessions)]
            n = seq[0] // len(sessions) + 1
            with app.app_context():
                began = time.process_time()
                second = live.epoch_s(now())
                live.run_beat(*live.beat_call(sid, token, second, "live", [(n, second, n, 1)]))
                return time.process_time() - began

        def receive_call() -> float:
            seq[0] += 1
            sid, token = sessions[seq[0] % len(sessions)]
            beat = HeartbeatRequest.model_validate_json(BODY % (seq[0] // len(sessions) + 1, 0))
            with app.app_context():
                began = time.process_time()
                heartbeats.receive(token, sid, [beat.root])
                return time.process_time() - began

        def pydantic_call() -> float:
            began = time.process_time()
            HeartbeatRequest.model_validate_json(BODY % (1, 1))
            HeartbeatResponse.model_validate(BeatResult(10, 5)).model_dump_json()
            return time.process_time() - began

        stages = {
            "beat through the app (WSGI)": _wsgi(
                app, "/api/v1/sessions/{}/heartbeats", sessions, seq
            ),
            "beat through the app (RSGI bridge, a thread)": _bridged(
                app, "/api/v1/sessions/{}/heartbeats", sessions, seq
            ),
            "beat through the bridge, from the scope": _bridged(
                app, "/api/v1/sessions/{}/heartbeats", sessions, seq, from_scope=True
            ),
            "minimal endpoint (WSGI)": _wsgi(
                minimal, "/beat/{}", [(s, sign(str(s))) for s, _ in sessions], seq
            ),
            "beat through the app, no request hooks": _wsgi(
                bare, "/api/v1/sessions/{}/heartbeats", sessions, seq
            ),
            "heartbeats.receive (no Flask, no pydantic)": receive_call,
            "live.beat (the Redis script call)": beat_call,
            "pydantic: parse the beat, dump the answer": pydantic_call,
        }
        rounds: dict[str, list[float]] = {label: [] for label in stages}
        for _ in range(args.rounds):
            for label, stage in stages.items():
                rounds[label].append(sum(stage() for _ in range(args.beats)) / args.beats)
        print(f"CPU per beat, in-process, median of {args.rounds} alternating rounds of "
              f"{args.beats} ({os.cpu_count()} CPUs, {args.sessions} sessions):")  # fmt: skip
        for label, values in rounds.items():
            print(f"  {label:<44} {sorted(values)[len(values) // 2] * 1e6:6.1f} us")
        print("Issue 27's steps on the fast route, before -> now (lowest of the rounds):")
        for label, before, after in _steps(app, sessions[0][1], sessions[0][0], 5000, args.rounds):
            print(f"  {label:<44} {before * 1e6:6.1f} -> {after * 1e6:5.1f} us "
                  f"(gain {(before - after) * 1e6:4.1f})")  # fmt: skip
        print("Request hooks, each alone:")
        for label, cost in _hook_costs(app, args.beats * 2):
            print(f"  {label:<44} {cost * 1e6:6.1f} us")
        return 0
    finally:
        redis_client = app.extensions["redis"]
        setup.delete_prefix(redis_client, prefix)
        with app.app_context():
            db.engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    sys.exit(main())
