"""Report benchmark: trainee table first page, full hours xlsx and the bare SQL aggregate.

Seeds two databases of its own, named for this run (``bench.report_seed``): the size asked for
(``--trainees``, ``--sessions``) and one ``--small`` times smaller, so the first page's growth
with the data is measured in the same run, rounds alternating between the two. Then, in fresh
processes, rounds alternating the bare aggregate the hours sheet rests on and the full hours
xlsx; and one more process traces the memory of one export. Prints each figure beside its
target, drops its databases and exits non-zero when a target is missed.
Run: ``make bench-report`` (``ARGS="--trainees 100000 --sessions 10000000"``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench.report_seed import _app, seed

PAGE_TARGET_MS = 200
RATIO_TARGET = 3.0
MEMORY_TARGET_MB = 50
PAGE_ROUNDS = 15


def _server_url() -> str:
    return (
        os.environ.get("BENCH_DATABASE_URL")
        or os.environ.get("DATABASE_URL")
        or "postgresql://postgres@127.0.0.1:5432/postgres"
    )


def _db_url(server: str, name: str) -> str:
    base = make_url(server.replace("postgres://", "postgresql://", 1))
    return base.set(database=name).render_as_string(hide_password=False)


def _admin_engine(server: str):
    base = make_url(server.replace("postgres://", "postgresql://", 1)).set(
        drivername="postgresql+psycopg", database="postgres"
    )
    return create_engine(base, isolation_level="AUTOCOMMIT")


def _prefix() -> str:
    return f"benchreport{os.getpid()}:"


def _seeded_ids(url: str) -> dict:
    """The ids ``seed`` returned, read back from a kept database."""
    engine = create_engine(make_url(url).set(drivername="postgresql+psycopg"))
    with engine.connect() as conn:
        ids = {
            "project_id": conn.scalar(text("SELECT min(id) FROM project")),
            "admin_id": conn.scalar(text("SELECT min(id) FROM admin_user")),
        }
    engine.dispose()
    return ids


def bare_aggregate(project) -> Callable[[], list]:
    """Run the aggregate the sheet rests on (``hours.sheet.sheet_query``) as bare SQL: its text
    executed on the driver's own cursor, every row fetched, nothing else."""
    from backend.extensions import db
    from backend.services.hours.sheet import sheet_query
    from backend.services.learning import face_checks

    # With the face-check coverage sums the sheet adds to the same pass when the project asks
    # face checks (``exports.hours_sheet.hours_rows``).
    sums = face_checks.coverage_sums() if face_checks.asked_any(project.id) else ()
    statement = sheet_query(project, span_sums=sums).compile(dialect=db.engine.dialect)
    sql, params = str(statement), statement.params

    def run() -> list:
        with db.session.connection().connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    return run


def _ms(fn) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def measure_pages(sizes: dict[str, tuple[str, dict, int]]) -> dict[str, list[float]]:
    """The trainee table's first page in each database, rounds alternating between them."""
    from backend.extensions import db
    from backend.models import Project
    from backend.services.people.trainee_table import TableParams, trainee_page

    apps = {label: _app(url, _prefix()) for label, (url, _, _) in sizes.items()}
    times: dict[str, list[float]] = {label: [] for label in sizes}
    for n in range(PAGE_ROUNDS + 2):  # the first two rounds warm caches and are not counted
        for label, (_, ids, trainees) in sizes.items():
            with apps[label].app_context():
                project = db.session.get(Project, ids["project_id"])
                page = None

                def first_page(project=project):
                    nonlocal page
                    page = trainee_page(project, TableParams())

                elapsed = _ms(first_page)
                assert page.total == trainees and len(page.rows) == 20, page.total
                assert page.rows[0].seq == 1 and page.rows[0].credited_s > 0, page.rows[0]
                if n >= 2:
                    times[label].append(elapsed)
                db.session.remove()
    for app in apps.values():
        with app.app_context():
            db.engine.dispose()
        app.extensions["redis"].close()
    return times


