"""Closing a project over the admin API: reasons, open sessions, refusals afterwards, review."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from backend.clock import clock
from backend.extensions import db
from backend.models import (
    AuditLog,
    ClaimStatus,
    LearningSession,
    ProjectStatus,
    Quiz,
    QuizAttempt,
    QuizKind,
    Role,
    SessionStatus,
)
from tests.learning_driver import Learner

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


@pytest.fixture
def world(make, frozen_clock):
    """Enterprise A's running project with one lesson and two trainees; admins of every kind."""
    a = make.enterprise(name="甲公司")
    project = make.project(a, planned_class_hours=10, attention_checks_enabled=False)
    lesson = make.lesson(make.course(project), duration_s=20 * 3600)
    first = make.trainee(a, name="张三", roster_seq=1)
    second = make.trainee(a, name="李四", roster_seq=2)
    for trainee in (first, second):
        make.enrol(trainee, project)
    return {
        "project": project,
        "lesson": lesson,
        "first": first,
        "second": second,
        "hr": make.admin(Role.ENTERPRISE_ADMIN, a),
        "other_hr": make.admin(Role.ENTERPRISE_ADMIN, make.enterprise()),
        "reviewer": make.admin(Role.REVIEWER),
        "operator": make.admin(Role.OPERATOR),
    }


def post(client, csrf, path, body=None):
    return client.post(path, json=body or {}, headers={"X-CSRFToken": csrf})


def test_closing_early_needs_a_reason(client, admin_login, world):
    csrf = admin_login(world["hr"])
    path = f"/api/admin/projects/{world['project'].id}/close"
    refused = post(client, csrf, path)
    assert refused.status_code == 422
    assert refused.get_json()["error"]["code"] == "close_reason_required"
    assert world["project"].status is ProjectStatus.APPROVED

    closed = post(client, csrf, path, {"reason": "订单提前完成，培训结束"})
    assert closed.status_code == 200, closed.get_json()
    body = closed.get_json()
    assert body["status"] == "frozen"
    assert body["close_reason"] == "订单提前完成，培训结束"
    assert len(body["digest"]) == 64
    db.session.expire_all()
    assert world["project"].status is ProjectStatus.CLOSED
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "project.close"))
    assert entry.detail["early"] is True

    again = post(client, csrf, path, {"reason": "再来一次"})
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "project_closed"


def test_after_the_end_date_no_reason_is_needed(client, admin_login, world):
    clock.freeze(datetime(2026, 7, 1, 1, 0, tzinfo=UTC))
    csrf = admin_login(world["hr"])
    closed = post(client, csrf, f"/api/admin/projects/{world['project'].id}/close")
    assert closed.status_code == 200, closed.get_json()
    assert closed.get_json()["close_reason"] is None


def test_who_may_close(client, admin_login, world):
    path = f"/api/admin/projects/{world['project'].id}/close"
    body = {"reason": "提前结束"}
    csrf = admin_login(world["other_hr"])
    assert post(client, csrf, path, body).status_code == 404
    csrf = admin_login(world["reviewer"])
    assert post(client, csrf, path, body).status_code == 403
    db.session.expire_all()
    assert world["project"].status is ProjectStatus.APPROVED


def test_open_sessions_close_at_their_last_accepted_beat_and_learning_stops(
    client, make, admin_login, world
):
    learner = Learner(client, make, world["first"])
    learner.check_in(world["lesson"])
    for _ in range(4):
        clock.advance(30)
        learner.beat()
    clock.advance(50)  # these 50 s after the last beat are never proven: not credited
    csrf = admin_login(world["hr"])
    closed = post(
        client, csrf, f"/api/admin/projects/{world['project'].id}/close", {"reason": "提前结束"}
    )
    assert closed.status_code == 200, closed.get_json()
    session = db.session.get(LearningSession, learner.session_id)
    db.session.refresh(session)
    assert session.status is SessionStatus.PROJECT_CLOSED
    assert session.credited_s == 120
    assert session.ended_at == session.last_beat_at
    line = closed.get_json()["lines"][0]
    assert (line["name"], line["credited_s"]) == ("张三", 120)

    clock.advance(30)
    refused = learner.beat(expect=409)
    assert refused["error"]["code"] == "project_closed"
    again = learner.check_in(world["lesson"], expect=409)
    assert again["error"]["code"] == "project_closed"


