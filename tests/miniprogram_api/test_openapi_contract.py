"""Every operation in the OpenAPI document, fuzzed in-process: no 5xx, no response off-schema."""

import itertools

import schemathesis
from hypothesis import HealthCheck, given, settings
from sqlalchemy import select

from backend.clock import today
from backend.extensions import db
from backend.models import FaceCheck, LearningSession, QuizAttempt, QuizKind, SessionStatus
from backend.services.accounts import web_login
from backend.services.learning import sessions
from backend.services.practice import attempts
from backend.services.support import threads as support
from tests.contract_checks import ALL_CHECKS as CHECKS
from tests.factories import days

# Every operation the mini-program team codes against: the test fails if one drops out.
EXPECTED_OPERATIONS = {
    ("/api/v1/auth/wx-login", "post"),
    ("/api/v1/auth/bind", "post"),
    ("/api/v1/auth/logout", "post"),
    ("/api/v1/privacy-notice", "get"),
    ("/api/v1/me", "get"),
    # Learning time and class hours.
    ("/api/v1/projects/{project_id}/lessons", "get"),
    ("/api/v1/lessons/{lesson_id}/sessions", "post"),
    ("/api/v1/sessions/{session_id}/heartbeats", "post"),
    ("/api/v1/sessions/{session_id}/end", "post"),
    ("/api/v1/me/hours", "get"),
    ("/api/v1/face-checks/{check_id}/result", "post"),
    # Practice, assessment, evaluation and support.
    ("/api/v1/projects/{project_id}/quizzes", "get"),
    ("/api/v1/quizzes/{quiz_id}/attempts", "post"),
    ("/api/v1/attempts/{attempt_id}", "get"),
    ("/api/v1/attempts/{attempt_id}/answers", "post"),
    ("/api/v1/attempts/{attempt_id}/submit", "post"),
    ("/api/v1/projects/{project_id}/evaluation", "post"),
    ("/api/v1/projects/{project_id}/evaluation", "get"),
    ("/api/v1/support/threads", "post"),
    ("/api/v1/support/threads", "get"),
    ("/api/v1/support/threads/{thread_id}", "get"),
    ("/api/v1/support/threads/{thread_id}/messages", "post"),
    # Signing in on a computer by scanning, and face checks shown there.
    ("/api/v1/auth/web-login-tickets", "post"),
    ("/api/v1/auth/web-login-tickets/{ticket}", "get"),
    ("/api/v1/auth/web-login-tickets/{ticket}/code.png", "get"),
    ("/api/v1/auth/web-login-tickets/{ticket}/confirm", "post"),
    ("/api/v1/face-checks/{check_id}", "get"),
    ("/api/v1/face-checks/{check_id}/wxacode", "get"),
}
PUBLIC_OPERATIONS = {
    ("/api/v1/auth/wx-login", "post"),
    ("/api/v1/auth/bind", "post"),
    ("/api/v1/privacy-notice", "get"),
    ("/api/v1/auth/web-login-tickets", "post"),
    ("/api/v1/auth/web-login-tickets/{ticket}", "get"),
    ("/api/v1/auth/web-login-tickets/{ticket}/code.png", "get"),
}


