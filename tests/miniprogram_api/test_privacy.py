"""The privacy notice, consent at the first bind, and erasure after the retention period."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from backend.clock import clock
from backend.models import AuditLog, CreditedSpan, Role, Trainee
from tests.factories import mobile
from tests.signin import WeChatUser, bind, bind_ticket, phone_code


def test_notice_then_bind_records_the_accepted_version(client, make, wechat_simulator):
    trainee = make.trainee(mobile=mobile(61))
    make.session.commit()
    notice = client.get("/api/v1/privacy-notice")
    assert notice.status_code == 200
    version = notice.get_json()["version"]
    assert notice.get_json()["text"] and notice.get_json()["title"]

    ticket = bind_ticket(client, WeChatUser())
    for given in (None, "2019-01-01"):
        refused = bind(
            client,
            ticket,
            trainee.account,
            phone_code=phone_code(wechat_simulator, mobile(61)),
            privacy_version=given,
        )
        assert refused.status_code == 422
        assert refused.get_json()["error"]["code"] == "privacy_notice_required"
    # The ticket was not spent by the refusal: the same one binds with the current version.
    done = bind(
        client, ticket, trainee.account, phone_code=phone_code(wechat_simulator, mobile(61))
    )
    assert done.status_code == 200, done.get_json()
    make.session.expire_all()
    stored = make.session.get(Trainee, trainee.id)
    assert stored.privacy_version == version and stored.privacy_accepted_at is not None


def test_erasure_waits_for_the_retention_period_and_keeps_the_figures(client, make, admin_login):
    project = make.project()
    lesson = make.lesson(make.course(project))
    trainee = make.trainee(project.enterprise, name="钱七", account="qianqi")
    make.enrol(trainee, project)
    make.credited_span(trainee, lesson, datetime(2026, 3, 5, 1, tzinfo=UTC), 2700)
    hr = make.admin(Role.ENTERPRISE_ADMIN, enterprise=project.enterprise)
    operator = make.admin(Role.OPERATOR)
    make.session.commit()
    url = f"/api/admin/trainees/{trainee.id}/erase"

    csrf = admin_login(hr)
    assert client.post(url, headers={"X-CSRFToken": csrf}).status_code == 403
    csrf = admin_login(operator)
    clock.freeze(datetime(2027, 1, 1, tzinfo=UTC))
    early = client.post(url, headers={"X-CSRFToken": csrf})
    assert early.status_code == 409
    assert early.get_json()["error"]["code"] == "retention_not_over"

    clock.freeze(datetime(2031, 7, 2, tzinfo=UTC))  # five years after the project's last day
    done = client.post(url, headers={"X-CSRFToken": csrf})
    assert done.status_code == 200, done.get_json()
    body = done.get_json()
    assert body["name"] == "（已删除）" and body["id_number"] == "" and body["active"] is False
    make.session.expire_all()
    stored = make.session.get(Trainee, trainee.id)
    assert stored.account != "qianqi" and stored.erased_at is not None
    spans = make.session.scalar(select(func.sum(CreditedSpan.seconds)))
    assert spans == 2700  # figures and spans stay
    entry = make.session.scalars(select(AuditLog).where(AuditLog.action == "trainee.erased")).one()
    assert entry.actor_id == operator.id
    again = client.post(url, headers={"X-CSRFToken": csrf})
    assert again.get_json()["error"]["code"] == "already_erased"