def test_a_trainee_who_failed_a_required_assessment_is_listed_apart(
    client, make, admin_login, world
):
    project = world["project"]
    project.assessment_required = True
    quiz = make.session.merge(
        Quiz(project_id=project.id, title="结业考核", kind=QuizKind.ASSESSMENT)
    )
    make.session.flush()
    for trainee, passed in ((world["first"], True), (world["second"], False)):
        make.learning(trainee, world["lesson"], T0 + timedelta(days=trainee.roster_seq), 2 * 2700)
        make.session.add(
            QuizAttempt(
                quiz_id=quiz.id,
                trainee_id=trainee.id,
                question_ids=[],
                option_orders={},
                submitted_at=T0,
                score=80 if passed else 40,
                passed=passed,
            )
        )
    csrf = admin_login(world["hr"])
    body = post(
        client, csrf, f"/api/admin/projects/{project.id}/close", {"reason": "提前结束"}
    ).get_json()
    first, second = body["lines"]
    assert (first["qualifies"], first["subsidy_fen"], first["assessment"]) == (True, 6000, "合格")
    assert (second["qualifies"], second["reason"], second["subsidy_fen"]) == (
        False,
        "assessment_not_passed",
        0,
    )
    assert second["class_hours"] == 2
    assert (body["qualifying_trainees"], body["subsidy_fen"]) == (1, 6000)
    assert body["years"] == [
        {
            "year": 2026,
            "trainees": 1,
            "class_hours": 2,
            "subsidizable_hours": 2,
            "subsidy_fen": 6000,
        }
    ]


def test_an_enterprise_that_received_the_affected_subsidy_claims_nothing(
    client, make, admin_login, world
):
    project = world["project"]
    project.filing_snapshot = {"enterprise": {"received_affected_subsidy": True}}
    make.learning(world["first"], world["lesson"], T0, 2700)
    csrf = admin_login(world["hr"])
    body = post(
        client, csrf, f"/api/admin/projects/{project.id}/close", {"reason": "提前结束"}
    ).get_json()
    assert body["received_affected_subsidy"] is True
    assert [line["reason"] for line in body["lines"]] == ["affected_subsidy", "affected_subsidy"]
    assert body["subsidy_fen"] == 0


def test_submit_return_resubmit_approve(client, make, admin_login, world):
    project = world["project"]
    make.learning(world["first"], world["lesson"], T0, 2700)
    csrf = admin_login(world["hr"])
    base = f"/api/admin/projects/{project.id}"
    assert post(client, csrf, f"{base}/claim/submit").status_code == 404  # not closed yet
    post(client, csrf, f"{base}/close", {"reason": "提前结束"})
    assert post(client, csrf, f"{base}/claim/submit").get_json()["status"] == "submitted"
    assert post(client, csrf, f"{base}/claim/submit").status_code == 409
    assert post(client, csrf, f"{base}/claim/review", {"decision": "approved"}).status_code == 403

    csrf = admin_login(world["reviewer"])
    no_comment = post(client, csrf, f"{base}/claim/review", {"decision": "returned"})
    assert no_comment.get_json()["error"]["code"] == "claim_comment_required"
    returned = post(
        client, csrf, f"{base}/claim/review", {"decision": "returned", "comment": "请补签字"}
    )
    assert returned.get_json()["status"] == "returned"
    assert returned.get_json()["review_comment"] == "请补签字"

    csrf = admin_login(world["hr"])
    assert post(client, csrf, f"{base}/claim/submit").get_json()["status"] == "submitted"
    csrf = admin_login(world["reviewer"])
    approved = post(client, csrf, f"{base}/claim/review", {"decision": "approved"}).get_json()
    assert approved["status"] == ClaimStatus.APPROVED.value
    assert [e["action"] for e in approved["events"]] == [
        "close",
        "submit",
        "return",
        "submit",
        "approve",
    ]
    actions = db.session.scalars(
        select(AuditLog.action).where(AuditLog.action.like("claim.%")).order_by(AuditLog.id)
    ).all()
    assert actions == ["claim.submit", "claim.return", "claim.submit", "claim.approve"]
