"""Redis calls from an event loop (backend/loop_redis.py), against the real Redis and, for
what a real one will not do on demand (answer nothing, want a password), a TCP peer that
records what it is sent."""

from __future__ import annotations

import asyncio

import hiredis
import pytest
import redis
import redis.cluster
from redis.exceptions import ResponseError

from backend import loop_redis


def _settings(url: str, **changes) -> dict:
    settings = loop_redis.settings_of(redis.Redis.from_url(url, socket_timeout=2))
    return {**settings, **changes}


def _pack(*args) -> bytes:
    return hiredis.pack_command(args)


class _Opened:
    """A LoopRedis closed when the block ends."""

    def __init__(self, settings: dict) -> None:
        self.conn = loop_redis.LoopRedis(settings)

    async def __aenter__(self) -> loop_redis.LoopRedis:
        return self.conn

    async def __aexit__(self, *exc) -> None:
        self.conn.close()
        await asyncio.sleep(0)  # the transport closes on the loop's next turn


def test_calls_in_flight_together_get_their_own_answers(redis_url):
    async def run():
        async with _Opened(_settings(redis_url)) as conn:
            return await asyncio.gather(*(conn.call(_pack("ECHO", f"b{n}")) for n in range(200)))

    answers = asyncio.run(run())
    assert answers == [f"b{n}" for n in range(200)]


def test_an_error_answer_raises_and_the_connection_goes_on(redis_url):
    async def run():
        async with _Opened(_settings(redis_url)) as conn:
            with pytest.raises(ResponseError, match="Function not found"):
                await conn.call(_pack("FCALL", "shigang_no_such_function", 0))
            return await conn.call(_pack("PING"))

    assert asyncio.run(run()) == "PONG"


def test_the_database_of_the_url_is_selected(redis_url):
    base = redis_url.rsplit("/", 1)[0]
    other = redis.Redis.from_url(f"{base}/3", decode_responses=True)
    other.set("loop-redis-test", "in db 3")
    try:

        async def run():
            async with _Opened(_settings(f"{base}/3")) as conn:
                return await conn.call(_pack("GET", "loop-redis-test"))

        assert asyncio.run(run()) == "in db 3"
    finally:
        other.delete("loop-redis-test")
        other.close()


def test_a_killed_connection_fails_what_waits_and_the_next_call_reconnects(redis_url):
    killer = redis.Redis.from_url(redis_url)

    async def run():
        async with _Opened(_settings(redis_url)) as conn:
            client_id = await conn.call(_pack("CLIENT", "ID"))
            waiting = asyncio.ensure_future(conn.call(_pack("BLPOP", "loop-redis-never", 1)))
            await asyncio.sleep(0.1)
            killer.client_kill_filter(_id=client_id)
            with pytest.raises(redis.ConnectionError):
                await waiting
            return await conn.call(_pack("PING")), await conn.call(_pack("CLIENT", "ID"))

    try:
        pong, new_id = asyncio.run(run())
    finally:
        killer.close()
    assert pong == "PONG"
    assert new_id != 0


class _Peer:
    """A TCP peer that records what it receives and answers +OK to the first ``answer``
    commands only (then nothing, as a hung Redis)."""

    def __init__(self, answer: int) -> None:
        self.answer, self.received, self.handlers = answer, b"", []

    async def handle(self, reader, writer) -> None:
        self.handlers.append(asyncio.current_task())
        parser = hiredis.Reader()
        answered = 0
        try:
            while data := await reader.read(65536):
                self.received += data
                parser.feed(data)
                while parser.gets() is not False:
                    if answered < self.answer:
                        writer.write(b"+OK\r\n")
                        answered += 1
        finally:
            writer.close()
            await writer.wait_closed()


def _served(peer: _Peer, work):
    async def run():
        server = await asyncio.start_server(peer.handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        try:
            return await work(port)
        finally:
            server.close()
            await asyncio.gather(*peer.handlers, return_exceptions=True)

    return asyncio.run(run())


def test_a_password_and_database_are_sent_first():
    peer = _Peer(answer=4)
    settings = {"host": "127.0.0.1", "path": None, "db": 2, "username": "app",
                "password": "s3cret", "timeout": 2.0, "connect_timeout": 2.0}  # fmt: skip

    async def work(port):
        async with _Opened({**settings, "port": port}) as conn:
            return await conn.call(_pack("PING"))

    assert _served(peer, work) == "OK"
    name = _pack("CLIENT", "SETNAME", loop_redis.CLIENT_NAME)
    assert peer.received == (
        _pack("AUTH", "app", "s3cret") + _pack("SELECT", 2) + name + _pack("PING")
    )


def test_a_hung_redis_times_out_and_the_calls_behind_fail_at_once():
    peer = _Peer(answer=1)  # the connection's name, then nothing

    async def work(port):
        settings = {"host": "127.0.0.1", "port": port, "path": None, "db": 0, "username": None,
                    "password": None, "timeout": 0.3, "connect_timeout": 2.0}  # fmt: skip
        async with _Opened(settings) as conn:
            first = asyncio.ensure_future(conn.call(_pack("PING")))
            await asyncio.sleep(0.1)
            behind = asyncio.ensure_future(conn.call(_pack("PING")))
            return await asyncio.gather(first, behind, return_exceptions=True)

    first, behind = _served(peer, work)
    assert isinstance(first, redis.TimeoutError)
    # Sent later, it failed when the first one's timeout closed the connection, not by its own.
    assert isinstance(behind, redis.ConnectionError)
    assert not isinstance(behind, redis.TimeoutError)


def test_only_a_plain_redis_is_served_from_the_loop(redis_url, redis_cluster_url):
    plain = redis.Redis.from_url(redis_url)
    assert loop_redis.settings_of(plain) is not None
    plain.close()
    unix = redis.Redis(unix_socket_path="/tmp/redis.sock")
    assert loop_redis.settings_of(unix)["path"] == "/tmp/redis.sock"
    assert loop_redis.settings_of(redis.Redis.from_url("rediss://127.0.0.1:6390/0")) is None
    cluster = redis.cluster.RedisCluster.from_url(redis_cluster_url)
    try:
        assert loop_redis.settings_of(cluster) is None
    finally:
        cluster.close()
