"""A face check asked on a computer: its mini-program code, read by the phone, passed there."""

from __future__ import annotations

import base64

from tests.learning_driver import Learner, enrolled
from tests.signin import bearer


def _learner(client, make):
    _project, lesson, trainee = enrolled(
        make,
        duration_s=3600,
        attention_checks_enabled=False,
        face_check_interval_s=0,
        face_check_at_check_in="first_of_day",
    )
    trainee.wx_openid = f"oWeb{trainee.id}"
    return Learner(client, make, trainee, device="Chrome"), lesson


def test_the_computer_shows_a_code_and_the_phone_runs_the_check(
    client, make, frozen_clock, wechat_simulator
):
    web, lesson = _learner(client, make)
    check = web.check_in(lesson)["face_check"]
    response = client.get(f"/api/v1/face-checks/{check['id']}/wxacode", headers=web.headers)
    assert response.status_code == 200, response.get_json()
    code = response.get_json()
    assert code["scene"] == f"fc={check['id']}"
    assert code["page"] == "pages/face-check/index"
    assert code["expires_in"] == 300
    prefix = "data:image/png;base64,"
    assert code["image"].startswith(prefix)
    assert base64.b64decode(code["image"][len(prefix) :]).startswith(b"\x89PNG")
    assert wechat_simulator.app.wxacodes[-1]["scene"] == code["scene"]

    # The phone (same trainee, its own token) opens the scene and reads the verify_id.
    phone = bearer(make.token(web.trainee))
    read = client.get(f"/api/v1/face-checks/{check['id']}", headers=phone).get_json()
    assert read == {
        "id": check["id"],
        "verify_id": check["verify_id"],
        "expires_in": 300,
        "outcome": "pending",
        "reason": None,
    }
    # The simulator's own page lists it with a button; pressing it completes the check.
    page = wechat_simulator.app
    from werkzeug.test import Client

    sim = Client(page)
    listing = sim.get("/_sim").get_data(as_text=True)
    assert check["verify_id"] in listing and "通过" in listing
    pressed = sim.post(
        "/_sim/face/complete-form", data={"verify_id": check["verify_id"], "verify_ret": "10000"}
    )
    assert pressed.status_code == 303
    assert check["verify_id"] not in sim.get("/_sim").get_data(as_text=True)

    frozen_clock.advance(20)
    result = client.post(f"/api/v1/face-checks/{check['id']}/result", headers=web.headers)
    assert result.get_json()["passed"] is True
    read = client.get(f"/api/v1/face-checks/{check['id']}", headers=web.headers).get_json()
    assert read["outcome"] == "passed" and read["expires_in"] == 0
    # A settled check has no code any more.
    closed = client.get(f"/api/v1/face-checks/{check['id']}/wxacode", headers=web.headers)
    assert closed.status_code == 409
    assert closed.get_json()["error"]["code"] == "face_check_closed"


def test_another_trainees_face_check_is_404(client, make, frozen_clock):
    web, lesson = _learner(client, make)
    check = web.check_in(lesson)["face_check"]
    stranger = bearer(make.token(make.trainee(web.trainee.enterprise)))
    for path in (
        f"/api/v1/face-checks/{check['id']}",
        f"/api/v1/face-checks/{check['id']}/wxacode",
    ):
        assert client.get(path, headers=stranger).status_code == 404
