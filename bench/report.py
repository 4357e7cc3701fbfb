"""Report benchmark: trainee table first page, full hours xlsx and the bare SQL aggregate.

Seeds its own PostgreSQL database (10,000 trainees, 1,000,000 learning sessions each with a
credited span, in one enterprise) with COPY and INSERT ... SELECT generate_series, measures,
prints the figures against the targets and drops the database. Run: ``make bench-report``.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

DB_NAME = "shigang_bench"
TRAINEES = 10_000
SESSIONS = 1_000_000
LESSONS = 10
PAGE_TARGET_MS = 200
RATIO_TARGET = 3.0
MEMORY_TARGET_MB = 200
EXPORT_ROUNDS = 5  # per fresh process; the first is the process's first export


def _server_url() -> str:
    url = (
        os.environ.get("BENCH_DATABASE_URL")
        or os.environ.get("DATABASE_URL")
        or ("postgresql://postgres@127.0.0.1:5432/postgres")
    )
    return url


def _bench_url(server: str) -> str:
    base = make_url(server.replace("postgres://", "postgresql://", 1))
    return base.set(database=DB_NAME).render_as_string(hide_password=False)


def _admin_engine(server: str):
    base = make_url(server.replace("postgres://", "postgresql://", 1)).set(
        drivername="postgresql+psycopg", database="postgres"
    )
    return create_engine(base, isolation_level="AUTOCOMMIT")


def _app(bench_url: str):
    from backend import create_app

    return create_app(
        {
            "ENV_NAME": "test",
            "DATABASE_URL": bench_url,
            "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
            "REDIS_PREFIX": f"bench{os.getpid()}:",
        }
    )


def seed(bench_url: str) -> dict:
    """Create the schema and the data set; returns the ids the measurements need."""
    from backend import pii
    from backend.extensions import db
    from backend.models import (
        AdminUser,
        Course,
        Enterprise,
        Lesson,
        Project,
        ProjectCourse,
        Role,
        TrainingType,
    )
    from tests.factories import credit_code, id_number, mobile

    app = _app(bench_url)
    with app.app_context():
        db.create_all()
        enterprise = Enterprise(name="基准测试企业", credit_code=credit_code(1))
        project = Project(
            enterprise=enterprise,
            name="基准测试项目",
            training_type=TrainingType.ON_JOB,
            start_date=date(2026, 1, 1),
            end_date=date(2026, 12, 31),
            planned_class_hours=8,
        )
        course = Course(enterprise=enterprise, name="课程")
        project.course_links.append(ProjectCourse(course=course))
        course.lessons = [Lesson(title=f"课节{n}", duration_s=2700) for n in range(LESSONS)]
        admin = AdminUser(username="bench", password_hash="x", role=Role.OPERATOR)
        db.session.add_all([project, admin])
        db.session.commit()
        ids = {
            "enterprise_id": enterprise.id,
            "project_id": project.id,
            "admin_id": admin.id,
            "lesson_ids": [lesson.id for lesson in course.lessons],
        }
        cipher = pii.cipher()
        buffer = io.StringIO()
        for n in range(1, TRAINEES + 1):
            gender = "male" if n % 2 else "female"
            plain_id, plain_mobile = id_number(n, gender), mobile(n)
            buffer.write(
                "\t".join(
                    [
                        str(ids["enterprise_id"]),
                        str(n),
                        f"学员{n:05d}",
                        gender,
                        cipher.encrypt(plain_id),
                        cipher.blind_index(plain_id),
                        cipher.encrypt(plain_mobile),
                        cipher.blind_index(plain_mobile),
                        f"bench{n:05d}",
                        "t",
                        "2026-01-01 00:00:00+00",
                    ]
                )
                + "\n"
            )
        raw = db.engine.raw_connection()
        try:
            with (
                raw.cursor() as cur,
                cur.copy(
                    "COPY trainee (enterprise_id, roster_seq, name, gender, id_number_enc,"
                    " id_number_hash, mobile_enc, mobile_hash, account, active, created_at)"
                    " FROM STDIN"
                ) as copy,
            ):
                copy.write(buffer.getvalue())
            raw.commit()
        finally:
            raw.close()
        params = {"p": ids["project_id"], "n": TRAINEES, "s": SESSIONS, "l": LESSONS}
        lessons = "ARRAY[" + ",".join(map(str, ids["lesson_ids"])) + "]"
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO enrolment (project_id, trainee_id, enrolled_at)"
                    " SELECT :p, id, now() FROM trainee"
                ),
                params,
            )
            first = conn.scalar(text("SELECT min(id) FROM trainee"))
            params["t0"] = first
            # Session g belongs to trainee g % n and is the (g / n)-th of that trainee, one an
            # hour, so that one trainee's spans never overlap; 10 to 40 credited minutes each.
            conn.execute(
                text(
                    "INSERT INTO learning_session (id, trainee_id, project_id, lesson_id, device,"
                    " started_at, client_offset_ms, last_beat_at, last_seq, last_playing,"
                    " last_position_s, status, ended_at, credited_s)"
                    " SELECT g, :t0 + g % :n, :p, (" + lessons + ")[1 + g % :l], 'bench',"
                    " ts, 0, ts + secs * interval '1 second', 1, false, secs, 'ended',"
                    " ts + secs * interval '1 second', secs"
                    " FROM (SELECT g, timestamptz '2026-01-01 00:00+00' + (g / :n) * interval"
                    " '1 hour' AS ts, 600 + (g % 7) * 300 AS secs"
                    " FROM generate_series(1, :s) AS g) AS x"
                ),
                params,
            )
            conn.execute(
                text(
                    "INSERT INTO credited_span (trainee_id, session_id, lesson_id, project_id,"
                    " start_at, end_at, seconds, device)"
                    " SELECT trainee_id, id, lesson_id, project_id, started_at, ended_at,"
                    " credited_s, device FROM learning_session"
                )
            )
            conn.execute(
                text(
                    "SELECT setval(pg_get_serial_sequence('learning_session', 'id'),"
                    " (SELECT max(id) FROM learning_session))"
                )
            )
            conn.execute(text("ANALYZE"))
        db.session.remove()
        db.engine.dispose()
    app.extensions["redis"].close()
    return ids


def _seeded_ids(bench_url: str) -> dict:
    """The ids ``seed`` returned, read back from a kept database."""
    engine = create_engine(make_url(bench_url).set(drivername="postgresql+psycopg"))
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

    statement = sheet_query(project).compile(dialect=db.engine.dialect)
    sql, params = str(statement), statement.params

    def run() -> list:
        with db.session.connection().connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    return run


def _timed(fn, repeat: int) -> tuple[float, float]:
    """(first run, median of the runs) in milliseconds."""
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - start) * 1000)
    return runs[0], statistics.median(runs)


def measure_queries(bench_url: str, ids: dict) -> dict:
    """Time the trainee table's first page and the bare aggregate the hours sheet needs."""
    from backend.extensions import db
    from backend.models import Project
    from backend.services.trainee_table import TableParams, trainee_page

    app = _app(bench_url)
    with app.app_context():
        project = db.session.get(Project, ids["project_id"])
        page = trainee_page(project, TableParams())
        assert page.total == TRAINEES and len(page.rows) == 20, page.total
        page_first, page_median = _timed(lambda: trainee_page(project, TableParams()), 7)
        aggregate = bare_aggregate(project)
        assert len(aggregate()) == TRAINEES
        agg_first, agg_median = _timed(aggregate, 5)
        db.session.remove()
        db.engine.dispose()
    app.extensions["redis"].close()
    return {
        "page_first_ms": page_first,
        "page_median_ms": page_median,
        "aggregate_first_ms": agg_first,
        "aggregate_median_ms": agg_median,
    }


