"""What a credited hour costs in PostgreSQL: the span rows and bytes the drain writes.

It creates its own database (``BENCH_DATABASE_URL``) and Redis key prefix, seeds a running
project (attention checks at the production interval, 1,200 s, answered in the next beat; no
face checks: they need WeChat), and has ``--trainees`` learn ``--hours`` each through the API
(the Flask test client, the app's clock moved 30 s a beat): sessions of ``--session-min``
minutes with a break of two minutes between them, the drain (``Drainer``, in this process)
running every ``--drain-every`` beats, sealing as it does. At the end it checks out, drains,
seals what is due, verifies every chain and the sums, and prints per credited hour the span
rows and the bytes of ``credited_span`` (table and indexes), as written (with the row versions
the extensions left behind) and after ``VACUUM FULL`` (the live data: plain VACUUM returns the
dead versions' space to the table for reuse, so a table in steady state holds about that).
It exits 2 when a target is missed: ≤ 6 rows and ≤ 2 KB (after VACUUM FULL) per credited hour.

    .venv/bin/python -m bench.span_cost --trainees 50 --hours 3
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
import uuid

from sqlalchemy import text

from bench import heartbeat_setup as setup

ROWS_TARGET = 6
BYTES_TARGET = 2048
BEAT_S = 30
# The main fork of the table and of each of its indexes (the free-space and visibility maps,
# a few pages whatever the size, are left out).
SIZE = """SELECT CAST(pg_relation_size('credited_span') + coalesce((
  SELECT sum(pg_relation_size(indexrelid)) FROM pg_index
  WHERE indrelid = 'credited_span'::regclass), 0) AS bigint)"""


def _learn(app, lesson_id, issued, args) -> None:
    from backend.clock import clock
    from backend.drainer import Drainer, ensure_group

    client = app.test_client()
    auth = {tid: {"Authorization": f"Bearer {token}"} for tid, token in issued}
    beats_per_session = args.session_min * 60 // BEAT_S
    sessions = -(-args.hours * 60 // args.session_min)
    drainer = Drainer("span-cost", claim_idle_ms=0)
    with app.app_context():
        ensure_group()
    beats = 0
    for _ in range(sessions):
        ids, seq, answer = {}, {}, {}
        for tid, _token in issued:
            reply = client.post(
                f"/api/v1/lessons/{lesson_id}/sessions",
                json={"client_ts": int(clock.now().timestamp() * 1000), "device": "bench"},
                headers=auth[tid],
            )
            assert reply.status_code == 201, reply.get_json()
            ids[tid], seq[tid] = reply.get_json()["session_id"], 0
        for n in range(beats_per_session):
            clock.advance(BEAT_S)
            for tid, _token in issued:
                seq[tid] += 1
                body = {"seq": seq[tid], "client_ts": 0, "position_s": 0, "playing": True}
                if tid in answer:
                    body["challenge_answer"] = answer.pop(tid)
                reply = client.post(
                    f"/api/v1/sessions/{ids[tid]}/heartbeats", json=body, headers=auth[tid]
                )
                assert reply.status_code == 200, reply.get_json()
                challenge = reply.get_json().get("challenge")
                if challenge and challenge.get("kind") == "code":
                    code = re.search(r"\d{4}", challenge["prompt"]).group()
                    answer[tid] = {"id": challenge["id"], "answer": code}
                beats += 1
            if (n + 1) % args.drain_every == 0:
                with app.app_context():
                    while drainer.drain_once().entries:
                        pass
        for tid, _token in issued:
            reply = client.post(
                f"/api/v1/sessions/{ids[tid]}/end", json={"position_s": 0}, headers=auth[tid]
            )
            assert reply.status_code == 200, reply.get_json()
        clock.advance(120)
    with app.app_context():
        while drainer.drain_once().entries:
            pass
        drainer.seal()
    print(f"  {len(issued)} trainees, {sessions} sessions each, {beats} beats", flush=True)


def _measure(app, project_id: int) -> dict:
    from backend.extensions import db
    from backend.services.learning import record_chain

    with app.app_context():
        rows, seconds, sealed = db.session.execute(
            text("SELECT count(*), coalesce(sum(seconds), 0), count(chain_hash) FROM credited_span")
        ).one()
        stored = db.session.execute(text("SELECT sum(credited_s) FROM learning_session")).scalar()
        overlaps = db.session.execute(text(setup.OVERLAPS_SQL)).scalar()
        verdict = record_chain.verify(project_id)
        written = db.session.execute(text(SIZE)).scalar()
        db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM FULL credited_span"))
        vacuumed = db.session.execute(text(SIZE)).scalar()
        db.session.remove()
    return {
        "rows": rows,
        "seconds": seconds,
        "sealed": sealed,
        "stored": stored,
        "overlaps": overlaps,
        "verdict": verdict,
        "written": written,
        "vacuumed": vacuumed,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    setup.add_service_arguments(parser)
    parser.add_argument("--trainees", type=int, default=50)
    parser.add_argument("--hours", type=int, default=3, help="learned by each trainee")
    parser.add_argument("--session-min", type=int, default=45)
    parser.add_argument("--drain-every", type=int, default=2, help="beats between drains")
    args = parser.parse_args(argv)

    admin, name, database_url = setup.create_database(args.database_url, "spans")
    prefix = f"bench-{uuid.uuid4().hex[:8]}:"
    env = setup.environment(setup.local_redis(args.redis_url), database_url, prefix)
    env.pop("BENCH_COUNT_SQL")
    env["LOG_LEVEL"] = "WARNING"  # no access log line per beat
    saved = dict(os.environ)
    os.environ.update(env)
    from backend import create_app
    from backend.clock import clock
    from backend.extensions import db

    app = create_app()
    redis_client = app.extensions["redis"]
    try:
        lesson_id, issued = setup.seed(app, args.trainees, check_interval_s=1200)
        with app.app_context():  # the empty table's pages (an index's metapage and root)
            empty = db.session.execute(text(SIZE)).scalar()
        with app.app_context():
            db.session.execute(
                text(
                    "UPDATE project SET face_check_at_check_in = 'never', face_check_interval_s = 0"
                )
            )
            project_id = db.session.execute(text("SELECT id FROM project")).scalar()
            db.session.commit()
        clock.freeze(clock.now())
        started = time.monotonic()
        print(
            f"span cost: {args.trainees} trainees learn {args.hours} h each in sessions of "
            f"{args.session_min} min, attention checks every 1,200 s, drained every "
            f"{args.drain_every} beats",
            flush=True,
        )
        _learn(app, lesson_id, issued, args)
        clock.unfreeze()
        m = _measure(app, project_id)
        print(f"  learned and drained in {time.monotonic() - started:.0f} s")
    finally:
        clock.unfreeze()
        setup.delete_prefix(redis_client, prefix)
        with app.app_context():
            db.engine.dispose()
        os.environ.clear()
        os.environ.update(saved)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    hours = m["seconds"] / 3600
    rows_h = m["rows"] / hours
    written_h, vacuumed_h = (m["written"] - empty) / hours, (m["vacuumed"] - empty) / hours
    ok_rows, ok_bytes = rows_h <= ROWS_TARGET, vacuumed_h <= BYTES_TARGET
    sound = m["verdict"].ok and m["overlaps"] == 0 and m["stored"] == m["seconds"]
    print(
        f"  credited {m['seconds']:,} s = {hours:.1f} h in {m['rows']:,} span rows "
        f"({m['sealed']:,} sealed); sessions' totals {m['stored']:,} s; overlaps "
        f"{m['overlaps']}; chain verified: {m['verdict'].ok} ({m['verdict'].checked} links)"
    )
    print(f"  span rows per credited hour: {rows_h:.2f} (target ≤ {ROWS_TARGET}) "
          f"{'met' if ok_rows else 'MISSED'}")  # fmt: skip
    print(f"  credited_span bytes per credited hour, table and indexes: {vacuumed_h:,.0f} after "
          f"VACUUM FULL (target ≤ {BYTES_TARGET:,}) {'met' if ok_bytes else 'MISSED'}; "
          f"{written_h:,.0f} as written, with the extensions' dead row versions (the empty "
          f"table's {empty:,} bytes not counted)")  # fmt: skip
    if not sound:
        print("  the stored credit is not sound (chain, overlaps or totals): FAILED")
        return 1
    return 0 if ok_rows and ok_bytes else 2


if __name__ == "__main__":
    sys.exit(main())
