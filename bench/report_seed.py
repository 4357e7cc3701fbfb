"""Seeding for the report benchmark: one enterprise's trainees, their sessions and credited spans
in the shape the app reads today, loaded with COPY and INSERT ... SELECT generate_series.

- Project P (measured, 2026, open) enrols every trainee.
- ``shared`` per cent of the trainees learn in a second project too: half of them in project Q
  (2025-09-01 to 2026-08-31, open, across a new year), half in project R (first half of 2026),
  which is closed through the app, so its claim freezes lines and allocations. They learn a
  third of their sessions there, enough class hours to go over the yearly cap, so P's sheet
  pays their hours in the order earned across projects.
- Each session has its credited spans back to back as the drain writes them: coalesced, one
  span per 15 minutes of the session or part of it (``spans`` 0, the default: 4.8 rows per
  credited hour, where ``bench/span_cost.py`` measured 4.33 for 45-minute sessions), or
  ``spans`` equal spans (the shape before coalescing), each sealed with a 64-hex chain link and
  a place in the chain (the sizes the seal writes; the links are not a verifiable chain); each
  project has its chain head.
- The checks the drain records: the projects ask a face check at every check-in and an
  attention check every 1,200 s (the production interval, as ``bench/span_cost.py``). Each
  session has its passed check-in face check, which covers (``face_check_id``) every span of
  the session, so the sheet's face-check coverage column is computed as in production, and one
  passed attention check (a code, answered 30 s later) per full 1,200 s of the session.
- Indexes and constraints of the big tables are dropped before the load and rebuilt after it,
  then VACUUM ANALYZE, as on a database autovacuum has seen.
"""

from __future__ import annotations

import io
from datetime import date

from sqlalchemy import text

LESSONS = 10
PLANNED_CLASS_HOURS = 40  # 30 CNY each: more than the 1000 CNY cap, so the cap binds
LOADED_TABLES = (
    "trainee",
    "enrolment",
    "learning_session",
    "face_check",
    "attention_check",
    "credited_span",
)
ATTENTION_INTERVAL_S = 1200

# Session g belongs to trainee g % n (its k-th, k = g / n). A third of the sessions of people in
# Q or R are theirs. P and R sessions fall on day k % 181 of 2026 (China time) at hour
# 1 + (k / 181) % 20, Q's on day (k / 3) % 120 after 2025-09-01, so one trainee's sessions
# never overlap, and no session (at most 40 minutes) crosses a China-time midnight.
SESSIONS_SQL = """
INSERT INTO learning_session (id, trainee_id, project_id, lesson_id, device, device_id,
  started_at, client_offset_ms, last_beat_at, last_seq, last_playing, last_position_s, status,
  ended_at, credited_s)
SELECT g, :t0 + t, p, (:lessons)[1 + g % :l], 'bench', 'bench-device', ts, 0,
  ts + secs * interval '1 second', secs / 30, false, secs, 'ended',
  ts + secs * interval '1 second', secs
FROM (
  SELECT g, t, p, secs,
    CASE WHEN p = :q
      THEN timestamptz '2025-09-01 00:00+08' + ((k / 3) % 120) * interval '1 day'
           + (1 + (k / 360) % 20) * interval '1 hour'
      ELSE timestamptz '2026-01-01 00:00+08' + (k % 181) * interval '1 day'
           + (1 + (k / 181) % 20) * interval '1 hour'
    END AS ts
  FROM (
    SELECT g, t, k, greatest(:k, 1) * ((600 + (g % 7) * 300) / greatest(:k, 1)) AS secs,
      CASE WHEN k % 3 = 0 AND t % 200 < :in_q THEN :q
           WHEN k % 3 = 0 AND t % 200 < :in_r THEN :r
           ELSE :p END AS p
    FROM (SELECT g, g % :n AS t, g / :n AS k FROM generate_series(:g0, :g1) AS g) AS a
  ) AS b
) AS c
"""