def child_export(spec: dict) -> None:
    """In a fresh process: rounds of the bare aggregate then the full hours xlsx, alternating,
    and an aggregate after the last; or, traced, one export after an untraced one."""
    import resource
    import tracemalloc

    from backend.extensions import db
    from backend.models import AdminUser, Project
    from backend.services.exports.run import run_export

    app = _app(spec["url"], _prefix())
    result: dict = {}
    with app.app_context():
        project = db.session.get(Project, spec["project_id"])
        admin = db.session.get(AdminUser, spec["admin_id"])
        _ = project.enterprise.name  # loaded before the clock starts, as a view would have
        aggregate = bare_aggregate(project)

        def export():
            done = run_export("hours", "xlsx", admin, project, client_address="192.0.2.10")
            result["rows"], result["bytes"] = done.rows, os.path.getsize(done.path)
            os.unlink(done.path)
            db.session.rollback()

        if spec["trace"]:
            export()  # modules imported and caches filled, so only the export is traced
            aggregate()
            tracemalloc.start()
            export()
            result["tracemalloc_peak_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
        else:
            aggregates, exports = [_ms(aggregate)], []
            for _ in range(spec["rounds"]):
                exports.append(_ms(export))
                aggregates.append(_ms(aggregate))
            result["aggregate_ms"], result["export_ms"] = aggregates, exports
        result["maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        db.session.remove()
        db.engine.dispose()
    app.extensions["redis"].close()
    print(json.dumps(result))


def _run_child(spec: dict) -> dict:
    args = [sys.executable, "-m", "bench.report", "--child", json.dumps(spec)]
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def _args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trainees", type=int, default=10_000)
    parser.add_argument("--sessions", type=int, default=1_000_000)
    parser.add_argument(
        "--spans-per-session",
        type=int,
        default=0,
        help="0 (default): coalesced as the drain writes them, one per 15 minutes of a session",
    )
    parser.add_argument(
        "--shared", type=int, default=10, help="per cent of trainees in a second project too"
    )
    parser.add_argument("--small", type=int, default=10, help="the smaller run's divisor")
    parser.add_argument("--processes", type=int, default=3, help="export processes")
    parser.add_argument("--rounds", type=int, default=4, help="export rounds per process")
    parser.add_argument("--keep", action="store_true", help="keep the databases afterwards")
    parser.add_argument("--reuse", metavar="NAME", help="measure the databases a --keep run left")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    return parser.parse_args()


def main() -> int:
    """Seed, measure, print, drop."""
    args = _args()
    if args.child:
        child_export(json.loads(args.child))
        return 0
    server = _server_url()
    admin = _admin_engine(server)
    name = args.reuse or f"shigang_bench_report_{os.getpid()}_{int(time.time())}"
    names = {"full": name, "small": name + "_small"}
    shape = {
        "full": (args.trainees, args.sessions),
        "small": (args.trainees // args.small, args.sessions // args.small),
    }
    urls = {label: _db_url(server, db_name) for label, db_name in names.items()}
    created: list[str] = []
    try:
        ids = {}
        for label in ("small", "full"):
            trainees, sessions = shape[label]
            if args.reuse:
                ids[label] = _seeded_ids(urls[label])
                continue
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{names[label]}"'))
            created.append(names[label])
            start = time.perf_counter()
            print(f"seeding {names[label]}: {trainees:,} trainees, {sessions:,} sessions")
            ids[label] = seed(
                urls[label],
                trainees,
                sessions,
                args.spans_per_session,
                args.shared,
                _prefix(),
                log=print,
            )
            print(f"  seeded in {time.perf_counter() - start:.0f} s", flush=True)
        pages = measure_pages({label: (urls[label], ids[label], shape[label][0]) for label in ids})
        spec = {"url": urls["full"], **ids["full"], "rounds": args.rounds, "trace": False}
        children = [_run_child(spec) for _ in range(args.processes)]
        traced = _run_child({**spec, "trace": True})
    finally:
        if not args.keep:
            with admin.connect() as conn:
                for db_name in created:  # only this run's own databases
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))
        elif created:
            print(f"kept: --reuse {name}")
        admin.dispose()
    return report(args, shape, pages, children, traced)


def report(args, shape, pages, children, traced) -> int:
    """Print the figures beside their targets; 1 when one is missed."""
    ratios, aggregates = [], []
    for child in children:
        a, e = child["aggregate_ms"], child["export_ms"]
        for n, export_ms in enumerate(e):
            # Each export against the mean of the aggregates just before and just after it.
            around = (a[n] + a[n + 1]) / 2
            ratios.append(export_ms / around)
            aggregates.append(around)
    ratio = statistics.median(ratios)
    export_ms = statistics.median(e for child in children for e in child["export_ms"])
    full, small = statistics.median(pages["full"]), statistics.median(pages["small"])
    growth, data_growth = full / small, shape["full"][1] / shape["small"][1]
    trainees, sessions = shape["full"]
    per_session = (
        f"× {args.spans_per_session} spans"
        if args.spans_per_session
        else "with coalesced spans (one per 15 minutes: 1-3 a session, 4.8 per credited hour),"
        " a check-in face check a session and an attention check per 1,200 s"
    )
    print(
        f"data: {trainees:,} trainees, {sessions:,} sessions {per_session}, "
        f"{args.shared} % also in a second project; "
        f"smaller run {shape['small'][0]:,} / {shape['small'][1]:,}"
    )
    print("hours sheet rounds (export ÷ aggregate): " + ", ".join(f"{r:.2f}" for r in ratios))
    rss = max(child["maxrss_mb"] for child in children)
    checks = [
        (
            "trainee table, first page",
            f"{full:.1f} ms median of {len(pages['full'])} "
            f"(range {min(pages['full']):.1f}–{max(pages['full']):.1f})",
            full < PAGE_TARGET_MS,
            f"< {PAGE_TARGET_MS} ms",
        ),
        (
            "first page, smaller run",
            f"{small:.1f} ms median; growth {growth:.2f}× for {data_growth:g}× the data",
            growth <= data_growth,
            f"growth ≤ {data_growth:g}×",
        ),
        (
            "bare SQL aggregate",
            f"{statistics.median(aggregates):.0f} ms median",
            None,
            "reference",
        ),
        (
            "hours sheet xlsx, full",
            f"{export_ms:.0f} ms ({children[0].get('rows', 0):,} rows, "
            f"{children[0].get('bytes', 0) / 2**20:.1f} MiB) = {ratio:.2f}× the aggregate "
            f"(median of {len(ratios)} rounds)",
            ratio <= RATIO_TARGET,
            f"≤ {RATIO_TARGET:g}× aggregate",
        ),
        (
            "export memory (tracemalloc)",
            f"peak {traced['tracemalloc_peak_mb']:.1f} MB (process max RSS {rss:.0f} MB)",
            traced["tracemalloc_peak_mb"] < MEMORY_TARGET_MB,
            f"< {MEMORY_TARGET_MB} MB",
        ),
    ]
    failed = False
    for label, figure, ok, target in checks:
        verdict = "" if ok is None else ("MET" if ok else "MISSED")
        failed |= ok is False
        print(f"{label:28} {figure:72} target {target:20} {verdict}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