def _seeded_schema(app, make):
    """Load the document from the app, with a trainee enrolled in a project running today,
    a lesson with a question bank, quizzes, an open attempt and an open learning session."""
    enterprise = make.enterprise()
    # The fuzzer runs on the real clock: the project must be running now.
    project = make.project(
        enterprise,
        start_date=today() - days(1),
        end_date=today() + days(30),
        face_check_at_check_in="every_session",
    )
    course = make.course(project)
    lesson = make.lesson(course)
    for _ in range(3):
        make.question(course)
    trainee = make.trainee(enterprise, wx_openid="oFuzzed")
    make.enrol(trainee, project)
    practice = make.quiz(project, course_id=course.id, question_count=2)
    assessment = make.quiz(project, kind=QuizKind.ASSESSMENT, question_count=2, time_limit_s=600)
    attempts.start_attempt(trainee, practice)
    thread = support.create_thread(trainee, "无法播放", "第二课节视频打不开")
    make.session.commit()

    def open_session() -> int:
        # Fuzzed check-outs and check-ins close sessions; aim at one that is open.
        session_id = db.session.scalar(
            select(LearningSession.id).where(
                LearningSession.trainee_id == trainee.id,
                LearningSession.status == SessionStatus.ACTIVE,
            )
        )
        if session_id is None:
            session_id = sessions.check_in(trainee, lesson.id, 0, "fuzz").session_id
            db.session.commit()
        return session_id

    def open_attempt() -> int:
        return db.session.scalar(
            select(QuizAttempt.id).where(QuizAttempt.trainee_id == trainee.id).limit(1)
        )

    def face_check() -> int:
        open_session()
        return db.session.scalar(
            select(FaceCheck.id)
            .where(FaceCheck.trainee_id == trainee.id)
            .order_by(FaceCheck.id.desc())
            .limit(1)
        )

    addresses = itertools.count()
    seeded = {
        "check_id": face_check,
        "project_id": lambda: project.id,
        "lesson_id": lambda: lesson.id,
        "session_id": open_session,
        "quiz_id": lambda: assessment.id,
        "attempt_id": open_attempt,
        "thread_id": lambda: thread.id,
        # Each from its own address, under the per-address limit on new tickets.
        "ticket": lambda: web_login.issue(f"seed-{next(addresses)}").ticket,
    }
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    return schema, trainee, seeded


def _operations(document) -> set[tuple[str, str]]:
    return {(path, method) for path, ops in document["paths"].items() for method in ops}


def test_openapi_document_is_served(client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.1")
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_document_lists_the_expected_operations(client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert _operations(document) >= EXPECTED_OPERATIONS
    for path, method in EXPECTED_OPERATIONS:
        secured = "security" in document["paths"][path][method]
        assert secured == ((path, method) not in PUBLIC_OPERATIONS), (path, method)


def _fuzz(operation, headers_for_case, seeded) -> set[int]:
    """Run one operation's generated cases; every other case is aimed at the seeded objects
    instead of random ids. Returns the statuses it answered."""
    statuses: set[int] = set()
    turn = itertools.count()

    @given(case=operation.as_strategy())
    @settings(
        max_examples=25,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        if case.path_parameters and next(turn) % 2:
            case.path_parameters = {name: seeded[name]() for name in case.path_parameters}
        response = case.call_and_validate(headers=headers_for_case(), checks=CHECKS)
        statuses.add(response.status_code)

    run()
    return statuses


def test_every_operation_survives_fuzzing(app, make):
    schema, trainee, seeded = _seeded_schema(app, make)
    operations = [op.ok() for op in schema.get_all_operations()]
    fuzzed = {(op.path, op.method.lower()) for op in operations}
    assert fuzzed >= EXPECTED_OPERATIONS
    answered = {}
    for operation in operations:
        # A fresh token per case: a fuzzed logout must not leave /me answering only 401.
        statuses = _fuzz(operation, lambda: make.auth(trainee), seeded)
        answered[(operation.path, operation.method.lower())] = statuses
    # The fuzzer got past the plumbing (auth, CSRF, body parsing) and reached the handlers.
    assert 200 in answered[("/api/v1/auth/wx-login", "post")], answered
    assert 200 in answered[("/api/v1/me", "get")], answered
    assert 204 in answered[("/api/v1/auth/logout", "post")], answered
    assert 201 in answered[("/api/v1/support/threads", "post")], answered
    assert 200 in answered[("/api/v1/support/threads", "get")], answered
    assert 200 in answered[("/api/v1/me/hours", "get")], answered
    assert 200 in answered[("/api/v1/projects/{project_id}/lessons", "get")], answered
