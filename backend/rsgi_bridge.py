"""The WSGI app served over granian's RSGI interface: every request body is read by the event
loop, each read bounded in time, before a thread runs the app (issue 25, item 2).

granian's own WSGI interface reads a body lazily, inside the request's thread, with no time
bound (its ``wsgi.input.read`` blocks the thread on the socket): a client that announced
``Content-Length: 1000`` and sent 5 bytes held one of a worker's threads for as long as it kept
the connection open, and four of them stopped the app. Here the loop reads the body
asynchronously (a stalled client holds a coroutine, never a thread) with at most
``REQUEST_READ_TIMEOUT_S`` between two reads (else 408 and the connection closed), refuses a
body over its route's limit before reading it (413), and only then hands the request, its body
buffered, to one of a fixed pool of threads that runs the WSGI app (``threads=0``: the loop runs
the app itself, one request at a time per worker; cheaper, no thread hop, but a slow request
then holds the worker's loop, and every request waiting on it, until it ends).

Live heartbeats are the exception even with threads: the loop runs them itself. They are most
of the traffic, each a few hundred bytes answered by one Redis call (bounded by the Redis
client's socket timeout), and handing one to a thread and back cost about as much CPU as the
beat's own work (bench/heartbeat.py); a beat briefly delays the loop, never for long. The
app's beat route (miniprogram_api/heartbeat_route.py) answers them from the RSGI scope itself,
without a WSGI environ, its Redis call awaited on the loop (backend/loop_redis.py), so the loop
serves other beats meanwhile; what it refuses goes to the app like any request.

    granian --interface rsgi --factory backend.rsgi_app:from_environ   (config/granian.py)
"""

from __future__ import annotations

import asyncio
import io
import json
import queue
import re
import sys
import tempfile
import threading
import time
from collections.abc import Callable

# Bodies this small are read in one await under one deadline; larger ones chunk by chunk.
SMALL_BODY = 64 * 1024
# A body above this goes to a temporary file (a media upload may be 2 GB), not memory.
SPOOL_IN_MEMORY = 1024 * 1024
# A streamed response goes to the client in pieces about this large (fewer loop round trips).
STREAM_PIECE = 64 * 1024
_ERRORS = {
    408: ("request_timeout", "请求超时，请重新发送"),
    413: ("payload_too_large", "请求内容过大"),
}

BodyLimit = Callable[[str, str], int | None]


def _error(status: int) -> tuple[list[tuple[str, str]], bytes]:
    code, message = _ERRORS[status]
    body = json.dumps({"error": {"code": code, "message": message}}, ensure_ascii=False).encode()
    # The rest of the body is never read: the connection cannot carry another request.
    headers = [("content-type", "application/json"), ("connection", "close")]
    return headers, body


class _Refused(Exception):
    def __init__(self, status: int) -> None:
        self.status = status


