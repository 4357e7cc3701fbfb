"""Live learning-session state in Redis: one atomic Lua call per beat, check-in and check-out."""

from __future__ import annotations

import hashlib
import json
import os
import threading
import weakref
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import hiredis
from flask import current_app
from redis import Connection
from redis.exceptions import ResponseError

from backend import loop_redis
from backend.extensions import redis_store
from backend.services.accounts import tokens

# The live-session library, in the order its parts define what the next ones use.
LIBRARY_FILES = ("live_state.lua", "live_credit.lua", "live_session.lua")
_SOURCE = "\n".join(
    Path(__file__).with_name(name).read_text(encoding="utf-8") for name in LIBRARY_FILES
)


def library(source: str) -> tuple[str, str]:
    """The function's name and the library to FUNCTION LOAD for the script's ``source``."""
    # Named by its code: during a rolling deploy each version of the app calls its own, and
    # loading one never replaces another's.
    name = "shigang_live_" + hashlib.sha256(source.encode()).hexdigest()[:12]
    return name, f"#!lua name={name}\n{source}\nredis.register_function('{name}', run)\n"


FUNCTION, LIBRARY = library(_SOURCE)
# The embedded stand-in has no Functions: the same code as a script (its KEYS and ARGV taken
# before the library's locals of the same names hide them).
_SCRIPT = f"local EVAL_KEYS, EVAL_ARGV = KEYS, ARGV\n{_SOURCE}\nreturn run(EVAL_KEYS, EVAL_ARGV)\n"
# Closed and idle state is garbage-collected after this long; credit never reads an expiry.
STATE_TTL_S = 7 * 24 * 3600


