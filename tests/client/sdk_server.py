"""The real app served for the SDK's Node tests: werkzeug on an ephemeral loopback port, a credit
drainer thread, the WeChat simulator, and a seeded enterprise, project, lessons and trainees."""

from __future__ import annotations

import json
import threading
from contextlib import contextmanager
from pathlib import Path

from werkzeug.serving import make_server

from backend import drainer
from backend.clock import today
from backend.extensions import db
from backend.policy import POLICY_DIR
from backend.services.accounts import tokens
from tests.factories import Factories, days

POLICY = "sdk_test"
# Node runs in real time: beats every 2 s, a gap of up to 6 s still credited.
POLICY_CHANGES = {"heartbeat_interval_s": 2, "max_gap_factor": 3, "face_check_at_check_in": "never"}


def write_policy(directory: Path) -> dict:
    """A complete policy file for the served app, in ``directory``; its settings."""
    data = json.loads((POLICY_DIR / "guangdong_2020.json").read_text(encoding="utf-8"))
    data.update(POLICY_CHANGES, id=POLICY)
    (directory / f"{POLICY}.json").write_text(json.dumps(data), encoding="utf-8")
    return {"SUBSIDY_POLICY": POLICY, "SUBSIDY_POLICY_DIR": str(directory)}


def seed(make: Factories, names: list[str]) -> dict:
    """One project running today with a lesson, a project asking a face check at every check-in,
    and a trainee (with two tokens: two devices) per name in both; committed."""
    enterprise = make.enterprise()
    running = {"start_date": today() - days(1), "end_date": today() + days(30)}
    common = {"policy_id": POLICY, "attention_checks_enabled": False, "face_check_interval_s": 0}
    plain = make.project(enterprise, face_check_at_check_in="never", **running, **common)
    faced = make.project(enterprise, face_check_at_check_in="every_session", **running, **common)
    # Attention checks about every 3 s (codes to type back: the course has no pool questions).
    checked = make.project(
        enterprise,
        **running,
        **{**common, "attention_checks_enabled": True, "attention_check_interval_s": 3},
    )
    lesson = make.lesson(make.course(plain), duration_s=3600)
    faced_lesson = make.lesson(make.course(faced), duration_s=3600)
    checked_lesson = make.lesson(make.course(checked), duration_s=3600)
    trainees = {}
    for name in names:
        trainee = make.trainee(enterprise, wx_openid=f"oSdk{name}")
        make.enrol(trainee, plain)
        make.enrol(trainee, faced)
        make.enrol(trainee, checked)
        trainees[name] = trainee
    make.session.commit()
    return {
        "project_id": plain.id,
        "lesson_id": lesson.id,
        "faced_project_id": faced.id,
        "faced_lesson_id": faced_lesson.id,
        "checked_project_id": checked.id,
        "checked_lesson_id": checked_lesson.id,
        "trainees": {
            name: {
                "id": t.id,
                "tokens": [tokens.issue_token(t.id)[0], tokens.issue_token(t.id)[0]],
            }
            for name, t in trainees.items()
        },
    }


@contextmanager
def served(app):
    """Serve ``app`` on 127.0.0.1 with a drainer thread; yields the base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="sdk-app", daemon=True)
    thread.start()
    stop = threading.Event()
    drain = drainer.run_in_thread(app, stop)
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        stop.set()
        server.shutdown()
        thread.join(10)
        drain.join(10)
        with app.app_context():
            db.session.remove()
