"""A bounded HTTP load generator for 127.0.0.1 only: processes x threads, one request at a time
per connection, a fixed number of requests and a hard deadline, then it stops by itself.
Connections are kept alive (as the mini-program's ``wx.request`` does) unless told not to."""

from __future__ import annotations

import json
import multiprocessing
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

HOST = "127.0.0.1"  # never anywhere else


@dataclass
class Target:
    """What to send: the URL pattern and, per session, its id and bearer token."""

    port: int
    path: str  # with {session_id}
    sessions: list[tuple[int, str]]
    keep_alive: bool = True


@dataclass
class LoadResult:
    """Latencies (seconds) and status counts of the measured requests."""

    latencies: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    started: float = 0.0
    finished: float = 0.0
    server_cpu_s: float = 0.0  # filled in by the caller when it can measure it

    @property
    def requests(self) -> int:
        """How many requests were measured."""
        return len(self.latencies)

    @property
    def rps(self) -> float:
        """Requests per second over the measured window."""
        return self.requests / max(self.finished - self.started, 1e-9)

    def percentile(self, p: float) -> float:
        """The latency at percentile ``p`` (0-100), in milliseconds."""
        ordered = sorted(self.latencies)
        index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))
        return ordered[index] * 1000


def _request(target: Target, session_id: int, token: str, seq: int) -> bytes:
    body = json.dumps(
        {
            "seq": seq,
            "client_ts": int(time.time() * 1000),
            "position_s": seq,
            "playing": True,
        }
    ).encode()
    head = (
        f"POST {target.path.format(session_id=session_id)} HTTP/1.1\r\n"
        f"Host: {HOST}:{target.port}\r\n"
        f"Authorization: Bearer {token}\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n"
        f"Connection: {'keep-alive' if target.keep_alive else 'close'}\r\n\r\n"
    )
    return head.encode() + body


def _send(port: int, payload: bytes) -> int:
    with socket.create_connection((HOST, port), timeout=10) as sock:
        sock.sendall(payload)
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    response = b"".join(chunks)
    return int(response[9:12]) if response.startswith(b"HTTP/1.") else 0


class _KeptAlive:
    """One persistent connection; reconnects when the server closed it."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.sock: socket.socket | None = None
        self.buffer = b""

    def send(self, payload: bytes) -> int:
        if self.sock is None:
            self.sock = socket.create_connection((HOST, self.port), timeout=10)
            self.buffer = b""
        try:
            self.sock.sendall(payload)
            return self._response()
        except OSError:
            self.close()
            raise

    def _response(self) -> int:
        while b"\r\n\r\n" not in self.buffer:
            self._fill()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        while len(self.buffer) < length:
            self._fill()
        self.buffer = self.buffer[length:]
        if b"connection: close" in head.lower():
            self.close()
        return int(head[9:12]) if head.startswith(b"HTTP/1.") else 0

    def _fill(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed by the server")
        self.buffer += chunk

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
        self.sock = None


def _connection(target, sessions, count, seq_base, deadline, result, lock):
    latencies, statuses = [], Counter()
    kept = _KeptAlive(target.port) if target.keep_alive else None
    for n in range(count):
        if time.monotonic() > deadline:
            break
        session_id, token = sessions[n % len(sessions)]
        # Each session has one connection, so its beats go out in order.
        payload = _request(target, session_id, token, seq_base + n // len(sessions) + 1)
        began = time.perf_counter()
        try:
            status = kept.send(payload) if kept else _send(target.port, payload)
        except OSError:
            status = 0
        latencies.append(time.perf_counter() - began)
        statuses[status] += 1
    if kept:
        kept.close()
    with lock:
        result.latencies += latencies
        result.statuses.update(statuses)


def _process(target, slices, count, seq_base, time_limit, queue):
    result, lock = LoadResult(), threading.Lock()
    deadline = time.monotonic() + time_limit
    threads = [
        threading.Thread(
            target=_connection, args=(target, s, count, seq_base, deadline, result, lock)
        )
        for s in slices
    ]
    result.started = time.time()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.finished = time.time()
    queue.put((result.latencies, dict(result.statuses), result.started, result.finished))


def run(
    target: Target,
    *,
    requests: int,
    connections: int = 32,
    processes: int = 2,
    seq_base: int = 0,
    time_limit: float = 60.0,
) -> LoadResult:
    """Send ``requests`` beats over ``connections`` connections within ``time_limit`` seconds."""
    # Sessions are split so that each has exactly one connection: its beats stay in order.
    slices = [target.sessions[i::connections] for i in range(connections)]
    per_connection = requests // connections
    queue: multiprocessing.Queue = multiprocessing.Queue()
    workers = [
        multiprocessing.Process(
            target=_process,
            args=(target, slices[p::processes], per_connection, seq_base, time_limit, queue),
        )
        for p in range(processes)
    ]
    for worker in workers:
        worker.start()
    result = LoadResult(started=float("inf"))
    for _ in workers:
        latencies, statuses, started, finished = queue.get(timeout=time_limit + 60)
        result.latencies += latencies
        result.statuses.update(statuses)
        result.started = min(result.started, started)
        result.finished = max(result.finished, finished)
    for worker in workers:
        worker.join(timeout=10)
    return result


def beats_per_session(requests: int, connections: int, sessions: int) -> int:
    """An upper bound of the beats one session gets in a run (to continue seq numbers)."""
    per_connection = requests // connections
    per_slice = max(1, sessions // connections)
    return per_connection // per_slice + 1