def child_export(bench_url: str, project_id: int, admin_id: int, trace: bool) -> None:
    """In a fresh process: write the full hours sheet as xlsx, several rounds, each right after
    timing the aggregate; report time and memory."""
    import resource
    import tracemalloc

    from backend.extensions import db
    from backend.models import AdminUser, Project
    from backend.services.exports.run import run_export

    app = _app(bench_url)
    rounds = []
    with app.app_context():
        project = db.session.get(Project, project_id)
        admin = db.session.get(AdminUser, admin_id)
        _ = project.enterprise.name  # loaded before the clock starts, as a view would have
        aggregate = bare_aggregate(project)
        before_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        if trace:
            tracemalloc.start()
        for _ in range(1 if trace else EXPORT_ROUNDS):
            # The aggregate is timed right before each export, so that both figures of a
            # round's ratio see the same load on the machine.
            _, aggregate_ms = _timed(aggregate, 3)
            start = time.perf_counter()
            export = run_export("hours", "xlsx", admin, project, client_address="192.0.2.10")
            export_ms = (time.perf_counter() - start) * 1000
            size = os.path.getsize(export.path)
            os.unlink(export.path)
            db.session.rollback()
            rounds.append({"export_ms": export_ms, "aggregate_ms": aggregate_ms})
        peak = tracemalloc.get_traced_memory()[1] / 2**20 if trace else None
    print(
        json.dumps(
            {
                "rounds": rounds,
                "rows": export.rows,
                "bytes": size,
                "rss_before_mb": before_rss,
                "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "tracemalloc_peak_mb": peak,
            }
        )
    )


