"""Another admin's transaction on its own connection, to lose a race against for real."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from sqlalchemy import Executable, create_engine, text

from backend.extensions import db

_WAITING_FOR = text("SELECT count(*) FROM pg_stat_activity WHERE :pid = ANY(pg_blocking_pids(pid))")


@dataclass
class Rival:
    """What the rival saw: whether one of our statements waited for its uncommitted row."""

    blocked_us: bool = False
    error: BaseException | None = None


@contextmanager
def rival_commits_when_we_wait(statement: Executable, timeout_s: float = 10) -> Iterator[Rival]:
    """Run ``statement`` uncommitted elsewhere; commit it once our own write waits for its lock.

    Inside the block our check cannot see the rival's row (it is not committed yet), and our
    write of the same unique value waits for it: exactly two admins saving at the same moment.
    """
    if db.engine.dialect.name != "postgresql":
        pytest.skip("waiting on another transaction's row is observed through PostgreSQL views")
    engine = create_engine(db.engine.url)
    rival = Rival()
    written = threading.Event()

    def run() -> None:
        try:
            with engine.connect() as conn, engine.connect() as watcher:
                watcher.execution_options(isolation_level="AUTOCOMMIT")
                conn.execute(statement)
                pid = conn.scalar(text("SELECT pg_backend_pid()"))
                written.set()
                deadline = time.monotonic() + timeout_s
                while not rival.blocked_us and time.monotonic() < deadline:
                    rival.blocked_us = bool(watcher.scalar(_WAITING_FOR, {"pid": pid}))
                    time.sleep(0.01)
                conn.commit()
        except BaseException as exc:  # handed to the test, which fails with it
            rival.error = exc
        finally:
            written.set()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    written.wait(timeout_s)
    try:
        yield rival
    finally:
        thread.join(timeout_s)
        engine.dispose()
    if rival.error is not None:
        raise rival.error
