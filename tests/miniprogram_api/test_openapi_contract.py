"""Every operation in the OpenAPI document, fuzzed in-process: no 5xx, no response off-schema."""

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from backend.models import QuizKind
from backend.services import attempts


def _seeded_schema(app, make):
    """Load the document from the app, with a trainee enrolled in a project and a token."""
    enterprise = make.enterprise()
    project = make.project(enterprise)
    course = make.course(project)
    make.lesson(course)
    trainee = make.trainee(enterprise)
    make.enrol(trainee, project)
    # A small bank and one quiz of each kind, so attempts, answers and submits have data to hit.
    for _ in range(3):
        make.question(course)
    practice = make.quiz(project, course_id=course.id, question_count=2)
    make.quiz(project, kind=QuizKind.ASSESSMENT, question_count=2, time_limit_s=600)
    attempts.start_attempt(trainee, practice)  # an open attempt for the attempt endpoints
    headers = make.auth(trainee)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    return schema, headers


def test_openapi_document_is_served(client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.1")
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


QUIZ_OPERATIONS = {
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
}


def test_document_lists_quiz_evaluation_and_support_operations(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    listed = {(path, method) for path, ops in paths.items() for method in ops}
    assert listed >= QUIZ_OPERATIONS
    for path, method in QUIZ_OPERATIONS:
        assert paths[path][method]["security"] == [{"bearerAuth": []}]


def test_every_operation_survives_fuzzing(app, make):
    schema, headers = _seeded_schema(app, make)
    operations = [op.ok() for op in schema.get_all_operations()]
    checks = [
        not_a_server_error,
        response_schema_conformance,
        status_code_conformance,
        content_type_conformance,
    ]
    for operation in operations:
        # A fresh test function per operation: @given refuses functions with default arguments.
        @settings(
            max_examples=25,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def run(case):
            case.call_and_validate(headers=headers, checks=checks)

        run()
