"""Media benchmark (filesystem storage): a 500 MB lesson upload through the real app server
(its memory must rise by less than 100 MB; throughput printed), the server-side duration read,
and serving HTTP Range requests of a signed media URL.

    .venv/bin/python -m bench.media [--mb 500]

Needs PostgreSQL (BENCH_DATABASE_URL, default the local server) and Redis (REDIS_URL).
"""

from __future__ import annotations

import argparse
import io
import os
import random
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

MEMORY_TARGET_MB = 100
PASSWORD = "bench-password-1"
RANGE_REQUESTS = 200
RANGE_BYTES = 1024 * 1024


def _server() -> str:
    return os.environ.get("BENCH_DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/postgres"


def _engine(url: str, database: str):
    base = make_url(url.replace("postgres://", "postgresql://", 1))
    return base.set(drivername="postgresql+psycopg", database=database)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _rss_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(field)


def big_video(path: Path, size_mb: int) -> None:
    """A real MP4 followed by a ``free`` box of padding: a valid file of about ``size_mb``."""
    from backend.services.content import samples

    clip = samples.video_bytes(60, fps=1)
    padding = size_mb * 1024 * 1024 - len(clip)
    with open(path, "wb") as out:
        out.write(clip)
        out.write(struct.pack(">I4s", padding, b"free"))
        chunk = bytes(1024 * 1024)
        left = padding - 8
        while left > 0:
            out.write(chunk[: min(left, len(chunk))])
            left -= len(chunk)


def multipart_file(video: Path, target: Path) -> str:
    """The upload's multipart body written to disk (the client must not hold it in memory)."""
    boundary = uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\n压测课节\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="kind"\r\n\r\nvideo\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.mp4"\r\n'
        "Content-Type: video/mp4\r\n\r\n"
    ).encode()
    with open(target, "wb") as out, open(video, "rb") as src:
        out.write(head)
        shutil.copyfileobj(src, out, 1024 * 1024)
        out.write(f"\r\n--{boundary}--\r\n".encode())
    return boundary


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=500, help="size of the uploaded file")
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from werkzeug.security import generate_password_hash

    from backend import create_app
    from backend.extensions import db
    from backend.models import AdminUser, Course, Enterprise, Role
    from tests.factories import credit_code

    name = f"shigang_bench_media_{os.getpid()}"
    admin_engine = create_engine(_engine(_server(), "postgres"), isolation_level="AUTOCOMMIT")
    with admin_engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    work = Path(tempfile.mkdtemp(prefix="shigang-bench-media-"))
    database_url = _engine(_server(), name).render_as_string(hide_password=False)
    env = {
        **os.environ,
        "SHIGANG_ENV": "development",
        "DATABASE_URL": database_url,
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        "REDIS_PREFIX": f"bench-media-{os.getpid()}:",
        "MEDIA_ROOT": str(work / "media"),
        "TMPDIR": str(work),
    }
    server = None
    try:
        app = create_app({key: env[key] for key in ("DATABASE_URL", "REDIS_URL", "MEDIA_ROOT")})
        with app.app_context():
            db.create_all()
            enterprise = Enterprise(name="压测企业", credit_code=credit_code(1))
            course = Course(enterprise=enterprise, name="压测课程")
            admin = AdminUser(
                username="bench",
                password_hash=generate_password_hash(PASSWORD),
                role=Role.OPERATOR,
            )
            db.session.add_all([course, admin])
            db.session.commit()
            course_id = course.id
            db.engine.dispose()

        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "backend:create_app", "run", "-p", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = requests.Session()
        for _ in range(100):
            try:
                page = client.get(f"{base}/admin/login", timeout=2).text
                break
            except requests.ConnectionError:
                time.sleep(0.2)
        token = page.split('name="csrf_token" value="')[1].split('"')[0]
        client.post(
            f"{base}/admin/login",
            data={"username": "bench", "password": PASSWORD, "csrf_token": token},
            timeout=10,
        )
        csrf = client.get(f"{base}/api/admin/me", timeout=10).json()["csrf_token"]

        video = work / "big.mp4"
        big_video(video, args.mb)
        body = work / "body.bin"
        boundary = multipart_file(video, body)
        video.unlink()
        before_kb = _rss_kb(server.pid, "VmRSS")
        peak = [before_kb]
        done = threading.Event()

        def watch() -> None:
            while not done.is_set():
                peak[0] = max(peak[0], _rss_kb(server.pid, "VmRSS"))
                time.sleep(0.05)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        started = time.perf_counter()
        with open(body, "rb") as stream:
            answer = client.post(
                f"{base}/api/admin/courses/{course_id}/lessons",
                data=stream,
                headers={
                    "Content-Type": f"multipart/form-data; boundary={boundary}",
                    "X-CSRFToken": csrf,
                },
                timeout=600,
            )
        elapsed = time.perf_counter() - started
        done.set()
        watcher.join()
        if answer.status_code != 201:
            print("upload failed:", answer.status_code, answer.text[:300])
            return 1
        lesson = answer.json()
        rise_mb = (peak[0] - before_kb) / 1024
        size_mb = lesson["media"]["bytes"] / 1024 / 1024
        print(f"upload {size_mb:.0f} MB: {elapsed:.1f} s, {size_mb / elapsed:.0f} MB/s")
        verdict = "met" if rise_mb < MEMORY_TARGET_MB else "MISSED"
        print(f"server memory rise {rise_mb:.1f} MB (target < {MEMORY_TARGET_MB} MB): {verdict}")

        from backend.models import LessonKind
        from backend.services.content import probe, samples

        clip = samples.video_bytes(45 * 60, fps=1)
        started = time.perf_counter()
        measured = probe.probe(LessonKind.VIDEO, io.BytesIO(clip))
        read_ms = (time.perf_counter() - started) * 1000
        print(f"duration read of a 45-minute video: {read_ms:.0f} ms ({measured.duration_s} s)")
        stored = next((work / "media").rglob("*.mp4"))
        started = time.perf_counter()
        with open(stored, "rb") as reader:
            big = probe.probe(LessonKind.VIDEO, reader)
        big_ms = (time.perf_counter() - started) * 1000
        print(f"duration read of the {size_mb:.0f} MB upload: {big_ms:.0f} ms ({big.duration_s} s)")

        with app.app_context(), app.test_request_context(base_url=base):
            from backend.models import Lesson
            from backend.services.content import delivery

            url, _ = delivery.signed_url(db.session.get(Lesson, lesson["id"]))
            db.engine.dispose()
        total = lesson["media"]["bytes"]
        rng = random.Random(7)
        started = time.perf_counter()
        for _ in range(RANGE_REQUESTS):
            start = rng.randrange(0, total - RANGE_BYTES)
            part = client.get(
                url, headers={"Range": f"bytes={start}-{start + RANGE_BYTES - 1}"}, timeout=10
            )
            if part.status_code != 206 or len(part.content) != RANGE_BYTES:
                print("range request failed:", part.status_code)
                return 1
        elapsed = time.perf_counter() - started
        print(
            f"Range serving: {RANGE_REQUESTS / elapsed:.0f} requests/s of 1 MB "
            f"({RANGE_REQUESTS * RANGE_BYTES / elapsed / 1024 / 1024:.0f} MB/s), all 206"
        )
        return 0 if rise_mb < MEMORY_TARGET_MB else 2
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)
        with admin_engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin_engine.dispose()


if __name__ == "__main__":
    raise SystemExit(main())
