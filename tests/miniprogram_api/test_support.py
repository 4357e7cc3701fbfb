"""Online support: trainees see only their own threads, admins only their enterprise's."""

from backend.models import Role


def _thread(client, headers, subject="无法播放视频", body="第三课打不开"):
    response = client.post(
        "/api/v1/support/threads", json={"subject": subject, "body": body}, headers=headers
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_trainee_threads_and_admin_replies(client, make, admin_login):
    enterprise = make.enterprise()
    trainee = make.trainee(enterprise)
    headers = make.auth(trainee)
    markup = "<script>alert(1)</script> & 视频"
    thread = _thread(client, headers, body=markup)
    assert thread["messages"][0]["body"] == markup and thread["status"] == "open"

    token = admin_login(make.admin(Role.ENTERPRISE_ADMIN, enterprise=enterprise))
    listed = client.get("/api/admin/support/threads?status=open").get_json()["threads"]
    assert [t["id"] for t in listed] == [thread["id"]]
    assert client.get("/api/admin/support/threads?page=2").get_json() == {"threads": []}
    assert client.get("/api/admin/support/threads?page=0").status_code == 422
    reply = client.post(
        f"/api/admin/support/threads/{thread['id']}/messages",
        json={"body": "请更新微信后重试"},
        headers={"X-CSRFToken": token},
    )
    assert reply.status_code == 201 and reply.get_json()["status"] == "answered"

    mine = client.get("/api/v1/support/threads", headers=headers).get_json()["threads"]
    assert [m["author_kind"] for m in mine[0]["messages"]] == ["trainee", "admin"]
    follow = client.post(
        f"/api/v1/support/threads/{thread['id']}/messages", json={"body": "好了"}, headers=headers
    )
    assert follow.status_code == 201 and follow.get_json()["status"] == "open"

    closed = client.post(
        f"/api/admin/support/threads/{thread['id']}/close", headers={"X-CSRFToken": token}
    )
    assert closed.status_code == 200 and closed.get_json()["status"] == "closed"
    refused = client.post(
        f"/api/v1/support/threads/{thread['id']}/messages", json={"body": "又坏了"}, headers=headers
    )
    assert refused.status_code == 409


def test_threads_are_isolated_per_trainee(client, make):
    enterprise = make.enterprise()
    alice, bob = make.trainee(enterprise), make.trainee(enterprise)
    alice_headers, bob_headers = make.auth(alice), make.auth(bob)
    thread = _thread(client, alice_headers)
    assert client.get("/api/v1/support/threads", headers=bob_headers).get_json() == {"threads": []}
    url = f"/api/v1/support/threads/{thread['id']}"
    assert client.get(url, headers=bob_headers).status_code == 404
    posted = client.post(f"{url}/messages", json={"body": "插话"}, headers=bob_headers)
    assert posted.status_code == 404
    assert len(client.get(url, headers=alice_headers).get_json()["messages"]) == 1


def test_threads_are_isolated_per_enterprise_and_reviewers_only_read(client, make, admin_login):
    ours, theirs = make.enterprise(), make.enterprise()
    thread = _thread(client, make.auth(make.trainee(theirs)))
    token = admin_login(make.admin(Role.ENTERPRISE_ADMIN, enterprise=ours))
    assert client.get("/api/admin/support/threads").get_json() == {"threads": []}
    url = f"/api/admin/support/threads/{thread['id']}"
    assert client.get(url).status_code == 404
    reply = client.post(f"{url}/messages", json={"body": "越权"}, headers={"X-CSRFToken": token})
    assert reply.status_code == 404
    client.post("/admin/logout", data={"csrf_token": token})

    token = admin_login(make.admin(Role.REVIEWER))
    assert client.get(url).status_code == 200
    reply = client.post(f"{url}/messages", json={"body": "只读"}, headers={"X-CSRFToken": token})
    assert reply.status_code == 403
    client.post("/admin/logout", data={"csrf_token": token})

    token = admin_login(make.admin(Role.OPERATOR))
    reply = client.post(
        f"{url}/messages", json={"body": "平台答复"}, headers={"X-CSRFToken": token}
    )
    assert reply.status_code == 201


def test_text_is_length_limited(client, make):
    headers = make.auth(make.trainee())
    for body in (
        {"subject": "x" * 101, "body": "a"},
        {"subject": "a", "body": "x" * 1001},
        {"subject": "  ", "body": "a"},
        {"subject": "a", "body": "\x00"},
    ):
        assert client.post("/api/v1/support/threads", json=body, headers=headers).status_code == 422
