"""Every operation in the OpenAPI document, fuzzed in-process: no 5xx, no response off-schema."""

import itertools

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import select

from backend.clock import today
from backend.extensions import db
from backend.models import LearningSession, SessionStatus
from backend.services import sessions
from tests.factories import days


def _seeded_schema(app, make):
    """Load the document from the app, with a trainee enrolled in a project running today,
    a lesson with a question bank, an open learning session and a token."""
    enterprise = make.enterprise()
    # The fuzzer runs on the real clock: the project must be running now.
    project = make.project(enterprise, start_date=today() - days(1), end_date=today() + days(30))
    course = make.course(project)
    lesson = make.lesson(course)
    make.question(course)
    trainee = make.trainee(enterprise)
    make.enrol(trainee, project)
    headers = make.auth(trainee)

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

    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    seeded = {"project_id": lambda: project.id, "lesson_id": lambda: lesson.id}
    seeded["session_id"] = open_session
    return schema, headers, seeded


def test_openapi_document_is_served(client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.1")
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_every_operation_survives_fuzzing(app, make):
    schema, headers, seeded = _seeded_schema(app, make)
    operations = [op.ok() for op in schema.get_all_operations()]
    checks = [
        not_a_server_error,
        response_schema_conformance,
        status_code_conformance,
        content_type_conformance,
    ]
    for operation in operations:
        _fuzz(operation.as_strategy(), headers, checks, seeded)


def _fuzz(strategy, headers, checks, seeded):
    """Run one operation's generated cases (a closure: @given refuses default arguments);
    every other case is aimed at the seeded objects instead of random ids."""
    turn = itertools.count()

    @settings(
        max_examples=25,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case):
        if case.path_parameters and next(turn) % 2:
            case.path_parameters = {name: seeded[name]() for name in case.path_parameters}
        case.call_and_validate(headers=headers, checks=checks)

    run()
