"""The live heartbeat served in front of Flask: the Flask route's answer, without Flask; every
other request handed to that route."""

import json
import logging

import pytest
from flask import request_started
from werkzeug.test import Client, EnvironBuilder

from backend.api import MAX_ID
from miniprogram_api.heartbeat_route import HeartbeatRoute
from tests.learning_driver import QUIET, Learner, enrolled

pytestmark = pytest.mark.both_redis  # on one Redis and on a Redis Cluster


@pytest.fixture
def flask_requests(app):
    """The paths of the requests Flask itself dispatched."""
    seen = []

    def started(sender, **extra):
        from flask import request

        seen.append(request.path)

    request_started.connect(started, app)
    yield seen
    request_started.disconnect(started, app)


def _learner(client, make):
    _, lesson, trainee = enrolled(make, attention_checks_enabled=False)
    me = Learner(client, make, trainee)
    me.check_in(lesson)
    return me


def _heartbeat_route(app) -> HeartbeatRoute:
    """The fast route, inside the outer middleware (read timeouts, escaped-error logging)."""
    route = app.wsgi_app
    while not isinstance(route, HeartbeatRoute):
        route = route.wsgi_app
    return route


def _path(me) -> str:
    return f"/api/v1/sessions/{me.session_id}/heartbeats"


def _body(me, seq: int) -> dict:
    return {"seq": seq, "client_ts": me.client_ts(), "position_s": 30, "playing": True}


def test_a_live_beat_gets_the_flask_routes_answer_without_flask(
    app, client, make, frozen_clock, flask_requests
):
    ours, theirs = _learner(client, make), _learner(client, make)
    route = _heartbeat_route(app)
    assert isinstance(route, HeartbeatRoute)
    flask_requests.clear()
    frozen_clock.advance(30)
    fast = client.post(_path(ours), json=_body(ours, 1), headers=ours.headers)
    assert flask_requests == []
    # The same beat of a session in the same state, straight to the Flask route.
    direct = Client(route.wsgi_app).post(
        _path(theirs), json=_body(theirs, 1), headers=theirs.headers
    )
    assert flask_requests == [_path(theirs)]
    assert fast.status_code == direct.status_code == 200
    assert (
        fast.get_json()
        == direct.get_json()
        == {
            "credited_s": 30,
            "acked_seq": 1,
            "challenge": None,
            **QUIET,
        }
    )
    assert sorted(fast.headers.keys()) == sorted(direct.headers.keys())
    for name, value in direct.headers.items():
        if name not in ("Content-Length", "X-Request-ID"):
            assert fast.headers[name] == value, name
    assert int(fast.headers["Content-Length"]) == len(fast.data)
    assert len(fast.headers["X-Request-ID"]) == 32


def test_the_callers_request_id_is_kept_and_logged_at_debug(
    client, make, frozen_clock, flask_requests, caplog
):
    me = _learner(client, make)
    frozen_clock.advance(30)
    headers = {**me.headers, "X-Request-ID": "trace-0123456789"}
    flask_requests.clear()
    with caplog.at_level(logging.DEBUG, logger="shigang.access"):
        response = client.post(_path(me), json=_body(me, 1), headers=headers)
    assert response.headers["X-Request-ID"] == "trace-0123456789"
    assert flask_requests == []
    (line,) = [r for r in caplog.records if getattr(r, "path", None) == _path(me)]
    assert (line.levelno, line.path, line.status, line.request_id) == (
        logging.DEBUG,
        _path(me),
        200,
        "trace-0123456789",
    )


