"""The supervision API's OpenAPI document, fuzzed in-process with a real bureau key (masked and
full numbers): no server error and no response off the documented schema."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from backend.clock import today
from backend.models import Role
from backend.services.claims.closing import close_project
from backend.services.supervision import keys
from tests.contract_checks import ALL_CHECKS as CHECKS

API = "/api/supervision/v1"
EXPECTED = {
    (f"{API}/filings", "get"),
    (f"{API}/claims", "get"),
    (f"{API}/projects/{{project_id}}/roster", "get"),
    (f"{API}/projects/{{project_id}}/hours", "get"),
    (f"{API}/spans", "get"),
    (f"{API}/certificates", "get"),
}


@pytest.fixture
def bureau_world(app, make):
    """Two Shenzhen projects (one open with credited learning, one closed with its claim), a
    Foshan project outside the key's city, and the operator who issues the keys."""
    app.config["SUPERVISION_RATE_LIMIT"] = 10_000  # the fuzzer sends hundreds of requests
    shenzhen = make.enterprise(name="深圳企业", division="440303")
    foshan = make.enterprise(name="佛山企业", division="440604")
    running = make.project(shenzhen, name="深圳项目", end_date=today() + timedelta(days=30))
    closing = make.project(shenzhen, name="深圳已结束项目", end_date=today() + timedelta(days=30))
    make.project(foshan, name="佛山项目")
    start = datetime.combine(today() - timedelta(days=2), datetime.min.time(), UTC)
    for project in (running, closing):
        lesson = make.lesson(make.course(project))
        for _ in range(2):
            trainee = make.trainee(shenzhen)
            make.enrol(trainee, project)
            make.learning(trainee, lesson, start, 2 * 45 * 60)
    operator = make.admin(Role.OPERATOR)
    close_project(closing, operator, "项目提前结束", client_address="192.0.2.10")
    make.session.commit()
    return {"project_id": running.id, "closed_project_id": closing.id}, operator


def _fuzz(operation, headers: dict, path_ids: dict) -> set[int]:
    """One operation's generated cases; every other one aimed at a seeded project."""
    statuses: set[int] = set()
    turn = itertools.count()

    @given(case=operation.as_strategy())
    @settings(
        max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    def run(case):
        if case.path_parameters and next(turn) % 2:
            case.path_parameters = {name: path_ids[name] for name in case.path_parameters}
        response = case.call_and_validate(headers=headers, checks=CHECKS)
        statuses.add(response.status_code)

    run()
    return statuses


@pytest.mark.parametrize("full_numbers", [False, True], ids=["masked", "full_numbers"])
def test_every_supervision_operation_survives_fuzzing(app, make, bureau_world, full_numbers):
    path_ids, operator = bureau_world
    key, plain = keys.issue_key(
        "深圳市人力资源和社会保障局", ["4403"], full_numbers, operator, client_address="192.0.2.10"
    )
    make.session.commit()
    headers = {"Authorization": f"Bearer {plain}"}
    schema = schemathesis.openapi.from_wsgi(f"{API}/openapi.json", app)
    answered = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        answered[(operation.path, operation.method.lower())] = _fuzz(operation, headers, path_ids)
    assert set(answered) == EXPECTED
    # Past the key check and into the reads: every operation answered 200 at least once.
    for operation, statuses in answered.items():
        assert 200 in statuses, (operation, statuses)
    # And the seeded data is what a page shows.
    client = app.test_client()
    claims = client.get(f"{API}/claims", headers=headers).get_json()["items"]
    assert [c["project_id"] for c in claims] == [path_ids["closed_project_id"]]
    hours = client.get(f"{API}/projects/{path_ids['project_id']}/hours", headers=headers)
    assert [row["class_hours"] for row in hours.get_json()["items"]] == [2, 2]
    assert key.revoked_at is None
