"""The credit drain: moves credited spans from the Redis stream to the database in batches.

Beats only append to their partition's stream (``live_state.lua``; one stream per partition
of the trainees, ``REDIS_PARTITIONS``, so that a Redis Cluster spreads them): credited spans,
and every attention check opened, answered or expired. One or more drainers (``flask
drain-credit``, or a thread of the development server) read every partition's stream through
its consumer group, in turn, write each batch in one transaction
(``credit_drain.write_spans``), and only then acknowledge its entries and trim the written
head of each stream. A drainer that dies leaves its entries
pending; another one takes them over once they have been idle for ``claim_idle_ms``
(XAUTOCLAIM). Writing a batch twice adds nothing, so taking over never doubles credit.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from dataclasses import dataclass

from redis.exceptions import RedisError, ResponseError
from sqlalchemy.exc import SQLAlchemyError

from backend.clock import now
from backend.extensions import db, redis_store
from backend.services.learning.check_drain import CheckRow, is_check, write_checks
from backend.services.learning.credit_drain import SpanRow, write_spans
from backend.services.learning.live import epoch_s, stream_keys
from backend.services.learning.span_seal import seal_due

log = logging.getLogger(__name__)

GROUP = "drain"
BATCH = 1000  # entries per transaction at most
PACE_S = 0.5  # a drainer that found less than a full batch waits this long: batches, not rows
CLAIM_IDLE_MS = 5000  # entries unacknowledged this long belong to a dead drainer
SEAL_EVERY_S = 5.0  # how often a drainer seals the open spans that are due (span_seal)


@dataclass(frozen=True)
class DrainResult:
    """What one batch did."""

    entries: int
    seconds: int  # credited seconds newly written
    lag_ms: int  # age of the batch's oldest entry when it was committed (0 if empty)


def default_consumer() -> str:
    """A consumer name unique to this process."""
    return f"{socket.gethostname()}-{os.getpid()}"


def ensure_group(key: str | None = None) -> None:
    """Create the consumer group (and the stream) of ``key``, or of every partition's stream,
    unless they exist."""
    for stream in [key] if key is not None else stream_keys():
        try:
            redis_store.client.xgroup_create(stream, GROUP, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise


def acknowledge(read: list[tuple[str, list[str]]]) -> None:
    """Acknowledge written entries, (stream, ids in the order read) of each stream read, and
    remove what every drainer has written from the head of those streams."""
    # Every entry up to the last one read here has been delivered (the group delivers in id
    # order), so below both the oldest entry still pending (read, not yet written) and the
    # last one read here, every entry has been written and acknowledged. Trimming there removes
    # whole nodes of the stream: XDEL of each written id cost Redis about 7 us a span under
    # load. An entry delivered after XPENDING comes after the last one read here; one still
    # pending holds the bound below it. Two round trips a batch, whatever the streams: the
    # acknowledgements with what is pending, then the trims.
    client = redis_store.client
    pipe = client.pipeline(transaction=False)
    for key, ids in read:
        pipe.xack(key, GROUP, *ids)
        pipe.xpending(key, GROUP)
    pending = pipe.execute()[1::2]
    trim = client.pipeline(transaction=False)
    for (key, ids), left in zip(read, pending, strict=True):
        if left["pending"]:
            bound = left["min"]
        else:
            ms, _, seq = ids[-1].partition("-")  # read in id order: the last is the highest
            bound = f"{ms}-{int(seq or 0) + 1}"  # MINID keeps what is at or after it
        trim.xtrim(key, minid=bound, approximate=False)
    trim.execute()


class Drainer:
    """One consumer of the credit stream (call inside an app context)."""

    def __init__(
        self, consumer: str | None = None, *, batch: int = BATCH, claim_idle_ms: int = CLAIM_IDLE_MS
    ) -> None:
        self.consumer = consumer or default_consumer()
        self.batch = batch
        self.claim_idle_ms = claim_idle_ms
        # The streams this consumer may have read entries of that it has not written: a
        # restarted consumer first finishes what it had read.
        self._retry_own: set[str] | None = None  # None: every stream
        self._next = 0  # the partition to read first next time (each gets its turn)
        # When each stream was last looked at for a dead drainer's entries (XAUTOCLAIM): at
        # most every claim_idle_ms / 2, not every batch (a round trip per stream per batch,
        # for entries that only become claimable claim_idle_ms after their drainer died).
        self._claim_checked: dict[str, float] = {}
        self._sealed_at = 0.0  # time.monotonic() of the last sealing pass

    def _held_or_claimed(self, key: str, count: int) -> list[tuple[str, dict]]:
        """Entries of ``key`` this consumer read and has not written, else those a dead drainer
        left (looked for at most every claim_idle_ms / 2): none, mostly, and no round trip."""
        client = redis_store.client
        if self._retry_own is None or key in self._retry_own:
            own = client.xreadgroup(GROUP, self.consumer, {key: "0"}, count=count)
            entries = own[0][1] if own else []
            if entries:
                return entries
            if self._retry_own is None:
                self._retry_own = set(stream_keys())
            self._retry_own.discard(key)
        if time.monotonic() - self._claim_checked.get(key, -1e9) >= self.claim_idle_ms / 2000:
            claimed = client.xautoclaim(
                key, GROUP, self.consumer, self.claim_idle_ms, start_id="0-0", count=count
            )
            if claimed[1]:
                return claimed[1]  # looked at again next batch: there may be more
            self._claim_checked[key] = time.monotonic()
        return []

    def _fresh(self, keys: list[str], counts: list[int]) -> list[list[tuple[str, dict]]]:
        """New entries of each stream, up to its count, in one pipelined round trip."""
        pipe = redis_store.client.pipeline(transaction=False)
        for key, count in zip(keys, counts, strict=True):
            pipe.xreadgroup(GROUP, self.consumer, {key: ">"}, count=count)
        found = []
        for key, count, reply in zip(keys, counts, pipe.execute(raise_on_error=False), strict=True):
            if isinstance(reply, ResponseError):
                if "NOGROUP" not in str(reply):
                    raise reply
                # Redis lost the stream (a flush, a restart without persistence)
                ensure_group(key)
                reply = redis_store.client.xreadgroup(GROUP, self.consumer, {key: ">"}, count=count)
            found.append(reply[0][1] if reply else [])
        return found

    def _read(self) -> list[tuple[str, list[tuple[str, dict]]]]:
        """Up to a batch of entries, from the partitions' streams in turn: (stream, entries)."""
        keys = stream_keys()
        order = [keys[(self._next + turn) % len(keys)] for turn in range(len(keys))]
        self._next = (self._next + 1) % len(keys)
        got: dict[str, list] = {}
        room = self.batch
        for key in order:
            if room <= 0:
                break
            try:
                entries = self._held_or_claimed(key, room)
            except ResponseError as exc:
                if "NOGROUP" not in str(exc):
                    raise
                ensure_group(key)
                entries = []
            if entries:
                got[key] = entries
                room -= len(entries)
        # New entries: a share of the room from every other stream in one round trip (a
        # round trip a stream cost the drainer more than the entries when most are empty or
        # small), then the rest of the room from those that filled their share, one by one.
        rest = [key for key in order if key not in got]
        if room > 0 and rest:
            share, extra = divmod(room, len(rest))
            counts = [share + (turn < extra) for turn in range(len(rest))]
            rest = [key for key, count in zip(rest, counts, strict=True) if count]  # COUNT 0:
            counts = [count for count in counts if count]  # no limit
            filled = []
            for key, count, entries in zip(rest, counts, self._fresh(rest, counts), strict=True):
                if entries:
                    got[key] = entries
                    room -= len(entries)
                if len(entries) == count:
                    filled.append(key)
            for key in filled:
                if room <= 0:
                    break
                more = self._fresh([key], [room])[0]
                got[key] += more
                room -= len(more)
        return [(key, got[key]) for key in order if got.get(key)]

    def seal(self) -> int:
        """Seal the open spans nothing may extend any more (``span_seal``); return how many."""
        try:
            sealed = seal_due(epoch_s(now()))
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise
        self._sealed_at = time.monotonic()
        return sealed

    def drain_once(self) -> DrainResult:
        """Write one batch of the stream to the database, then acknowledge it (and every
        ``SEAL_EVERY_S`` seal the open spans that are due)."""
        if time.monotonic() - self._sealed_at >= SEAL_EVERY_S:
            self.seal()
        read = self._read()
        entries = [entry for _, part in read for entry in part]
        if not entries:
            return DrainResult(0, 0, 0)
        rows, checks = [], []
        for _, fields in entries:
            if fields:  # (a pending entry trimmed meanwhile comes back without any)
                if is_check(fields):
                    checks.append(CheckRow.from_entry(fields))
                else:
                    rows.append(SpanRow.from_entry(fields))
        try:
            seconds = write_spans(rows)
            write_checks(checks)
            db.session.commit()
        except BaseException:
            db.session.rollback()
            if self._retry_own is not None:
                self._retry_own.update(key for key, _ in read)
            raise
        acknowledge([(key, [entry_id for entry_id, _ in part]) for key, part in read])
        ids = [entry_id for entry_id, _ in entries]
        oldest_ms = min(int(entry_id.split("-")[0]) for entry_id in ids)
        return DrainResult(len(entries), seconds, max(int(time.time() * 1000) - oldest_ms, 0))

    def run(self, stop: threading.Event | None = None) -> None:
        """Drain until ``stop`` is set, riding out database and Redis outages."""
        stop = stop or threading.Event()
        ensure_group()
        log.info("credit drain started", extra={"consumer": self.consumer})
        while not stop.is_set():
            started = time.monotonic()
            try:
                result = self.drain_once()
            except (SQLAlchemyError, RedisError) as exc:
                # The batch stays pending and is written again once the outage is over.
                log.warning("credit drain batch failed: %s", type(exc).__name__)
                db.session.remove()
                stop.wait(1.0)
                continue
            if result.entries:
                log.debug(
                    "credit drain batch: %d entries, lag %d ms", result.entries, result.lag_ms
                )
            if result.entries < self.batch:
                stop.wait(max(PACE_S - (time.monotonic() - started), 0))
        db.session.remove()


def run_in_thread(app, stop: threading.Event) -> threading.Thread:
    """Start a drainer in a daemon thread of this process (the development server)."""

    def target() -> None:
        with app.app_context():
            Drainer().run(stop)

    thread = threading.Thread(target=target, name="credit-drain", daemon=True)
    thread.start()
    return thread