@pytest.mark.parametrize(
    "case, status, code",
    [
        ("batch", 200, None),
        ("invalid_json", 400, "invalid_json"),
        ("unknown_field", 422, "validation_error"),
        ("no_token", 401, "unauthorized"),
        ("bad_token", 401, "invalid_token"),
        ("form", 415, "unsupported_media_type"),
        ("too_large_id", 404, "not_found"),
        ("large_body", 422, "validation_error"),
        ("closed", 409, None),
        # As strict as the API (issue 25): the exact type, UTF-8, no key twice.
        ("jsonx", 415, "unsupported_media_type"),
        ("latin1", 415, "unsupported_media_type"),
        ("json_suffix", 415, "unsupported_media_type"),
        ("duplicate_keys", 400, "invalid_json"),
        ("utf8_charset", 200, None),
    ],
)
def test_what_it_does_not_answer_goes_to_the_flask_route(
    client, make, frozen_clock, flask_requests, case, status, code
):
    me = _learner(client, make)
    frozen_clock.advance(30)
    path, headers = _path(me), dict(me.headers)
    kwargs = {"json": _body(me, 1)}
    if case == "batch":
        kwargs = {"json": {"beats": [_body(me, 1)]}}
    elif case == "invalid_json":
        kwargs = {"data": b'{"seq": 1,', "content_type": "application/json"}
    elif case == "unknown_field":
        kwargs = {"json": {**_body(me, 1), "extra": 1}}
    elif case == "no_token":
        headers = {}
    elif case == "bad_token":
        headers = {"Authorization": "Bearer not-a-token"}
    elif case == "form":
        kwargs = {"data": {"seq": "1"}}
    elif case == "too_large_id":
        path = f"/api/v1/sessions/{MAX_ID + 1}/heartbeats"
    elif case == "large_body":
        kwargs = {"json": {**_body(me, 1), "padding": "x" * 4096}}
    elif case == "closed":
        me.end()
    elif case in ("jsonx", "latin1", "json_suffix", "utf8_charset"):
        kind = {
            "jsonx": "application/jsonx",
            "latin1": "application/json; charset=latin-1",
            "json_suffix": "application/problem+json",
            "utf8_charset": 'application/json; charset="UTF-8"',
        }[case]
        kwargs = {"data": json.dumps(_body(me, 1)), "content_type": kind}
    elif case == "duplicate_keys":
        body = json.dumps(_body(me, 1))[:-1] + ', "seq": 2}'
        kwargs = {"data": body, "content_type": "application/json"}
    flask_requests.clear()
    response = client.post(path, headers=headers, **kwargs)
    assert flask_requests == ([] if case == "utf8_charset" else [path])
    assert response.status_code == status, response.get_json()
    if status >= 400:
        error = response.get_json()["error"]
        assert error["message"]
        if code is not None:
            assert error["code"] == code
    else:
        assert response.get_json()["acked_seq"] == 1


def test_a_beat_it_answered_is_a_replay_for_the_flask_route(
    client, make, frozen_clock, flask_requests
):
    # What the route hands on after the script ran (a refusal, a failure) reaches the Flask
    # route as a beat the script has seen: answered alike, credited once.
    me = _learner(client, make)
    me.play(60)
    frozen_clock.advance(30)
    flask_requests.clear()
    beat = _body(me, me.seq + 1)
    response = client.post(_path(me), json=beat, headers=me.headers)
    assert flask_requests == []
    assert response.get_json()["credited_s"] == 90
    again = Client(_heartbeat_route(client.application).wsgi_app).post(
        _path(me), json=beat, headers=me.headers
    )
    assert flask_requests == [_path(me)]
    assert again.get_json() == response.get_json()


def test_it_is_outermost_and_logs_a_failure_escaping_its_answer_once(
    app, client, make, frozen_clock, flask_requests, caplog
):
    # No other middleware wraps a live beat; what LogEscapes does for the others, the route
    # does for its own answer: the server answers 500, the access log says so, once.
    assert isinstance(app.wsgi_app, HeartbeatRoute)
    me = _learner(client, make)
    frozen_clock.advance(30)
    route = app.wsgi_app

    def failing_start_response(status, headers, exc_info=None):
        raise OSError("the client went away")

    environ = EnvironBuilder(
        path=_path(me), method="POST", json=_body(me, 1), headers=me.headers
    ).get_environ()
    flask_requests.clear()
    with caplog.at_level(logging.INFO, logger="shigang.access"), pytest.raises(OSError):
        route(environ, failing_start_response)
    assert flask_requests == []
    access = [r for r in caplog.records if getattr(r, "path", None) == _path(me)]
    assert [(r.status, r.levelno) for r in access] == [(500, logging.ERROR)]
