"""The supervision API: keys shown once and hashed, city scope, masking, cursors, rate limit."""

from __future__ import annotations

from sqlalchemy import func, select

from backend.models import AuditLog, BureauApiKey, ProjectStatus, Role
from tests.factories import id_number

API = "/api/supervision/v1"


def _key(client, make, admin_login, **body):
    csrf = admin_login(make.admin(Role.OPERATOR))
    body = {"bureau": "深圳市人社局", "cities": ["4403"], **body}
    response = client.post("/api/admin/bureau-keys", json=body, headers={"X-CSRFToken": csrf})
    assert response.status_code == 201, response.get_json()
    return response.get_json(), csrf


def _world(make):
    shenzhen = make.enterprise(name="深圳企业", division="440303")
    foshan = make.enterprise(name="佛山企业", division="440604")
    mine = make.project(shenzhen, name="深圳项目")
    other = make.project(foshan, name="佛山项目")
    make.project(shenzhen, name="深圳草稿", status=ProjectStatus.DRAFT)
    trainee = make.trainee(shenzhen, id_number=id_number(321))
    make.enrol(trainee, mine)
    make.session.commit()
    return mine, other


def test_a_key_is_shown_once_and_stored_hashed(client, make, admin_login):
    issued, csrf = _key(client, make, admin_login)
    stored = make.session.get(BureauApiKey, issued["id"])
    assert issued["key"].startswith(stored.key_prefix)
    assert issued["key"] not in (stored.key_hash, stored.key_prefix)
    listed = client.get("/api/admin/bureau-keys").get_json()["keys"]
    assert "key" not in listed[0] and "key_hash" not in listed[0]
    headers = {"Authorization": f"Bearer {issued['key']}"}
    assert client.get(f"{API}/filings", headers=headers).status_code == 200
    client.post(f"/api/admin/bureau-keys/{issued['id']}/revoke", headers={"X-CSRFToken": csrf})
    refused = client.get(f"{API}/filings", headers=headers)
    assert refused.status_code == 401
    assert refused.get_json()["error"]["code"] == "invalid_api_key"
    assert client.get(f"{API}/filings").status_code == 401


def test_reads_stay_in_the_keys_cities_and_mask_numbers(client, make, admin_login):
    mine, other = _world(make)
    issued, _ = _key(client, make, admin_login)
    headers = {"Authorization": f"Bearer {issued['key']}"}
    filings = client.get(f"{API}/filings", headers=headers).get_json()
    assert [f["name"] for f in filings["items"]] == ["深圳项目"]
    assert filings["items"][0]["city_code"] == "4403"
    roster = client.get(f"{API}/projects/{mine.id}/roster", headers=headers).get_json()
    assert "*" in roster["items"][0]["id_number"]
    assert client.get(f"{API}/projects/{other.id}/roster", headers=headers).status_code == 404
    assert (
        make.session.scalar(
            select(func.count())
            .select_from(AuditLog)
            .where(AuditLog.action == "pii.reveal_id_number")
        )
        == 0
    )


def test_a_key_allowed_full_numbers_reads_them_audit_logged(client, make, admin_login):
    mine, _ = _world(make)
    issued, _ = _key(client, make, admin_login, full_numbers=True)
    headers = {"Authorization": f"Bearer {issued['key']}"}
    roster = client.get(f"{API}/projects/{mine.id}/roster", headers=headers).get_json()
    assert roster["items"][0]["id_number"] == id_number(321)
    entry = make.session.scalar(select(AuditLog).where(AuditLog.action == "pii.reveal_id_number"))
    assert (entry.actor_kind, entry.actor_id) == ("bureau_key", issued["id"])


def test_cursors_continue_where_the_last_page_ended(client, make, admin_login):
    shenzhen = make.enterprise(division="440300")
    ids = [make.project(shenzhen).id for _ in range(5)]
    make.session.commit()
    issued, _ = _key(client, make, admin_login)
    headers = {"Authorization": f"Bearer {issued['key']}"}
    first = client.get(f"{API}/filings?limit=3", headers=headers).get_json()
    assert [f["id"] for f in first["items"]] == ids[:3] and first["has_more"]
    rest = client.get(f"{API}/filings?limit=3&cursor={first['next_cursor']}", headers=headers)
    body = rest.get_json()
    assert [f["id"] for f in body["items"]] == ids[3:] and not body["has_more"]
    empty = client.get(f"{API}/filings?cursor={body['next_cursor']}", headers=headers).get_json()
    assert empty == {"items": [], "next_cursor": body["next_cursor"], "has_more": False}
    bad = client.get(f"{API}/filings?cursor=-1", headers=headers)
    assert bad.status_code == 422
    # Past the largest id the database holds: refused, not a failed query.
    beyond = client.get(f"{API}/spans?cursor={2**31}", headers=headers)
    assert beyond.status_code == 422 and beyond.get_json()["error"]["code"] == "validation_error"


def test_each_key_is_rate_limited(client, make, admin_login, app):
    app.config["SUPERVISION_RATE_LIMIT"] = 3
    issued, _ = _key(client, make, admin_login)
    headers = {"Authorization": f"Bearer {issued['key']}"}
    for _ in range(3):
        assert client.get(f"{API}/claims", headers=headers).status_code == 200
    limited = client.get(f"{API}/claims", headers=headers)
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) > 0


def test_the_api_has_its_own_openapi_document(client):
    document = client.get(f"{API}/openapi.json").get_json()
    assert document["info"]["title"] == "适岗 Shigang 监管平台 API"
    assert set(document["paths"]) == {
        f"{API}/filings",
        f"{API}/claims",
        f"{API}/projects/{{project_id}}/roster",
        f"{API}/projects/{{project_id}}/hours",
        f"{API}/spans",
        f"{API}/certificates",
    }
