"""Every operation in the OpenAPI document, fuzzed in-process: no 5xx, no response off-schema."""

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]

# Every operation the mini-program team codes against: the test fails if one drops out.
EXPECTED_OPERATIONS = {
    ("/api/v1/auth/wx-login", "post"),
    ("/api/v1/auth/bind", "post"),
    ("/api/v1/auth/logout", "post"),
    ("/api/v1/me", "get"),
}
PUBLIC_OPERATIONS = {("/api/v1/auth/wx-login", "post"), ("/api/v1/auth/bind", "post")}


def _seeded_schema(app, make):
    """Load the document from the app, with a trainee enrolled in a project."""
    enterprise = make.enterprise()
    project = make.project(enterprise)
    course = make.course(project)
    make.lesson(course)
    trainee = make.trainee(enterprise)
    make.enrol(trainee, project)
    make.session.commit()
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    return schema, trainee


def _operations(document) -> set[tuple[str, str]]:
    return {(path, method) for path, ops in document["paths"].items() for method in ops}


def test_openapi_document_is_served(client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.1")
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_document_lists_the_sign_in_operations(client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert _operations(document) >= EXPECTED_OPERATIONS
    for path, method in EXPECTED_OPERATIONS:
        secured = "security" in document["paths"][path][method]
        assert secured == ((path, method) not in PUBLIC_OPERATIONS), (path, method)


def _fuzz(operation, headers_for_case) -> set[int]:
    """Run the generated cases of one operation; return the statuses it answered."""
    statuses: set[int] = set()

    @given(case=operation.as_strategy())
    @settings(
        max_examples=25,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        response = case.call_and_validate(headers=headers_for_case(), checks=CHECKS)
        statuses.add(response.status_code)

    run()
    return statuses


def test_every_operation_survives_fuzzing(app, make):
    schema, trainee = _seeded_schema(app, make)
    operations = [op.ok() for op in schema.get_all_operations()]
    fuzzed = {(op.path, op.method.lower()) for op in operations}
    assert fuzzed >= EXPECTED_OPERATIONS
    answered = {}
    for operation in operations:
        # A fresh token per case: a fuzzed logout must not leave /me answering only 401.
        statuses = _fuzz(operation, lambda: make.auth(trainee))
        answered[(operation.path, operation.method.lower())] = statuses
    # The fuzzer got past the plumbing (auth, CSRF, body parsing) and reached the handlers.
    assert 200 in answered[("/api/v1/auth/wx-login", "post")], answered
    assert 200 in answered[("/api/v1/me", "get")], answered
    assert 204 in answered[("/api/v1/auth/logout", "post")], answered
