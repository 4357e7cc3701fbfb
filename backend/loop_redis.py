"""Redis calls from an app server's event loop, without blocking it: one pipelined connection
per loop (backend/rsgi_bridge.py serves live heartbeats on the loop).

A blocking call on the loop held it for the whole round trip, and each wait handed the GIL to
granian's threads and back: in one alternating run (wrk, 2 granian workers, one GET a request)
a blocking redis-py call cost the worker 94 µs of CPU a request, the same GET sent from the
loop with its answer awaited 41 µs, at 2.3 times the requests a second; Redis itself reads and
answers the requests of many beats per system call then. Commands go out in the order they
are written and Redis answers in that order, so each answer settles the oldest waiting call.

Only a plain Redis over TCP or a Unix socket is served here (``client_for`` says None for a
Redis Cluster, TLS or the embedded stand-in: callers use the app's own client then). Every
call is bounded by the client's socket timeout; one that times out closes the connection, so
the calls behind it fail at once (``redis.ConnectionError``) instead of each waiting its own
timeout, and the next call connects again.
"""

from __future__ import annotations

import asyncio
import collections
import weakref

import hiredis
import redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError


class _Protocol(asyncio.Protocol):
    """One connection: what was sent and not yet answered, oldest first."""

    def __init__(self) -> None:
        self.reader = hiredis.Reader(replyError=ResponseError, encoding="utf-8")
        self.waiting: collections.deque[asyncio.Future] = collections.deque()
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.unsent: list[bytes] = []  # written out together once the loop's turn ends

    def connection_made(self, transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.reader.feed(data)
        try:
            while (reply := self.reader.gets()) is not False:
                waiter = self.waiting.popleft()
                if waiter.done():  # its caller gave up (cancelled): the answer is dropped
                    continue
                if isinstance(reply, ResponseError):
                    waiter.set_exception(reply)
                else:
                    waiter.set_result(reply)
        except hiredis.ProtocolError:
            self.close()

    def connection_lost(self, exc) -> None:
        self.closed = True
        while self.waiting:
            waiter = self.waiting.popleft()
            if not waiter.done():
                waiter.set_exception(RedisConnectionError("Redis closed the connection"))

    def send(self, command: bytes) -> None:
        """Queue ``command``: the commands of every beat the loop runs in one turn go out in
        one write, and Redis reads and answers them in one system call each way."""
        if not self.unsent:
            asyncio.get_running_loop().call_soon(self._flush)
        self.unsent.append(command)

    def _flush(self) -> None:
        unsent, self.unsent = self.unsent, []
        if not self.closed:  # else connection_lost has failed their calls
            self.transport.write(b"".join(unsent))

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.abort()  # connection_lost fails the calls still waiting


class LoopRedis:
    """The app's Redis, from one event loop: ``await call(packed command)``."""

    def __init__(self, settings: dict) -> None:
        self.settings = settings
        self.timeout = settings["timeout"]
        self._conn: _Protocol | None = None
        self._connecting: asyncio.Lock | None = None

    async def call(self, command: bytes):
        """Send one command (packed, ``hiredis.pack_command``) and return Redis's answer;
        raises ``ResponseError`` for an error answer, ``redis.ConnectionError`` and
        ``redis.TimeoutError`` as the app's client does."""
        conn = self._conn
        if conn is None or conn.closed:
            conn = await self._connect()
        return await self._send(conn, command)

    async def _send(self, conn: _Protocol, command: bytes):
        if conn.closed:  # lost since it was taken: nothing would ever answer
            raise RedisConnectionError("Redis closed the connection")
        waiter = asyncio.get_running_loop().create_future()
        conn.waiting.append(waiter)
        conn.send(command)
        try:
            async with asyncio.timeout(self.timeout):
                return await waiter
        except TimeoutError:
            conn.close()
            raise RedisTimeoutError("Timeout reading from Redis") from None

    def close(self) -> None:
        """Close the connection (calls still waiting fail with ``redis.ConnectionError``)."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    async def _connect(self) -> _Protocol:
        if self._connecting is None:
            self._connecting = asyncio.Lock()
        async with self._connecting:  # callers arriving meanwhile share the new connection
            if self._conn is not None and not self._conn.closed:
                return self._conn
            loop = asyncio.get_running_loop()
            s = self.settings
            try:
                async with asyncio.timeout(s["connect_timeout"]):
                    if s.get("path"):
                        _, conn = await loop.create_unix_connection(_Protocol, s["path"])
                    else:
                        _, conn = await loop.create_connection(_Protocol, s["host"], s["port"])
            except (OSError, TimeoutError) as exc:
                raise RedisConnectionError(f"Error connecting to Redis: {exc}") from None
            for command in _handshake(s):
                await self._send(conn, command)
            self._conn = conn
            return conn


# What CLIENT LIST calls these connections (one per app server's event loop).
CLIENT_NAME = "shigang-loop"


def _handshake(settings: dict) -> list[bytes]:
    commands = []
    if settings.get("password"):
        user = [settings["username"]] if settings.get("username") else []
        commands.append(hiredis.pack_command(("AUTH", *user, settings["password"])))
    if settings.get("db"):
        commands.append(hiredis.pack_command(("SELECT", settings["db"])))
    commands.append(hiredis.pack_command(("CLIENT", "SETNAME", CLIENT_NAME)))
    return commands


def settings_of(client) -> dict | None:
    """What a connection from the loop needs of a redis-py client, or None when it is not a
    plain Redis over TCP or a Unix socket (a cluster, TLS, the embedded stand-in)."""
    pool = getattr(client, "connection_pool", None)
    if pool is None or pool.connection_class not in (
        redis.Connection,
        redis.UnixDomainSocketConnection,
    ):
        return None
    kw = pool.connection_kwargs
    timeout = kw.get("socket_timeout") or 2.0
    return {
        "host": kw.get("host", "localhost"),
        "port": int(kw.get("port", 6379)),
        "path": kw.get("path"),
        "db": int(kw.get("db") or 0),
        "username": kw.get("username"),
        "password": kw.get("password"),
        "timeout": timeout,
        "connect_timeout": kw.get("socket_connect_timeout") or timeout,
    }


_by_loop: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def client_for(app_redis) -> LoopRedis | None:
    """This event loop's connection to ``app_redis`` (the app's client), or None where only
    the app's own client serves."""
    loop = asyncio.get_running_loop()
    mine = _by_loop.get(loop)
    if mine is None:
        mine = _by_loop[loop] = {}
    entry = mine.get(id(app_redis))
    if entry is None or entry[0] is not app_redis:  # kept with it: an id can be reused
        settings = settings_of(app_redis)
        entry = mine[id(app_redis)] = (app_redis, LoopRedis(settings) if settings else None)
    return entry[1]
