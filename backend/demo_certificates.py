"""The demo's closed project: an earlier training of the demo enterprise that ended a month ago,
closed with its claim frozen and certificates issued, so the claim page, the trainee's list and
the verification page have something to open."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path

from flask import current_app

from backend.clock import LOCAL_TZ, today
from backend.demo_learning import LESSON_S, ended_learning
from backend.extensions import db
from backend.models import (
    AdminUser,
    Course,
    Enrolment,
    Lesson,
    LessonKind,
    Project,
    ProjectCourse,
    ProjectStatus,
    TrainingType,
)
from backend.services.certificates.signing import generate_pair
from backend.services.claims.closing import close_project


def ensure_signing_pair() -> None:
    """A self-signed pair under instance/ when none is configured or the files are missing
    (never in production, which must be given the platform's own)."""
    config = current_app.config
    if config.get("ENV_NAME") == "production":
        return
    folder = Path(current_app.instance_path) / "signing"
    config["SIGNING_KEY_PATH"] = config.get("SIGNING_KEY_PATH") or str(folder / "key.pem")
    config["SIGNING_CERT_PATH"] = config.get("SIGNING_CERT_PATH") or str(folder / "cert.pem")
    config["PUBLIC_BASE_URL"] = config.get("PUBLIC_BASE_URL") or "http://127.0.0.1:5000"
    if not (
        Path(config["SIGNING_KEY_PATH"]).is_file() and Path(config["SIGNING_CERT_PATH"]).is_file()
    ):
        generate_pair(config["SIGNING_KEY_PATH"], config["SIGNING_CERT_PATH"], "Shigang demo")


def seed_closed_project(current: Project, trainees: list, operator: AdminUser) -> Project:
    """The earlier project: the first two trainees learned two class hours each, the third
    enrolled without learning; closed by the operator (certificates for the first two)."""
    ensure_signing_pair()
    start = today() - timedelta(days=120)
    project = Project(
        enterprise=current.enterprise,
        platform=current.platform,
        name="2026 年新员工岗前安全培训",
        post_trade="装配工",
        training_type=TrainingType.PRE_JOB,
        planned_headcount=3,
        method="线上培训（微信小程序）",
        start_date=start,
        end_date=start + timedelta(days=90),
        planned_class_hours=2,
        person_in_charge="钱经理",
        person_mobile="13900139000",
        goal="掌握岗前安全须知",
        status=ProjectStatus.APPROVED,
    )
    course = Course(enterprise=current.enterprise, name="岗前安全须知", summary="安全须知")
    course.lessons = [
        Lesson(title=f"岗前安全须知（{n}）", position=n, kind=LessonKind.VIDEO, duration_s=LESSON_S)
        for n in (1, 2)
    ]
    project.course_links.append(ProjectCourse(course=course, position=0))
    db.session.add(project)
    for trainee in trainees[:3]:
        db.session.add(Enrolment(project=project, trainee=trainee))
    db.session.flush()
    for n, trainee in enumerate(trainees[:2]):
        for day, lesson in enumerate(course.lessons):
            at = datetime.combine(start + timedelta(days=day + 1), time(10, n * 10), LOCAL_TZ)
            ended_learning(trainee.id, project.id, lesson.id, at.astimezone(UTC), LESSON_S)
    db.session.flush()
    close_project(project, operator, client_address="127.0.0.1")
    return project
