"""Scan sign-in on a computer (扫码登录): ticket, mini-program code, confirmation, token once."""

from __future__ import annotations

import pytest

from backend.models import AuditLog, Role
from backend.services.roster import trainee_accounts
from tests.learning_driver import Learner, enrolled
from tests.signin import bearer

TICKETS = "/api/v1/auth/web-login-tickets"


def _new_ticket(client, **kwargs) -> dict:
    response = client.post(TICKETS, **kwargs)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _confirm(client, ticket: str, token: str, expect: int = 204):
    response = client.post(f"{TICKETS}/{ticket}/confirm", headers=bearer(token))
    assert response.status_code == expect, response.get_data(as_text=True)
    return response.get_json() if expect != 204 else None


def _status(client, ticket: str, expect: int = 200) -> dict:
    response = client.get(f"{TICKETS}/{ticket}")
    assert response.status_code == expect, response.get_json()
    return response.get_json()


@pytest.fixture
def trainee(make):
    trainee = make.trainee()
    make.session.commit()
    return trainee


def test_scan_sign_in_hands_the_token_to_the_first_read_only(
    client, make, trainee, wechat_simulator, frozen_clock
):
    issued = _new_ticket(client)
    assert set(issued) == {"ticket", "expires_in", "qr_url"}
    assert issued["expires_in"] == 120
    ticket = issued["ticket"]
    assert len(ticket) + len("wl=") <= 32  # WeChat's limit on a scene
    assert issued["qr_url"] == f"{TICKETS}/{ticket}/code.png"

    # The page shows the code WeChat drew for the scene naming the ticket.
    code = client.get(issued["qr_url"])
    assert code.status_code == 200 and code.mimetype == "image/png"
    assert code.data.startswith(b"\x89PNG\r\n\x1a\n")
    drawn = wechat_simulator.app.wxacodes[-1]
    assert drawn == {"scene": f"wl={ticket}", "page": "pages/web-login/index"}

    assert _status(client, ticket) == {"status": "pending"}
    frozen_clock.advance(60)
    assert _status(client, ticket) == {"status": "pending"}

    phone_token = make.token(trainee)
    _confirm(client, ticket, phone_token)
    confirmed = _status(client, ticket)
    assert confirmed["status"] == "confirmed"
    assert confirmed["trainee"]["id"] == trainee.id
    assert confirmed["trainee"]["account"] == trainee.account
    assert confirmed["expires_in"] > 0
    web_token = confirmed["token"]
    assert web_token != phone_token
    assert client.get("/api/v1/me", headers=bearer(web_token)).status_code == 200

    # No later read answers the token again, and the ticket cannot be confirmed again.
    assert _status(client, ticket, 410)["error"]["code"] == "ticket_expired"
    assert _confirm(client, ticket, phone_token, 410)["error"]["code"] == "ticket_expired"
    assert client.get(issued["qr_url"]).status_code == 410
    entries = make.session.query(AuditLog).filter_by(action="trainee.web_login").all()
    assert [e.object_id for e in entries] == [trainee.id]


def test_tickets_are_random(client):
    first, second = _new_ticket(client)["ticket"], _new_ticket(client)["ticket"]
    assert first != second and len(first) >= 27


def test_a_ticket_expires_after_120_seconds_on_the_server_clock(
    client, make, trainee, frozen_clock
):
    ticket = _new_ticket(client)["ticket"]
    frozen_clock.advance(119)
    assert _status(client, ticket) == {"status": "pending"}
    frozen_clock.advance(2)
    assert _status(client, ticket, 410)["error"]["code"] == "ticket_expired"
    assert client.get(f"{TICKETS}/{ticket}/code.png").status_code == 410
    assert _confirm(client, ticket, make.token(trainee), 410)["error"]["code"] == "ticket_expired"


def test_a_ticket_is_confirmed_once(client, make, trainee, frozen_clock):
    other = make.trainee(trainee.enterprise)
    ticket = _new_ticket(client)["ticket"]
    _confirm(client, ticket, make.token(trainee))
    # A second scan (another phone) cannot take over the ticket.
    assert _confirm(client, ticket, make.token(other), 410)["error"]["code"] == "ticket_expired"
    assert _status(client, ticket)["trainee"]["id"] == trainee.id


