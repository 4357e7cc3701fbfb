"""The credit drain: moves credited spans from the Redis stream to the database in batches.

Beats only append to the stream (``live_session.lua``): credited spans, and every attention
check opened, answered or expired. One or more drainers (``flask
drain-credit``, or a thread of the development server) read it through one consumer group,
write each batch in one transaction (``credit_drain.write_spans``), and only then acknowledge
its entries and trim the written head of the stream. A drainer that dies leaves its entries
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
from backend.services.learning.live import epoch_s, stream_key
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


def ensure_group() -> None:
    """Create the consumer group (and the stream) unless they exist."""
    try:
        redis_store.client.xgroup_create(stream_key(), GROUP, id="0", mkstream=True)
    except ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise


def acknowledge(ids: list[str]) -> None:
    """Acknowledge written entries and remove what every drainer has written from the head
    of the stream."""
    # Below both the oldest entry still pending (read, not yet written) and the group's last
    # delivered one, every entry has been written and acknowledged. Trimming there removes
    # whole nodes of the stream: XDEL of each written id cost Redis about 7 µs a span under
    # load. Both bounds are read in the acknowledging transaction, so they describe one moment.
    client, key = redis_store.client, stream_key()
    pipe = client.pipeline(transaction=True)
    pipe.xack(key, GROUP, *ids)
    pipe.xpending(key, GROUP)
    pipe.xinfo_groups(key)
    _, pending, groups = pipe.execute()
    delivered = next((g["last-delivered-id"] for g in groups if g["name"] == GROUP), None)
    if delivered is None:
        return
    ms, _, seq = delivered.partition("-")
    bound = f"{ms}-{int(seq or 0) + 1}"  # MINID keeps what is at or after it
    if pending["pending"]:
        bound = pending["min"]  # never after the last delivered one
    client.xtrim(key, minid=bound, approximate=False)


class Drainer:
    """One consumer of the credit stream (call inside an app context)."""

    def __init__(
        self, consumer: str | None = None, *, batch: int = BATCH, claim_idle_ms: int = CLAIM_IDLE_MS
    ) -> None:
        self.consumer = consumer or default_consumer()
        self.batch = batch
        self.claim_idle_ms = claim_idle_ms
        self._retry_own = True  # a restarted consumer first finishes what it had read
        self._sealed_at = 0.0  # time.monotonic() of the last sealing pass

    def _read(self) -> list[tuple[str, dict]]:
        client, key = redis_store.client, stream_key()
        if self._retry_own:
            own = client.xreadgroup(GROUP, self.consumer, {key: "0"}, count=self.batch)
            entries = own[0][1] if own else []
            if entries:
                return entries
            self._retry_own = False
        claimed = client.xautoclaim(
            key, GROUP, self.consumer, self.claim_idle_ms, start_id="0-0", count=self.batch
        )
        if claimed[1]:
            return claimed[1]
        fresh = client.xreadgroup(GROUP, self.consumer, {key: ">"}, count=self.batch)
        return fresh[0][1] if fresh else []

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
        try:
            entries = self._read()
        except ResponseError as exc:
            if "NOGROUP" not in str(exc):
                raise
            ensure_group()  # Redis lost the stream (a flush, a restart without persistence)
            entries = self._read()
        if not entries:
            return DrainResult(0, 0, 0)
        rows = [SpanRow.from_entry(f) for _, f in entries if f and not is_check(f)]
        checks = [CheckRow.from_entry(f) for _, f in entries if f and is_check(f)]
        try:
            seconds = write_spans(rows)
            write_checks(checks)
            db.session.commit()
        except BaseException:
            db.session.rollback()
            self._retry_own = True
            raise
        ids = [entry_id for entry_id, _ in entries]
        acknowledge(ids)
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
