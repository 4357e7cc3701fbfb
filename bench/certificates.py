"""Certificates benchmark: issuing 1,000 certificates at a project's close, and the zip of them.

Creates its own PostgreSQL database (a unique name per run; BENCH_DATABASE_URL, default the
test server) and Redis prefix, a self-signed signing pair in a temporary directory, and one
closed-to-be project whose ``--trainees`` each have two class hours. Then, in this process:

- the close through the service (``close_project``: the frozen claim, then a certificate per
  qualifying trainee: fonts cut to the batch, the page drawn (reportlab), QR code, pyHanko
  signature, rows inserted 50 at a time),
  timed whole and divided by the certificates issued: target <= 50 ms per certificate;
- the zip download of all of them through the admin API (the Flask test client, the body read
  chunk by chunk and counted, not kept), its peak of traced Python memory: target < 50 MB;
- a check that the zip opens and that the first certificate's signature is intact.

Prints each figure beside its target, drops its database and exits 1 on a miss.
Run: ``.venv/bin/python -m bench.certificates`` (``--trainees 1000``).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
import tracemalloc
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

PER_CERTIFICATE_TARGET_MS = 50
ZIP_MEMORY_TARGET_MB = 50
HOUR_S = 45 * 60


def _server() -> str:
    return os.environ.get("BENCH_DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/postgres"


def _url(database: str) -> str:
    base = make_url(_server().replace("postgres://", "postgresql://", 1))
    return base.set(database=database).render_as_string(hide_password=False)


def _admin_engine():
    base = make_url(_url("postgres")).set(drivername="postgresql+psycopg")
    return create_engine(base, isolation_level="AUTOCOMMIT")


def seed(db, trainees: int):
    """One enterprise, an approved project that ended yesterday, ``trainees`` enrolled with two
    class hours each (one ended session and one credited span apiece)."""
    from backend import pii
    from backend.clock import today
    from backend.demo import demo_id_number
    from backend.demo_learning import ended_learning
    from backend.models import (
        AdminUser,
        Course,
        Enrolment,
        Enterprise,
        Lesson,
        LessonKind,
        Project,
        ProjectCourse,
        ProjectStatus,
        Role,
        Trainee,
        TrainingType,
    )

    enterprise = Enterprise(name="深圳市基准精密制造有限公司", credit_code="91440300MA5BENCH01")
    end = today() - timedelta(days=1)
    project = Project(
        enterprise=enterprise,
        name="2026 年数控车工线上适岗培训（基准）",
        post_trade="数控车工",
        training_type=TrainingType.ON_JOB,
        planned_headcount=trainees,
        start_date=end - timedelta(days=60),
        end_date=end,
        planned_class_hours=8,
        status=ProjectStatus.APPROVED,
    )
    course = Course(enterprise=enterprise, name="安全操作")
    lesson = Lesson(title="安全操作（1）", position=1, kind=LessonKind.VIDEO, duration_s=4 * HOUR_S)
    course.lessons = [lesson]
    project.course_links.append(ProjectCourse(course=course, position=0))
    admin = AdminUser(username="bench-operator", password_hash="x", role=Role.OPERATOR)
    db.session.add_all([project, admin])
    db.session.flush()
    surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
    given = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂"
    start = datetime.combine(project.start_date + timedelta(days=1), datetime.min.time(), UTC)
    for n in range(trainees):
        trainee = Trainee(
            enterprise=enterprise,
            roster_seq=n + 1,
            name=surnames[n % 20] + given[(n // 20) % 20] + given[(n // 400) % 20],
            gender="male",
            account=f"bench{n}",
        )
        birth = f"19{80 + n // 1000 % 20}0101"
        pii.set_id_number(trainee, demo_id_number(birth, f"{n % 1000:03d}"))
        pii.set_mobile(trainee, f"138{n:08d}")
        db.session.add(trainee)
        db.session.add(Enrolment(project=project, trainee=trainee))
        db.session.flush()
        ended_learning(
            trainee.id, project.id, lesson.id, start + timedelta(minutes=n), 2 * HOUR_S, "bench"
        )
    db.session.commit()
    return project.id, admin.id


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trainees", type=int, default=1000)
    args = parser.parse_args()

    from backend import create_app
    from backend.extensions import db
    from backend.services.certificates.signing import generate_pair

    name = f"bench_certificates_{os.getpid()}_{int(time.time())}"
    admin_engine = _admin_engine()
    with admin_engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    folder = Path(tempfile.mkdtemp(prefix="bench-cert-"))
    generate_pair(folder / "key.pem", folder / "cert.pem", "Shigang bench")
    app = create_app(
        {
            "ENV_NAME": "test",
            "DATABASE_URL": _url(name),
            "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
            "REDIS_PREFIX": f"benchcert{os.getpid()}:",
            "SIGNING_KEY_PATH": str(folder / "key.pem"),
            "SIGNING_CERT_PATH": str(folder / "cert.pem"),
            "WTF_CSRF_ENABLED": False,
        }
    )
    misses = 0
    try:
        with app.app_context():
            db.create_all()
            project_id, admin_id = seed(db, args.trainees)
            misses += _measure(app, db, project_id, admin_id, folder / "cert.pem")
            db.session.remove()
            db.engine.dispose()
    finally:
        with admin_engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin_engine.dispose()
        redis = app.extensions["redis"]
        keys = list(redis.scan_iter(match=f"benchcert{os.getpid()}:*"))
        if keys:
            redis.delete(*keys)
    return 1 if misses else 0


def _measure(app, db, project_id: int, admin_id: int, cert_path: Path) -> int:
    import sqlalchemy as sa

    from backend.models import AdminUser, Certificate, Project
    from backend.services.claims.closing import close_project

    project = db.session.get(Project, project_id)
    admin = db.session.get(AdminUser, admin_id)
    started, cpu_started = time.perf_counter(), time.process_time()
    close_project(project, admin, client_address="127.0.0.1")
    db.session.commit()
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    issued = db.session.scalar(sa.select(sa.func.count(Certificate.id)))
    sizes = db.session.execute(
        sa.select(
            sa.func.avg(sa.func.length(Certificate.pdf)),
            sa.func.max(sa.func.length(Certificate.pdf)),
        )
    ).one()
    per_ms = elapsed * 1000 / max(issued, 1)
    misses = 0
    print(
        f"certificates issued at close: {issued} in {elapsed:.1f} s (close, claim freeze included)"
    )
    print(
        f"CPU time of this process per certificate: {cpu * 1000 / max(issued, 1):.1f} ms"
        f" (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
    )
    print(f"PDF size: mean {int(sizes[0]) / 1024:.1f} KB, largest {int(sizes[1]) / 1024:.1f} KB")
    # The certificates are made and inserted 50 at a time: the peak stays flat with --trainees.
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"process peak RSS after the close: {peak_rss:.0f} MB")
    ok = per_ms <= PER_CERTIFICATE_TARGET_MS and issued == _qualifying(db, project_id)
    misses += not ok
    print(
        f"time per certificate: {per_ms:.1f} ms   target <= {PER_CERTIFICATE_TARGET_MS} ms"
        f"   {'met' if ok else 'MISSED'}"
    )

    # The zip through the admin API, read chunk by chunk.
    from backend.services.accounts import admin_sessions

    client = app.test_client()
    with client.session_transaction() as session:
        session["admin_id"] = admin_id
        session["admin_sid"] = admin_sessions.start(admin_id)
    zip_path = Path(tempfile.mkdtemp(prefix="bench-zip-")) / "all.zip"
    tracemalloc.start()
    tracemalloc.reset_peak()
    started = time.perf_counter()
    response = client.get(f"/api/admin/projects/{project_id}/certificates.zip", buffered=False)
    total = 0
    with zip_path.open("wb") as out:
        for chunk in response.response:
            total += len(chunk)
            out.write(chunk)
    response.close()
    zip_s = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    peak_mb = peak / 1024 / 1024
    ok = response.status_code == 200 and peak_mb < ZIP_MEMORY_TARGET_MB
    misses += not ok
    print(
        f"zip of {issued}: {total / 1024 / 1024:.1f} MB in {zip_s:.1f} s"
        f" (HTTP {response.status_code})"
    )
    print(
        f"zip download peak memory (traced): {peak_mb:.1f} MB   target < {ZIP_MEMORY_TARGET_MB} MB"
        f"   {'met' if ok else 'MISSED'}"
    )
    with zipfile.ZipFile(zip_path) as archive:
        names = archive.namelist()
        first = archive.read(names[0])
    intact = len(names) == issued and _intact(first, cert_path)
    misses += not intact
    print(f"zip holds {len(names)} PDFs, first signature intact: {intact}")
    zip_path.unlink()
    return misses


def _qualifying(db, project_id: int) -> int:
    import sqlalchemy as sa

    from backend.models import Claim, ClaimLine

    return db.session.scalar(
        sa.select(sa.func.count(ClaimLine.id))
        .join(Claim, Claim.id == ClaimLine.claim_id)
        .where(Claim.project_id == project_id, ClaimLine.qualifies)
    )


def _intact(pdf: bytes, cert_path: Path) -> bool:
    import io
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pyhanko.keys import load_cert_from_pemder
        from pyhanko.pdf_utils.reader import PdfFileReader
        from pyhanko.sign.validation import validate_pdf_signature
        from pyhanko_certvalidator import ValidationContext

    context = ValidationContext(trust_roots=[load_cert_from_pemder(str(cert_path))])
    signature = PdfFileReader(io.BytesIO(pdf)).embedded_signatures[0]
    status = validate_pdf_signature(signature, context)
    return bool(status.bottom_line)


if __name__ == "__main__":
    sys.exit(main())
