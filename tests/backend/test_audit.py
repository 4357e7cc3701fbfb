"""The audit log records who acted and from which client address, as the web layer saw them:
an admin, a trainee and a bureau key, each through HTTP, directly and behind a trusted proxy."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from backend.models import AuditLog, ProjectStatus, Role
from tests.factories import ADMIN_PASSWORD, id_number
from tests.signin import WeChatUser, bind, bind_ticket, phone_code

PEER = "10.0.0.2"
FORWARDED = "203.0.113.50"
MOBILE = "13800138009"
# Without a trusted proxy a forged X-Forwarded-For is ignored; behind one it is the client.
ADDRESSES = [(0, PEER), (1, FORWARDED)]


@pytest.fixture(params=ADDRESSES, ids=["direct", "behind-a-proxy"])
def proxied(request, app_factory):
    """A test client of an app with TRUSTED_PROXY_HOPS set, and the address the log must show."""
    hops, recorded = request.param
    app = app_factory(TRUSTED_PROXY_HOPS=hops)
    client = app.test_client()
    client.environ_base.update(REMOTE_ADDR=PEER, HTTP_X_FORWARDED_FOR=FORWARDED)
    with app.app_context():
        yield client, recorded


def _sign_in(client, admin) -> str:
    page = client.get("/admin/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    data = {"username": admin.username, "password": ADMIN_PASSWORD, "csrf_token": token}
    assert client.post("/admin/login", data=data).status_code == 302
    return client.get("/api/admin/me").get_json()["csrf_token"]


def _entries(make, action: str) -> list[AuditLog]:
    make.session.expire_all()
    return list(make.session.scalars(select(AuditLog).where(AuditLog.action == action)))


def test_an_admin_api_act_records_the_admin_and_the_client(proxied, make):
    client, recorded = proxied
    company = make.enterprise()
    hr = make.admin(Role.ENTERPRISE_ADMIN, enterprise=company)
    trainee = make.trainee(company)
    make.session.commit()
    csrf = _sign_in(client, hr)
    response = client.post(
        f"/api/admin/trainees/{trainee.id}/deactivate", headers={"X-CSRFToken": csrf}
    )
    assert response.status_code == 200, response.get_json()
    [entry] = _entries(make, "trainee.deactivated")
    assert (entry.actor_kind, entry.actor_id, entry.ip) == ("admin", hr.id, recorded)
    [login] = _entries(make, "admin.login")
    assert (login.actor_id, login.ip) == (hr.id, recorded)


def test_a_page_reveal_records_the_admin_and_the_client(proxied, make):
    client, recorded = proxied
    company = make.enterprise()
    hr = make.admin(Role.ENTERPRISE_ADMIN, enterprise=company)
    trainee = make.trainee(company)
    make.session.commit()
    csrf = _sign_in(client, hr)
    response = client.post(f"/admin/trainees/{trainee.id}/reveal-id", data={"csrf_token": csrf})
    assert response.status_code == 200
    [entry] = _entries(make, "pii.reveal_id_number")
    assert (entry.actor_kind, entry.actor_id, entry.ip) == ("admin", hr.id, recorded)
    assert entry.object_id == trainee.id


def test_a_bureau_read_records_the_key_and_the_client(proxied, make):
    client, recorded = proxied
    shenzhen = make.enterprise(name="深圳企业", division="440303")
    project = make.project(shenzhen, status=ProjectStatus.APPROVED)
    trainee = make.trainee(shenzhen, id_number=id_number(654))
    make.enrol(trainee, project)
    operator = make.admin(Role.OPERATOR)
    make.session.commit()
    csrf = _sign_in(client, operator)
    body = {"bureau": "深圳市人社局", "cities": ["4403"], "full_numbers": True}
    issued = client.post("/api/admin/bureau-keys", json=body, headers={"X-CSRFToken": csrf})
    assert issued.status_code == 201, issued.get_json()
    [issue] = _entries(make, "bureau_key.issue")
    assert (issue.actor_kind, issue.actor_id, issue.ip) == ("admin", operator.id, recorded)
    key = issued.get_json()
    response = client.get(
        f"/api/supervision/v1/projects/{project.id}/roster",
        headers={"Authorization": f"Bearer {key['key']}"},
    )
    assert response.status_code == 200, response.get_json()
    assert "*" not in response.get_json()["items"][0]["id_number"]
    [entry] = _entries(make, "pii.reveal_id_number")
    assert (entry.actor_kind, entry.actor_id, entry.ip) == ("bureau_key", key["id"], recorded)


def test_a_trainee_bind_records_the_trainee_and_the_client(proxied, make, wechat_simulator):
    client, recorded = proxied
    trainee = make.trainee(mobile=MOBILE, account="audit-bind")
    make.session.commit()
    wrong = bind(client, bind_ticket(client, WeChatUser()), "audit-bind", activation_code="X")
    assert wrong.status_code == 400
    [failed] = _entries(make, "trainee.bind_failed")
    # Nobody is signed in yet: the entry names the account's trainee as its object only.
    assert (failed.actor_kind, failed.actor_id, failed.ip) == ("trainee", None, recorded)
    assert failed.object_id == trainee.id
    proof = phone_code(wechat_simulator, MOBILE)
    bound = bind(client, bind_ticket(client, WeChatUser()), "audit-bind", phone_code=proof)
    assert bound.status_code == 200, bound.get_json()
    [entry] = _entries(make, "trainee.wechat_bound")
    assert (entry.actor_kind, entry.actor_id, entry.ip) == ("trainee", trainee.id, recorded)
