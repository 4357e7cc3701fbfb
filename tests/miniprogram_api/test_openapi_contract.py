"""Every operation in the OpenAPI document, fuzzed in-process: no 5xx, no response off-schema."""

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)


def _seeded_schema(app, make):
    """Load the document from the app, with a trainee enrolled in a project and a token."""
    enterprise = make.enterprise()
    project = make.project(enterprise)
    course = make.course(project)
    make.lesson(course)
    trainee = make.trainee(enterprise)
    make.enrol(trainee, project)
    headers = make.auth(trainee)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    return schema, headers


def test_openapi_document_is_served(client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.1")
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


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
        _fuzz(operation.as_strategy(), headers, checks)


def _fuzz(strategy, headers, checks):
    """Run one operation's generated cases (a closure: @given refuses default arguments)."""

    @settings(
        max_examples=25,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case):
        case.call_and_validate(headers=headers, checks=checks)

    run()
