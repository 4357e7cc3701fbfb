"""The live-session script's cost per beat inside Redis, against earlier versions of it.

    python -m bench.live_script [--against REV ...] [--rounds 12] [--beats 20000] [--sessions 200]
        [--pipeline 200]

Starts a private redis-server (never the shared one; run as production runs it), loads the script as
committed at each ``--against`` revision (the yardstick: the first one) and as in the working tree,
checks in 200 sessions (``--sessions``) on each, then alternates rounds of ordinary credited beats
(30 s apart, daily cap on, pipelined 200 at a time: ``--pipeline``) between them. Per version it
prints the call's ``usec_per_call`` from ``INFO commandstats`` (EVALSHA's, or FCALL's once the
script became a Redis Functions library) and the Redis commands a beat runs inside the script, and
the server's CPU per beat (``INFO cpu``: robust to other work on the machine, which the wall-clock
usec are not), medians over the rounds, and exits 1 when the working tree's script costs Redis more
CPU than the yardstick.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import redis

from bench.heartbeat_setup import PRODUCTION_REDIS

ROOT = Path(__file__).resolve().parent.parent
SCRIPT_DIR = "backend/services/learning"
# The library's parts, in order; before they were split, the whole script was the last one.
PARTS = ("live_state.lua", "live_credit.lua", "live_session.lua")
SESSIONS = 200
PIPELINE = 200
NOW = 1_764_633_600
TTL = 7 * 24 * 3600
INNER = ("get", "hgetall", "hmget", "incrby", "expire", "xadd", "hset", "set", "lindex")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _source(rev: str | None) -> str:
    """The script or library as in the working tree (``rev`` None) or at a revision."""
    texts = []
    for name in PARTS:
        path = f"{SCRIPT_DIR}/{name}"
        if rev is None:
            found = (ROOT / path).exists()
            text = (ROOT / path).read_text(encoding="utf-8") if found else ""
        else:
            shown = subprocess.run(
                ["git", "show", f"{rev}:{path}"], cwd=ROOT, capture_output=True, text=True
            )
            found, text = shown.returncode == 0, shown.stdout
        if found:
            texts.append(text)
    return "\n".join(texts)


def _prepared(source: str) -> bool:
    # Versions with prepared attention checks take a fifth key and more arguments.
    return "PREP" in source


def _fields(sid: int) -> list[object]:
    fields = dict(
        id=sid, dev="iPhone", pj=1, ls=1, st="active", t0=NOW, off=0, tz=28800, last=NOW, seq=0,
        play=1, pos=0, cred=0, rem=10**7, gap=90, tol=300, win=1800, cs="none", cnext=0, cid=0,
        cexp=0, cjson="", cclaim=0, ended=0, fs="none", fid=0, fexp=0, fvid="", fclaim=0,
        fnext=0, cap=8 * 3600, dday=(NOW + 28800) // 86400, dused=0, cint=0, cwin=120,
    )  # fmt: skip
    fields["from"], fields["until"] = NOW - 86400, NOW + 10**8
    return [x for pair in fields.items() for x in pair]


def _loader(client, source: str):
    """(a pipeline's call of the version, its command's name in INFO commandstats): a Redis
    Functions library (FCALL) or, before it, a script (EVALSHA)."""
    if "local function run(" in source:
        from backend.services.learning.live import library

        name, text = library(source)
        client.function_load(text, replace=True)
        return (lambda pipe, keys, *args: pipe.fcall(name, len(keys), *keys, *args)), "fcall"
    sha = client.script_load(source)
    return (lambda pipe, keys, *args: pipe.evalsha(sha, len(keys), *keys, *args)), "evalsha"


def _round(
    client, source: str, beats: int, sessions: int = SESSIONS, pipeline: int = PIPELINE
) -> tuple[float, float]:
    """Check in the sessions afresh, beat; (usec per call, inner commands per beat, their
    usec per beat, the server's CPU per beat: its own count, so time it spent preempted by
    other work on the machine is left out, and its network reads and writes are in)."""
    prepared = _prepared(source)
    client.flushall()
    run, command = _loader(client, source)
    for sid in range(1, sessions + 1):
        keys = [f"ls:{sid}", "credit", f"ls:{sid}:held", f"wm:{sid}"]
        head = [0]
        if prepared:
            keys.append(f"ls:{sid}:chk")
            head = [0, 0]  # watermark, no prepared checks (the beats are ordinary ones)
        run(client, keys, "create", sid, NOW, TTL, *head, "tr", sid, *_fields(sid))
        client.set(f"tok:{sid}", sid)
    client.config_resetstat()
    cpu = client.info("cpu")
    cpu_before = cpu["used_cpu_user"] + cpu["used_cpu_sys"]
    pipe = client.pipeline(transaction=False)
    t = NOW
    for i in range(beats):
        sid = i % sessions + 1
        if sid == 1:
            t += 30
        seq = i // sessions + 1
        keys = [f"ls:{sid}", "credit", f"ls:{sid}:held", f"tok:{sid}"]
        args = ["beat", "wm:", t, TTL, "live", f"{seq},{t},{seq * 30},1"]
        if prepared:
            keys.append(f"ls:{sid}:chk")
            args += ["1.0", "", "", "", ""]
        run(pipe, keys, *args)
        if (i + 1) % pipeline == 0 or i + 1 == beats:
            for out in pipe.execute():
                if not out.startswith("ok|"):
                    raise SystemExit(f"the script answered {out!r}")
    cpu = client.info("cpu")
    cpu_us = (cpu["used_cpu_user"] + cpu["used_cpu_sys"] - cpu_before) / beats * 1e6
    stats = client.info("commandstats")
    inner = sum(stats.get(f"cmdstat_{name}", {}).get("calls", 0) for name in INNER)
    inner_us = sum(stats.get(f"cmdstat_{name}", {}).get("usec", 0) for name in INNER)
    per_call = stats[f"cmdstat_{command}"]["usec_per_call"]
    return per_call, inner / beats, inner_us / beats, cpu_us


def main(argv: list[str] | None = None) -> int:
    """Run the comparison; 1 when the working tree's script is slower than the yardstick."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", action="append", default=None, metavar="REV")
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--beats", type=int, default=20000)
    # More sessions than fit the CPU's caches, as in production (the heartbeat benchmark's 5000).
    parser.add_argument("--sessions", type=int, default=SESSIONS)
    # 1: a round trip per beat, as the app sends them (Redis then reads and writes each).
    parser.add_argument("--pipeline", type=int, default=PIPELINE)
    opts = parser.parse_args(argv)
    versions = [*(opts.against or ["main"]), None]
    port = _free_port()
    with tempfile.TemporaryDirectory() as tmp:
        # Run as production runs it (the session hash a hash table, the append-only file):
        # the per-beat cost depends on both.
        server = subprocess.Popen(
            ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", tmp,
             *PRODUCTION_REDIS],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            client = redis.Redis(port=port, decode_responses=True)
            for _ in range(100):
                try:
                    client.ping()
                    break
                except redis.ConnectionError:
                    time.sleep(0.05)
            sources = {v: _source(v) for v in versions}
            usec = {v: [] for v in versions}
            inner, inner_us, cpu_us = {}, {v: [] for v in versions}, {v: [] for v in versions}
            for _ in range(opts.rounds):
                for v in versions:
                    per_call, commands, commands_us, cpu = _round(
                        client, sources[v], opts.beats, opts.sessions
                    )
                    usec[v].append(per_call)
                    cpu_us[v].append(cpu)
                    inner[v] = commands
                    inner_us[v].append(commands_us)
        finally:
            server.terminate()
            server.wait()
    yardstick = statistics.median(cpu_us[versions[0]])
    print(f"{opts.rounds} alternating rounds of {opts.beats} beats, {os.cpu_count()} CPUs")
    for v in versions:
        median = statistics.median(usec[v])
        print(
            f"{v or 'working tree':>14}: {median:6.2f} us/call (median; min "
            f"{min(usec[v]):.2f}), {inner[v]:.2f} commands per beat taking "
            f"{statistics.median(inner_us[v]):.2f} us of it; Redis CPU per beat "
            f"{statistics.median(cpu_us[v]):6.2f} us (median; min {min(cpu_us[v]):.2f}), "
            f"{statistics.median(cpu_us[v]) / yardstick:.2f} x {versions[0]}"
        )
    ours = statistics.median(cpu_us[None])
    print(f"target: Redis CPU per beat no more than {versions[0]}'s ({yardstick:.2f} us)")
    return 0 if ours <= yardstick else 1


if __name__ == "__main__":
    sys.exit(main())
