"""The real app for the benchmark; BENCH_COUNT_SQL=1 counts every SQL statement in Redis, under
``BENCH_SQL_COUNTER`` (the servers count as "request", the drainer as "drainer")."""

from __future__ import annotations

import os

from sqlalchemy import event
from sqlalchemy.engine import Engine

from backend import create_app

app = create_app()

if os.environ.get("BENCH_COUNT_SQL") == "1":
    _counter_key = (
        app.config["REDIS_PREFIX"] + "bench:sql:" + os.environ.get("BENCH_SQL_COUNTER", "request")
    )

    @event.listens_for(Engine, "before_cursor_execute")
    def _count(conn, cursor, statement, parameters, context, executemany):
        # An executemany runs its statement once per parameter set: each counts.
        app.extensions["redis"].incr(_counter_key, len(parameters) if executemany else 1)
