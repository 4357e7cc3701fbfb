"""The supervision API's certificates: a closed project's, masked, in the key's cities only."""

from __future__ import annotations

from backend.models import Role
from tests import certificate_helpers as ch

API = "/api/supervision/v1"


def _key(client, make, admin_login, cities):
    csrf = admin_login(make.admin(Role.OPERATOR))
    body = {"bureau": "人社局", "cities": cities}
    response = client.post("/api/admin/bureau-keys", json=body, headers={"X-CSRFToken": csrf})
    assert response.status_code == 201, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['key']}"}


def test_certificates_in_the_keys_cities(client, make, admin_login):
    world = ch.build(make)
    ch.close(client, admin_login(world.hr), world.project)
    shenzhen = _key(client, make, admin_login, ["4403"])
    page = client.get(f"{API}/certificates?project_id={world.project.id}", headers=shenzhen)
    assert page.status_code == 200, page.get_json()
    [item] = page.get_json()["items"]
    assert item["valid"] is True and item["fields"]["name"] == "王五"
    assert "*" in item["fields"]["id_number"]
    assert item["verify_url"].endswith(item["serial"])
    guangzhou = _key(client, make, admin_login, ["4401"])
    url = f"{API}/certificates?project_id={world.project.id}"
    assert client.get(url, headers=guangzhou).status_code == 404
    # Without project_id: every project of the key's cities.
    everything = client.get(f"{API}/certificates", headers=shenzhen).get_json()["items"]
    assert [c["serial"] for c in everything] == [item["serial"]]
    assert client.get(f"{API}/certificates", headers=guangzhou).get_json()["items"] == []
    # Read-only: no write route.
    assert client.post(url, headers=shenzhen).status_code == 405