class WSGIOverRSGI:
    """An RSGI application that runs ``wsgi_app`` in ``threads`` threads on buffered bodies."""

    def __init__(
        self,
        wsgi_app,
        *,
        threads: int,
        read_timeout_s: float,
        body_limit: BodyLimit,
        inline_path: re.Pattern | None = None,
        beat_route=None,
    ) -> None:
        self.wsgi_app = wsgi_app
        self.inline_path = inline_path
        # The app's live-heartbeat route (miniprogram_api/heartbeat_route.py), answered here
        # from the RSGI scope: no WSGI environ is built for a beat it answers.
        self.beat_route = beat_route if inline_path is not None else None
        self.read_timeout_s = read_timeout_s
        self.body_limit = body_limit
        # Plain threads on a SimpleQueue, each answering the client itself: half the CPU of a
        # ThreadPoolExecutor's round trip through the loop (bench/beat_cost.py).
        self.jobs: queue.SimpleQueue = queue.SimpleQueue()
        self.threads = [
            threading.Thread(target=self._work, name=f"wsgi-{n}", daemon=True)
            for n in range(threads)
        ]
        for thread in self.threads:
            thread.start()
        self.base_environ = {
            "SCRIPT_NAME": "",
            "wsgi.version": (1, 0),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
            # The body is whole: read to its end (werkzeug's reading of a chunked body).
            "wsgi.input_terminated": True,
        }

    def __rsgi_del__(self, loop) -> None:
        for _ in self.threads:
            self.jobs.put(None)

    async def __rsgi__(self, scope, proto) -> None:
        if scope.proto != "http":
            return  # no websockets here
        if self.beat_route is not None and scope.method == "POST":
            match = self.inline_path.fullmatch(scope.path)
            if match is not None:
                await self._live_beat(scope, proto, int(match.group(1)))
                return
        environ = self._environ(scope)
        try:
            environ["wsgi.input"] = await self._body(scope, environ, proto)
        except _Refused as refused:
            proto.response_bytes(refused.status, *_error(refused.status))
            return
        except (ConnectionError, RuntimeError):  # the client went away while sending
            return
        if not self.threads or self._runs_inline(scope.method, environ["PATH_INFO"]):
            # GRANIAN_BLOCKING_THREADS=0, or a live beat: on the loop itself, one at a time.
            await self._inline(environ, proto)
            return
        await self._dispatch(environ, proto)

    async def _live_beat(self, scope, proto, session_id: int) -> None:
        """A live heartbeat, on the loop: answered from the scope by the beat route, or (a
        bad body, a refused beat) by the app like any request."""
        started = time.perf_counter()
        headers = scope.headers
        length = headers.get("content-length", "")
        route = self.beat_route
        token = route.eligible(
            session_id, headers.get("authorization", ""), headers.get("content-type", ""), length
        )
        body = None
        if token is not None:  # a short body, its length declared: read in one await
            try:
                async with asyncio.timeout(self.read_timeout_s):
                    body = await proto()
            except TimeoutError:
                proto.response_bytes(408, *_error(408))
                return
            except (ConnectionError, RuntimeError):  # the client went away while sending
                return
            incoming = headers.get("x-request-id", "")
            answered = await route.answer_on_loop(
                session_id, token, body, incoming, scope.path, started
            )
            if answered is not None:
                proto.response_bytes(*answered)
                return
        # Not the beat route's to answer: the app says why, like any request (on a thread).
        environ = self._environ(scope)
        app = None
        if body is None:
            try:
                environ["wsgi.input"] = await self._body(scope, environ, proto)
            except _Refused as refused:
                proto.response_bytes(refused.status, *_error(refused.status))
                return
            except (ConnectionError, RuntimeError):
                return
        else:  # read, then refused by the beat route: straight to the app behind it
            environ["wsgi.input"] = io.BytesIO(body)

            def app(environ, start_response):
                return route.hand_on(environ, body, start_response)

        await self._dispatch(environ, proto, app)

    async def _dispatch(self, environ: dict, proto, app=None) -> None:
        """Run ``app`` (default the WSGI app) on one of the threads, or on the loop without."""
        if not self.threads:
            await self._inline(environ, proto, app)
            return
        loop = asyncio.get_running_loop()
        answered = loop.create_future()
        self.jobs.put((environ, proto, loop, answered, app))
        # granian answers 500 for a request whose coroutine ends unanswered: wait for the thread.
        await answered

    def _runs_inline(self, method: str, path: str) -> bool:
        return (
            self.inline_path is not None
            and method == "POST"
            and self.inline_path.fullmatch(path) is not None
        )

    def _environ(self, scope) -> dict:
        server, _, port = scope.server.rpartition(":")
        environ = self.base_environ | {
            "REQUEST_METHOD": scope.method,
            # PEP 3333: the percent-decoded path's bytes, as latin-1 (granian decodes UTF-8).
            "PATH_INFO": scope.path.encode("utf-8", "surrogateescape").decode("latin-1"),
            "QUERY_STRING": scope.query_string,
            "SERVER_NAME": server.strip("[]"),
            "SERVER_PORT": port,
            "SERVER_PROTOCOL": "HTTP/" + scope.http_version,
            "REMOTE_ADDR": scope.client.rpartition(":")[0].strip("[]"),
            "wsgi.url_scheme": scope.scheme,
        }
        for name, value in scope.headers.items():
            if name == "content-type":
                key = "CONTENT_TYPE"
            elif name == "content-length":
                key = "CONTENT_LENGTH"
            else:
                key = "HTTP_" + name.upper().replace("-", "_")
            if key in environ:  # a repeated header: one value, as a WSGI server joins them
                value = environ[key] + ("; " if name == "cookie" else ",") + value
            environ[key] = value
        if "HTTP_HOST" not in environ and scope.authority:
            environ["HTTP_HOST"] = scope.authority
        return environ

    async def _body(self, scope, environ: dict, proto):
        """The whole body, as a file; raises _Refused (408, 413)."""
        declared = environ.get("CONTENT_LENGTH", "")
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if not chunked and not declared.isdigit():
            # None, or a malformed length (the app answers 400): nothing to read.
            return io.BytesIO()
        length = None if chunked else int(declared)
        try:
            if length == 0:
                return io.BytesIO()
            if length is not None and length <= SMALL_BODY:
                async with asyncio.timeout(self.read_timeout_s):
                    return io.BytesIO(await proto())
            limit = self.body_limit(environ["PATH_INFO"], scope.method)
            if limit is not None and length is not None and length > limit:
                raise _Refused(413)
            body = await self._spooled(proto, limit)
        except TimeoutError:
            raise _Refused(408) from None
        if chunked:  # its length is known now (werkzeug reads to the end either way)
            environ["CONTENT_LENGTH"] = str(body.seek(0, io.SEEK_END))
            body.seek(0)
        return body

    async def _spooled(self, proto, limit: int | None):
        """The body read chunk by chunk into a temporary file, at most ``read_timeout_s``
        between two chunks."""
        loop = asyncio.get_running_loop()
        # Handed to the app as wsgi.input; _run closes it once the app has answered.
        spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115
        try:
            async with asyncio.timeout(self.read_timeout_s) as deadline:
                async for chunk in proto:
                    spool.write(chunk)
                    if limit is not None and spool.tell() > limit:
                        raise _Refused(413)
                    deadline.reschedule(loop.time() + self.read_timeout_s)
        except BaseException:
            spool.close()
            raise
        spool.seek(0)
        return spool

    def _work(self) -> None:
        """A thread: run the app on each request put in ``jobs`` and answer it."""
        while (job := self.jobs.get()) is not None:
            environ, proto, loop, answered, app = job
            try:
                self._run(environ, proto, loop, app)
            except BaseException as exc:  # granian logs it and answers 500
                loop.call_soon_threadsafe(_settle, answered, exc)
            else:
                loop.call_soon_threadsafe(_settle, answered, None)

    def _run(self, environ: dict, proto, loop, app=None) -> None:
        """Call the app and send its answer: whole when short, else streamed."""
        body = environ["wsgi.input"]  # middleware may wrap it: close this one
        started, result = _call(app or self.wsgi_app, environ)
        try:
            pieces, size, chunks = [], 0, iter(result)
            for chunk in chunks:
                pieces.append(chunk)
                size += len(chunk)
                if size >= STREAM_PIECE:  # a large answer (an export, a file): stream it
                    _stream(proto, loop, started, pieces, chunks)
                    return
            proto.response_bytes(started[0], started[1], b"".join(pieces))
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
            body.close()

    async def _inline(self, environ: dict, proto, app=None) -> None:
        """Call the app (or ``app``) on the event loop's thread (no thread hop; the loop waits
        for it)."""
        body = environ["wsgi.input"]
        started, result = _call(app or self.wsgi_app, environ)
        try:
            pieces, size, chunks, transport = [], 0, iter(result), None
            for chunk in chunks:
                pieces.append(chunk)
                size += len(chunk)
                if size >= STREAM_PIECE:
                    transport = transport or proto.response_stream(*started)
                    await _send(transport, pieces)
                    pieces, size = [], 0
            if transport is None:
                proto.response_bytes(started[0], started[1], b"".join(pieces))
            elif pieces:
                await _send(transport, pieces)
        except (ConnectionError, RuntimeError):  # the client went away
            return
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
            body.close()