def epoch_s(at: datetime) -> int:
    """The whole epoch second containing ``at``: credit is counted in whole wall-clock seconds."""
    return int(at.timestamp() // 1)


def at_second(second: int) -> datetime:
    """The aware UTC datetime of an epoch second."""
    return datetime.fromtimestamp(second, UTC)


@dataclass
class LiveReply:
    """What the script decided: a result code and the session's state after the call."""

    r: str
    tr: int = 0  # the session's trainee
    cred: int = 0
    seq: int = 0
    rem: int = 0
    last: int = 0
    pos: int = 0
    play: int = 0
    due: int = 0
    expired: int | None = None
    forfeit: int | None = None
    st: str | None = None
    ended: int | None = None
    chk: str | None = None
    fdue: int = 0  # a face check is due: issue one
    fexpired: int | None = None  # this face check's window passed without a result
    fid: int = 0  # the open face check, its expiry and WeChat verify_id
    fexp: int = 0
    fvid: str = ""
    capped: int = 0  # the daily maximum of credited time stopped the credit

    @classmethod
    def parse(cls, raw: str) -> LiveReply:
        """Read the script's JSON answer."""
        data: dict[str, Any] = json.loads(raw)
        return cls(**{k: (int(v) if isinstance(v, float) else v) for k, v in data.items()})

    @classmethod
    def parse_beat(cls, raw: str) -> LiveReply:
        """Read a beat's compact answer (see the script)."""
        parts = raw.split("|", 12)
        if len(parts) == 1:
            return cls(raw)
        r, tr, cred, seq, due, expired, fdue, fexpired, fid, fexp, fvid, capped, chk = parts
        return cls(
            r,
            tr=int(tr),
            cred=int(cred),
            seq=int(seq),
            due=int(due),
            expired=int(expired) or None,
            fdue=int(fdue),
            fexpired=int(fexpired) or None,
            fid=int(fid),
            fexp=int(fexp),
            fvid=fvid,
            capped=int(capped),
            chk=chk or None,
        )


def _stand_in_script():
    script = current_app.extensions.get("live_session_script")
    if script is None:
        script = redis_store.client.register_script(_SCRIPT)
        current_app.extensions["live_session_script"] = script
    return script


def _not_loaded(exc: ResponseError) -> bool:
    """Whether Redis lacks the library: a new or restarted server, or a new cluster primary
    (FLUSHALL keeps functions; FUNCTION FLUSH and a restart without persistence do not)."""
    return str(exc).startswith("Function not found")


def _run(keys: list[str], args: list[object], *, held: bool = False) -> str:
    """Call the library's function with ``keys`` and ``args`` (FCALL: one round trip), loading
    the library first where Redis lacks it. ``held``: on this thread's own connection."""
    client = redis_store.client
    if current_app.extensions.get("redis_embedded"):
        return _stand_in_script()(keys=keys, args=args)
    try:
        return _fcall(client, keys, args, held)
    except ResponseError as exc:
        if not _not_loaded(exc):
            raise
    # On every primary of a cluster; REPLACE, for a worker that loaded it meanwhile (the same
    # name is the same code).
    client.function_load(LIBRARY, replace=True)
    return _fcall(client, keys, args, held)


def stream_key(partition: int) -> str:
    """The Redis stream a partition's credited spans go through on their way to the database."""
    return redis_store.tagged(partition, "credit")


def stream_keys() -> list[str]:
    """Every partition's credit stream (the drainers read them all)."""
    return [stream_key(partition) for partition in range(redis_store.partitions())]


def state_key(session_id: int, trainee_id: int) -> str:
    """The Redis hash of a live session (in its trainee's partition)."""
    return redis_store.tagged(redis_store.partition_of(trainee_id), "ls", session_id)


def session_keys(session_id: int, trainee_id: int) -> list[str]:
    """The Redis keys of a session: state, the credit stream, held spans, the watermark, and
    its prepared attention checks; all in the trainee's partition (one cluster slot)."""
    partition = redis_store.partition_of(trainee_id)
    state = redis_store.tagged(partition, "ls", session_id)
    wm = redis_store.tagged(partition, "wm", trainee_id)
    return [state, stream_key(partition), f"{state}:held", wm, f"{state}:chk"]


def beat_keys(token: str, session_id: int) -> tuple[list[str], str]:
    """A beat's keys (state, stream, held spans, the token's, prepared checks; the keys of
    ``session_keys`` with the token's in the watermark's place) and the watermark key without
    its trainee id. The token names its trainee's partition: every key is in it. Built from
    one ``tagged`` (each reads the app's prefix through Flask's proxy: 11 us a beat for five)."""
    tag = redis_store.tagged(tokens.token_partition(token))
    state = f"{tag}ls:{session_id}"
    token_key = f"{tag}tok:{tokens.token_digest(token)}"
    return [state, f"{tag}credit", f"{state}:held", token_key, f"{state}:chk"], f"{tag}wm:"


def call(op: str, session_id: int, trainee_id: int, now_s: int, *args: object) -> LiveReply:
    """Run one operation of the live-session script atomically."""
    args = [op, trainee_id, now_s, STATE_TTL_S, *args]
    return LiveReply.parse(_run(session_keys(session_id, trainee_id), args))


def create(
    session_id: int,
    trainee_id: int,
    now_s: int,
    *,
    watermark_s: int,
    rebuild: bool,
    checks: list[str] = (),
    **f,
):
    """Write a session's live state and prepared checks (``rebuild`` only if none exists)."""
    pairs: list[object] = []
    for key, value in f.items():
        pairs += [key, int(value) if isinstance(value, bool) else value]
    op = "rebuild" if rebuild else "create"
    head = [watermark_s, len(checks), *checks, "tr", trainee_id]
    return call(op, session_id, trainee_id, now_s, *head, *pairs)


def run_beat(keys: list[str], args: list[object]) -> LiveReply:
    """Make ``beat_call``'s function call through the app's client (blocking)."""
    return LiveReply.parse_beat(_run(keys, args, held=True))


def beat_call(
    session_id: int,
    token: str,
    now_s: int,
    kind: str,
    beats: list[tuple],
    *,
    factor: float = 1.0,
    answer: tuple[int, str, str, str] | None = None,
) -> tuple[list[str], list[object]]:
    """The keys and arguments of the function call that checks ``token`` and applies
    (seq, time, position, playing) beats in one Redis round trip (``run_beat``, or from the
    event loop ``run_on_loop``). ``answer`` (check id, as given, its letters, stripped) settles
    the open attention check first; ``factor`` scales the interval to the check after a passed
    one."""
    packed = ";".join(f"{seq},{ts},{pos},{1 if playing else 0}" for seq, ts, pos, playing in beats)
    keys, wm = beat_keys(token, session_id)
    args = ["beat", wm, now_s, STATE_TTL_S, kind, packed, f"{factor:.6f}"]
    args += answer if answer is not None else ["", "", "", ""]
    return keys, args


def loop_client():
    """The event loop's own connection to the app's Redis (``backend.loop_redis``), or None
    where a beat's call goes through the app's client (a cluster, TLS, the stand-in)."""
    if current_app.extensions.get("redis_embedded") or not current_app.config.get(
        "BEAT_REDIS_FROM_LOOP", True
    ):
        return None
    return loop_redis.client_for(redis_store.client)


async def run_on_loop(conn, keys: list[str], args: list[object]) -> LiveReply:
    """``beat_call``'s function call sent from the event loop through ``conn`` (``loop_client``),
    awaited without blocking the loop; loads the library first where Redis lacks it."""
    command = hiredis.pack_command(("FCALL", FUNCTION, len(keys), *keys, *args))
    try:
        return LiveReply.parse_beat(await conn.call(command))
    except ResponseError as exc:
        if not _not_loaded(exc):
            raise
    redis_store.client.function_load(LIBRARY, replace=True)  # once per new or restarted Redis
    return LiveReply.parse_beat(await conn.call(command))


def _fcall(client, keys: list[str], args: list[object], held: bool):
    """FCALL; ``held``: on this thread's own connection, without redis-py's per-command layers."""
    # The beat's only round trip. Taking a pooled connection and giving it back costs a fork
    # check, two locks, an event and four metric calls each way; execute_command's retry and
    # metrics layers add more than the beat's own logic.
    pool = getattr(client, "connection_pool", None)
    if not held or pool is None or pool.connection_class is not Connection:
        # Not the beat, or a Redis Cluster (routed by the keys' slot).
        return client.fcall(FUNCTION, len(keys), *keys, *args)
    conn = _held_connection(pool)
    try:
        # Packed by hiredis in one C call: redis-py encodes each of the 18 arguments in Python
        # first (about 10 us a beat).
        command = hiredis.pack_command(("FCALL", FUNCTION, len(keys), *keys, *args))
        conn.send_packed_command([command])
        return conn.read_response()
    except ResponseError:
        raise  # an error reply (the library not loaded): the connection is fine
    except BaseException:
        conn.disconnect()  # a broken or half-read socket is never used again; the next
        raise  # command reconnects


_held = threading.local()


class _Held:
    """A connection this thread took from a pool, given back when the thread ends."""

    def __init__(self, pool) -> None:
        self.pool, self.pid, self.conn = pool, os.getpid(), pool.get_connection()

    def __del__(self) -> None:
        # The thread's locals are dropped when it ends: a server that starts a thread per
        # request (the development server) would otherwise keep every connection in use
        # until the pool has none left.
        if self.pid == os.getpid():
            self.pool.release(self.conn)


def _held_connection(pool):
    """This thread's connection from ``pool``: taken once and kept while the thread lives (it
    stays counted as in use, so closing the pool closes it too); a new one after a fork."""
    held = getattr(_held, "by_pool", None)
    if held is None:
        held = _held.by_pool = weakref.WeakKeyDictionary()
    entry = held.get(pool)
    if entry is None or entry.pid != os.getpid():
        entry = held[pool] = _Held(pool)
    return entry.conn


# The session hash keeps the fields a beat changes packed in one, "h" (see the script); state
# written before that layout has each its own field. Every reader goes through read_state.
_PACKED = ("st", "last", "seq", "play", "pos", "cred", "rem", "cs", "cnext", "fs", "fnext")
_READ = ("h", "cred", "last", "pos", "play", "st")


def read_state(values: list[str | None]) -> dict[str, str] | None:
    """A session's credit, last beat, position, playing and status from ``_READ``'s values, in
    either layout; None when Redis holds no such session."""
    packed, *separate = values
    if packed is not None:
        return dict(zip(_PACKED, packed.split("|"), strict=False))
    if separate[0] is None:
        return None
    return dict(zip(_READ[1:], separate, strict=True))


def peek(session_id: int, trainee_id: int) -> tuple[int, int] | None:
    """A live session's (credited seconds, position) without changing it, or None."""
    client = redis_store.client
    state = read_state(client.hmget(state_key(session_id, trainee_id), *_READ))
    if state is None:
        return None
    return int(float(state["cred"])), int(float(state["pos"] or 0))


@dataclass(frozen=True)
class LiveState:
    """What Redis knows of a session now: credit so far, last beat, position, status."""

    cred: int
    last: int
    pos: int
    play: bool
    st: str


def peek_many(sessions: list[tuple[int, int]]) -> dict[int, LiveState]:
    """The live state of several (session id, trainee id) in one round trip (sessions Redis
    lost are left out)."""
    if not sessions:
        return {}
    session_ids = [session_id for session_id, _ in sessions]
    pipe = redis_store.client.pipeline(transaction=False)
    for session_id, trainee_id in sessions:
        pipe.hmget(state_key(session_id, trainee_id), *_READ)
    found = {}
    for session_id, values in zip(session_ids, pipe.execute(), strict=True):
        state = read_state(values)
        if state is not None:
            found[session_id] = LiveState(
                int(float(state["cred"])),
                int(float(state["last"] or 0)),
                int(float(state["pos"] or 0)),
                state["play"] == "1",
                state["st"],
            )
    return found