@pytest.mark.parametrize("ticket", ["nope", "x" * 28, "a" * 41, "abc%20def" * 4])
def test_unknown_or_malformed_tickets_are_410(client, make, trainee, ticket):
    assert _status(client, ticket, 410)["error"]["code"] == "ticket_expired"
    assert _confirm(client, ticket, make.token(trainee), 410)["error"]["code"] == "ticket_expired"
    assert client.get(f"{TICKETS}/{ticket}/code.png").status_code == 410


def test_confirming_needs_a_signed_in_mini_program(client):
    ticket = _new_ticket(client)["ticket"]
    response = client.post(f"{TICKETS}/{ticket}/confirm")
    assert response.status_code == 401
    assert _status(client, ticket) == {"status": "pending"}


def _deactivate(make, trainee):
    admin = make.admin(Role.OPERATOR)
    trainee_accounts.deactivate(admin, trainee, client_address="127.0.0.1")
    make.session.commit()


def test_a_deactivated_trainee_cannot_confirm(client, make, trainee):
    token = make.token(trainee)
    _deactivate(make, trainee)
    ticket = _new_ticket(client)["ticket"]
    assert _confirm(client, ticket, token, 403)["error"]["code"] == "account_disabled"
    assert _status(client, ticket) == {"status": "pending"}


def test_deactivated_between_confirmation_and_read_gets_no_token(client, make, trainee):
    ticket = _new_ticket(client)["ticket"]
    _confirm(client, ticket, make.token(trainee))
    _deactivate(make, trainee)
    assert _status(client, ticket, 403)["error"]["code"] == "account_disabled"


def test_the_web_token_is_revocable(client, make, trainee):
    ticket = _new_ticket(client)["ticket"]
    _confirm(client, ticket, make.token(trainee))
    token = _status(client, ticket)["token"]
    assert client.post("/api/v1/auth/logout", headers=bearer(token)).status_code == 204
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401


def test_a_deactivation_revokes_the_web_token_too(client, make, trainee):
    ticket = _new_ticket(client)["ticket"]
    _confirm(client, ticket, make.token(trainee))
    token = _status(client, ticket)["token"]
    _deactivate(make, trainee)
    response = client.get("/api/v1/me", headers=bearer(token))
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "account_disabled"


def test_new_tickets_are_rate_limited_per_client_address(app_factory, app):
    limited = app_factory(WEB_LOGIN_RATE_LIMIT=3, WEB_LOGIN_RATE_WINDOW_S=600)
    client = limited.test_client()
    for _ in range(3):
        _new_ticket(client)
    refused = client.post(TICKETS)
    assert refused.status_code == 429
    assert refused.get_json()["error"]["code"] == "too_many_attempts"
    assert 0 < int(refused.headers["Retry-After"]) <= 600
    # Another computer is not held back.
    _new_ticket(client, environ_base={"REMOTE_ADDR": "10.1.2.3"})


def test_a_check_in_on_the_computer_supersedes_the_phones_session(client, make, frozen_clock):
    _project, lesson, trainee = enrolled(make, attention_checks_enabled=False)
    phone = Learner(client, make, trainee)
    phone.check_in(lesson)
    phone.play(60)

    ticket = _new_ticket(client)["ticket"]
    _confirm(client, ticket, phone.headers["Authorization"].split()[1])
    web = Learner(client, make, trainee, device="Chrome")
    web.headers = bearer(_status(client, ticket)["token"])
    web.check_in(lesson)
    web.play(30)

    refused = phone.beat(expect=409)
    assert refused["error"]["code"] == "session_superseded"
    # And back: the phone checking in again supersedes the computer.
    phone.check_in(lesson)
    assert web.beat(expect=409)["error"]["code"] == "session_superseded"


def test_wechat_failing_to_draw_the_code_is_503(client, wechat_simulator):
    issued = _new_ticket(client)
    wechat_simulator.fail_next("wxa/getwxacodeunlimit", -1)
    response = client.get(issued["qr_url"])
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "wechat_unavailable"
    assert "Retry-After" in response.headers
    # Drawn once it works, then kept for the ticket's life (the page may load it again).
    assert client.get(issued["qr_url"]).status_code == 200
    calls = wechat_simulator.app.calls["wxa/getwxacodeunlimit"]
    assert client.get(issued["qr_url"]).status_code == 200
    assert wechat_simulator.app.calls["wxa/getwxacodeunlimit"] == calls