# Span j of a session covers [j * L, min((j + 1) * L, credited_s)) of it: L is 900 s (the
# longest coalesced span) when :k is 0, else credited_s / :k.
SPANS_SQL = """
INSERT INTO credited_span (trainee_id, session_id, lesson_id, project_id, start_at, end_at,
  seconds, device, face_check_id, chain_hash, chain_seq)
SELECT trainee_id, id, lesson_id, project_id,
  started_at + j * len * interval '1 second',
  started_at + least((j + 1) * len, credited_s) * interval '1 second',
  least((j + 1) * len, credited_s) - j * len, device, id,
  encode(sha256(convert_to(id::text || ':' || j, 'UTF8')), 'hex'), id * 64 + j
FROM (SELECT *, CASE WHEN :k = 0 THEN 900 ELSE credited_s / :k END AS len
      FROM learning_session WHERE id BETWEEN :g0 AND :g1) AS s
CROSS JOIN LATERAL generate_series(0, (credited_s + len - 1) / len - 1) AS j
"""

# Session g's check-in face check has id g (its spans name it): passed 5 s before the check-in,
# with an out_seq_no shaped as ours ("sg" and 24 hex) and a verify_id of WeChat's length.
FACE_CHECKS_SQL = """
INSERT INTO face_check (id, trainee_id, project_id, session_id, trigger, out_seq_no, verify_id,
  issued_at, expires_at, resolved_at, outcome, verify_ret, device)
SELECT id, trainee_id, project_id, id, 'check_in', 'sg' || left(md5(id::text), 24),
  md5(id::text || 'v') || md5(id::text || 'w'), started_at - interval '40 seconds',
  started_at + interval '260 seconds', started_at - interval '5 seconds', 'passed', 10000, device
FROM learning_session WHERE id BETWEEN :g0 AND :g1
"""

# One attention check per full interval of a session (none in its last 30 s), answered in the
# next beat.
ATTENTION_SQL = """
INSERT INTO attention_check (session_id, trainee_id, kind, expected, issued_at, expires_at,
  answered_at, answer, outcome)
SELECT id, trainee_id, 'code', code, at, at + interval '120 seconds', at + interval '30 seconds',
  code, 'passed'
FROM (
  SELECT id, trainee_id, lpad(((id::bigint * 7919 + i) % 10000)::text, 4, '0') AS code,
    started_at + i * :every * interval '1 second' AS at
  FROM learning_session
  CROSS JOIN LATERAL generate_series(1, (credited_s - 30) / :every) AS i
  WHERE id BETWEEN :g0 AND :g1
) AS c
"""


def _app(url: str, prefix: str, **settings):
    import os

    from backend import create_app

    return create_app(
        {
            "ENV_NAME": "test",
            "DATABASE_URL": url,
            "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
            "REDIS_PREFIX": prefix,
            **settings,
        }
    )