def _call(app, environ: dict) -> tuple[list, object]:
    """Call a WSGI app: [status, headers] (filled once it starts its answer) and its body."""
    started: list = []

    def start_response(status: str, headers, exc_info=None):
        if exc_info and started:
            raise exc_info[1].with_traceback(exc_info[2])
        started[:] = [int(status[:3]), list(headers)]

    return started, app(environ, start_response)


def _settle(answered: asyncio.Future, error: BaseException | None) -> None:
    if answered.done():  # cancelled: the client went away
        return
    if error is None:
        answered.set_result(None)
    else:
        answered.set_exception(error)


def _stream(proto, loop, started: list, pieces: list[bytes], chunks) -> None:
    """Send the answer in pieces of about STREAM_PIECE bytes, each through the loop."""
    transport = proto.response_stream(*started)
    try:
        size = STREAM_PIECE
        for chunk in chunks:
            if size >= STREAM_PIECE:
                asyncio.run_coroutine_threadsafe(_send(transport, pieces), loop).result()
                pieces, size = [], 0
            pieces.append(chunk)
            size += len(chunk)
        if pieces:
            asyncio.run_coroutine_threadsafe(_send(transport, pieces), loop).result()
    except (ConnectionError, RuntimeError):  # the client went away
        return


async def _send(transport, pieces: list[bytes]) -> None:
    await transport.send_bytes(b"".join(pieces))