def _run_child(bench_url: str, ids: dict, trace: bool) -> dict:
    args = [sys.executable, "-m", "bench.report", "--child", bench_url]
    args += [str(ids["project_id"]), str(ids["admin_id"])] + (["--trace"] if trace else [])
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> int:
    """Seed, measure, print, drop."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--child", nargs=3, metavar=("URL", "PROJECT", "ADMIN"))
    parser.add_argument("--trace", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--reuse", action="store_true", help="measure the database a --keep run left (no seeding)"
    )
    args = parser.parse_args()
    if args.child:
        url, project_id, admin_id = args.child
        child_export(url, int(project_id), int(admin_id), args.trace)
        return 0

    server = _server_url()
    bench_url = _bench_url(server)
    admin = _admin_engine(server)
    keep = args.keep or args.reuse
    if not args.reuse:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{DB_NAME}"'))
    try:
        start = time.perf_counter()
        if args.reuse:
            ids = _seeded_ids(bench_url)
        else:
            ids = seed(bench_url)
            print(
                f"seeded {TRAINEES:,} trainees, {SESSIONS:,} sessions and credited spans "
                f"in {time.perf_counter() - start:.1f} s"
            )
        q = measure_queries(bench_url, ids)
        children = [_run_child(bench_url, ids, trace=False) for _ in range(3)]
        rounds = [r for child in children for r in child["rounds"]]
        for r in rounds:
            r["ratio"] = r["export_ms"] / r["aggregate_ms"]
        timed = sorted(rounds, key=lambda r: r["ratio"])[len(rounds) // 2]  # the median round
        first = [child["rounds"][0] for child in children]
        traced = _run_child(bench_url, ids, trace=True)
    finally:
        if not keep:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)'))
        admin.dispose()

    ratio = timed["ratio"]
    memory = max(children, key=lambda child: child["maxrss_mb"])
    ratios = ", ".join(f"{r['ratio']:.2f}" for r in rounds)
    print(f"hours sheet rounds (export ÷ aggregate, three processes in turn): {ratios}")
    firsts = ", ".join(
        f"{r['export_ms']:.0f} ms (aggregate {r['aggregate_ms']:.0f})" for r in first
    )
    print(f"first export of each process: {firsts}")
    checks = [
        (
            "trainee table, first page",
            f"{q['page_median_ms']:.1f} ms median (first {q['page_first_ms']:.1f} ms)",
            q["page_median_ms"] < PAGE_TARGET_MS,
            f"< {PAGE_TARGET_MS} ms",
        ),
        (
            "bare SQL aggregate",
            f"{q['aggregate_median_ms']:.1f} ms median (first {q['aggregate_first_ms']:.1f} ms); "
            f"{timed['aggregate_ms']:.1f} ms in the median round",
            None,
            "reference",
        ),
        (
            "hours sheet xlsx, full",
            f"{timed['export_ms']:.1f} ms ({children[0]['rows']:,} rows, "
            f"{children[0]['bytes'] / 1024:.0f} KiB) = {ratio:.2f}× the aggregate "
            f"(median of {len(rounds)} rounds)",
            ratio <= RATIO_TARGET,
            f"≤ {RATIO_TARGET:g}× aggregate",
        ),
        (
            "export peak memory",
            f"max RSS {memory['maxrss_mb']:.0f} MB (process before export "
            f"{memory['rss_before_mb']:.0f} MB); tracemalloc peak "
            f"{traced['tracemalloc_peak_mb']:.1f} MB",
            memory["maxrss_mb"] < MEMORY_TARGET_MB,
            f"< {MEMORY_TARGET_MB} MB",
        ),
    ]
    failed = False
    for name, figure, ok, target in checks:
        verdict = "" if ok is None else ("MET" if ok else "MISSED")
        failed |= ok is False
        print(f"{name:28} {figure:70} target {target:18} {verdict}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