def _drop_indexes(conn) -> list[str]:
    """Drop the loaded tables' indexes and constraints (but primary keys, which other tables'
    foreign keys need, and CHECKs); return the statements that rebuild them."""
    tables = list(LOADED_TABLES)
    constraints = conn.execute(
        text(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), contype"
            " FROM pg_constraint WHERE conrelid::regclass::text = ANY(:t)"
            " AND contype NOT IN ('c', 'p')"
            " ORDER BY contype = 'f', conname"
        ),
        {"t": tables},
    ).all()
    indexes = conn.execute(
        text(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(:t)"
            " AND indexname NOT IN (SELECT conname FROM pg_constraint)"
        ),
        {"t": tables},
    ).all()
    # Foreign keys first (some point at the others' primary keys), then the rest.
    for table, name, _, _ in sorted(constraints, key=lambda c: c[3] != "f"):
        conn.execute(text(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"'))
    for name, _ in indexes:
        conn.execute(text(f'DROP INDEX "{name}"'))
    add = [(c == "f", f'ALTER TABLE "{t}" ADD CONSTRAINT "{n}" {d}') for t, n, d, c in constraints]
    rebuild = [statement for foreign, statement in add if not foreign]
    rebuild += [definition for _, definition in indexes]
    rebuild += [statement for foreign, statement in add if foreign]
    return rebuild


def _trainees_copy(enterprise_id: int, trainees: int) -> str:
    from backend import pii
    from tests.factories import id_number, mobile

    cipher = pii.cipher()
    buffer = io.StringIO()
    for n in range(1, trainees + 1):
        gender = "male" if n % 2 else "female"
        plain_id, plain_mobile = id_number(n, gender), mobile(n)
        fields = [
            str(enterprise_id),
            str(n),
            f"学员{n:06d}",
            gender,
            cipher.encrypt(plain_id),
            cipher.blind_index(plain_id),
            cipher.encrypt(plain_mobile),
            cipher.blind_index(plain_mobile),
            f"bench{n:06d}",
            "t",
            "2025-08-01 00:00:00+00",
        ]
        buffer.write("\t".join(fields) + "\n")
    return buffer.getvalue()


def _projects(db, enterprise):
    from backend.models import Course, Lesson, Project, ProjectCourse, ProjectStatus, TrainingType

    course = Course(enterprise=enterprise, name="课程")
    course.lessons = [Lesson(title=f"课节{n}", duration_s=2700) for n in range(LESSONS)]
    projects = []
    for name, start, end in (
        ("基准测试项目", date(2026, 1, 1), date(2026, 12, 31)),
        ("跨年度项目", date(2025, 9, 1), date(2026, 8, 31)),
        ("上半年项目", date(2026, 1, 1), date(2026, 6, 30)),
    ):
        project = Project(
            enterprise=enterprise,
            name=name,
            training_type=TrainingType.ON_JOB,
            start_date=start,
            end_date=end,
            planned_class_hours=PLANNED_CLASS_HOURS,
            status=ProjectStatus.APPROVED,
            attention_checks_enabled=True,
            attention_check_interval_s=ATTENTION_INTERVAL_S,
            face_check_at_check_in="every_session",
            face_check_interval_s=0,
        )
        # R requires an assessment its people never took, so closing it issues no certificates:
        # rendering and signing thousands of PDFs (about 0.2 s each here) is not what this
        # benchmark measures, and would take most of the seeding.
        project.assessment_required = name == "上半年项目"
        project.course_links.append(ProjectCourse(course=course))
        projects.append(project)
    db.session.add_all(projects)
    return projects, course


def seed(
    url: str, trainees: int, sessions: int, spans: int, shared: int, prefix: str, log=print
) -> dict:
    """Create the schema and the data set in the empty database ``url``; returns its ids."""
    import time

    from backend.extensions import db
    from backend.models import AdminUser, Enterprise, Role
    from tests.factories import credit_code

    app = _app(url, prefix)
    started = time.perf_counter()
    with app.app_context():
        db.create_all()
        enterprise = Enterprise(name="基准测试企业", credit_code=credit_code(1))
        (p, q, r), course = _projects(db, enterprise)
        admin = AdminUser(username="bench", password_hash="x", role=Role.OPERATOR)
        db.session.add(admin)
        db.session.commit()
        ids = {"project_id": p.id, "admin_id": admin.id, "q": q.id, "r": r.id}
        lesson_ids = [lesson.id for lesson in course.lessons]
        db.session.commit()  # ends the read's transaction: dropping a foreign key waits for it
        with db.engine.begin() as conn:
            rebuild = _drop_indexes(conn)
        raw = db.engine.raw_connection()
        try:
            copy_sql = (
                "COPY trainee (enterprise_id, roster_seq, name, gender, id_number_enc,"
                " id_number_hash, mobile_enc, mobile_hash, account, active, created_at) FROM STDIN"
            )
            with raw.cursor() as cur, cur.copy(copy_sql) as copy:
                copy.write(_trainees_copy(enterprise.id, trainees))
            raw.commit()
        finally:
            raw.close()
        params = {"p": p.id, "q": q.id, "r": r.id, "n": trainees, "k": spans, "l": LESSONS}
        params["every"] = ATTENTION_INTERVAL_S
        # Of every 200 trainees, the first ``shared`` learn in Q too and the next ``shared`` in R.
        params["in_q"], params["in_r"] = shared, 2 * shared
        params["lessons"] = lesson_ids
        with db.engine.begin() as conn:
            params["t0"] = conn.scalar(text("SELECT min(id) FROM trainee"))
            conn.execute(
                text(
                    "INSERT INTO enrolment (project_id, trainee_id, enrolled_at)"
                    " SELECT :p, id, timestamptz '2025-12-20 00:00+00' FROM trainee"
                    " UNION ALL SELECT :q, id, timestamptz '2025-08-20 00:00+00' FROM trainee"
                    " WHERE (id - :t0) % 200 < :in_q"
                    " UNION ALL SELECT :r, id, timestamptz '2025-12-20 00:00+00' FROM trainee"
                    " WHERE (id - :t0) % 200 >= :in_q AND (id - :t0) % 200 < :in_r"
                ),
                params,
            )
        log(f"  trainees and enrolments in {time.perf_counter() - started:.0f} s")
        # In chunks, each its own transaction, so that no one statement holds gigabytes of WAL.
        chunk = 2_000_000
        for g0 in range(1, sessions + 1, chunk):
            bounds = {**params, "g0": g0, "g1": min(sessions, g0 + chunk - 1)}
            with db.engine.begin() as conn:
                for statement in (SESSIONS_SQL, FACE_CHECKS_SQL, ATTENTION_SQL, SPANS_SQL):
                    conn.execute(text(statement), bounds)
        log(f"  sessions, checks and spans in {time.perf_counter() - started:.0f} s")
        with db.engine.begin() as conn:
            conn.execute(text("SET maintenance_work_mem = '256MB'"))
            for statement in rebuild:
                conn.execute(text(statement))
            for table in ("learning_session", "face_check"):
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                        f" (SELECT max(id) FROM {table}))"
                    )
                )
            conn.execute(
                text(
                    "INSERT INTO record_chain_head (project_id, span_count, head_hash)"
                    " SELECT project_id, count(*), max(chain_hash) FROM credited_span"
                    " GROUP BY project_id"
                )
            )
        log(f"  indexes and constraints rebuilt at {time.perf_counter() - started:.0f} s")
        # No snapshot of ours may stay open, or VACUUM could not mark the pages all-visible.
        db.session.close()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
        log(f"  vacuumed at {time.perf_counter() - started:.0f} s")
        with db.engine.connect() as conn:
            log("  " + _shape(conn))
        db.session.remove()
        db.engine.dispose()
    app.extensions["redis"].close()
    _close(url, prefix, ids)
    log(f"  project R closed through the app at {time.perf_counter() - started:.0f} s")
    return ids


def _shape(conn) -> str:
    """What was loaded, as the drain's figures: span rows per credited hour, and the checks."""
    rows = {
        table: conn.scalar(text(f"SELECT count(*) FROM {table}"))
        for table in ("credited_span", "face_check", "attention_check")
    }
    hours = conn.scalar(text("SELECT sum(credited_s) / 3600.0 FROM learning_session"))
    return (
        f"{rows['credited_span']:,} spans ({rows['credited_span'] / hours:.2f} per credited hour),"
        f" {rows['face_check']:,} face checks, {rows['attention_check']:,} attention checks"
    )


def _close(url: str, prefix: str, ids: dict) -> None:
    """Close project R as an operator would, so its claim freezes lines and allocations."""
    from backend.extensions import db
    from backend.models import AdminUser, Project
    from backend.services.claims.closing import close_project

    app = _app(url, prefix)
    with app.app_context():
        project = db.session.get(Project, ids["r"])
        admin = db.session.get(AdminUser, ids["admin_id"])
        close_project(project, admin, client_address="192.0.2.10")
        db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE claim_line; ANALYZE claim_allocation"))
        db.session.remove()
        db.engine.dispose()
    app.extensions["redis"].close()
