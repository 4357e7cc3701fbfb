"""backend.api.parse_json, the heartbeat fast route's one parse: whatever it reads, the Flask
route's two (the duplicate-key check, then pydantic's parser) read alike; it may refuse more
(the fast route then hands the body on), never less, and never reads a value otherwise."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from backend.api import has_duplicate_keys, parse_json
from miniprogram_api.learning_schemas import LiveBeatIn


def _flask_route(body: bytes) -> dict | None:
    """What parse_json_body makes of the body (None: refused)."""
    if has_duplicate_keys(body):
        return None
    try:
        return LiveBeatIn.model_validate_json(body).model_dump()
    except ValidationError:
        return None


def _fast_route(body: bytes) -> dict | None:
    try:
        return LiveBeatIn.model_validate(parse_json(body)).model_dump()
    except (ValueError, RecursionError):
        return None


BEAT = '{"seq": 3, "client_ts": 1764633600000, "position_s": 90, "playing": true%s}'
READ_ALIKE = [
    BEAT % "",
    BEAT % ', "challenge_answer": {"id": 7, "answer": "AC"}',
    BEAT % ', "challenge_answer": {"id": 7, "answer": "答案"}',
    BEAT % ', "challenge_answer": null',
    '{"seq": 1294.0, "client_ts": 1.5e12, "position_s": 0E0, "playing": false}',
    ' \r\n\t{"seq":1,"client_ts":0,"position_s":-0.0,"playing":true} \n',
]
REFUSED_BY_BOTH = [
    BEAT % ', "seq": 4',  # a key twice
    BEAT % ', "challenge_answer": {"id": 7, "id": 8, "answer": "A"}',
    BEAT % ', "extra": 1',
    '{"seq": 1.5, "client_ts": 0, "position_s": 0, "playing": true}',
    '{"seq": NaN, "client_ts": 0, "position_s": 0, "playing": true}',
    '{"seq": Infinity, "client_ts": 0, "position_s": 0, "playing": true}',
    '{"seq": 1e400, "client_ts": 0, "position_s": 0, "playing": true}',
    '{"seq": 9223372036854775808.0, "client_ts": 0, "position_s": 0, "playing": true}',
    '{"seq": true, "client_ts": 0, "position_s": 0, "playing": true}',
    '{"seq": 1, "client_ts": 0, "position_s": 0, "playing": 1}',
    '{"seq": "1", "client_ts": 0, "position_s": 0, "playing": true}',
    '{"seq": 01, "client_ts": 0, "position_s": 0, "playing": true}',
    BEAT % "" + " x",
    "[" + BEAT % "" + "]",
    "\ufeff" + BEAT % "",
    "",
    "[" * 5000 + "]" * 5000,
    BEAT % ', "challenge_answer": {"id": 7, "answer": "\\ud800"}',  # a lone surrogate
]


@pytest.mark.parametrize("text", READ_ALIKE)
def test_what_both_routes_accept_they_read_alike(text):
    body = text.encode()
    assert _flask_route(body) is not None
    assert _fast_route(body) == _flask_route(body)


@pytest.mark.parametrize("text", REFUSED_BY_BOTH)
def test_what_the_flask_route_refuses_the_fast_one_does(text):
    body = text.encode()
    assert _flask_route(body) is None
    assert _fast_route(body) is None


@pytest.mark.parametrize(
    "body",
    [
        (BEAT % "").encode("utf-16"),  # Python's parser would guess the encoding
        (BEAT % ', "challenge_answer": {"id": 7, "answer": "\\u0041"}').encode(),
        (BEAT % "").encode()[:-1] + b"\xff}",
    ],
)
def test_it_leaves_escapes_and_other_encodings_to_the_flask_route(body):
    assert _fast_route(body) is None


_numbers = st.one_of(
    st.integers(-(2**64), 2**64).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.sampled_from(["1294.0", "1.5e12", "-0.0", "1E3", "0.1e1", "1e-7", "2.0e19", "NaN"]),
)
_values = st.one_of(
    _numbers, st.sampled_from(["true", "false", "null", '"A"', '"1"', '"\\u0042"', "{}", "[]"])
)
_keys = st.sampled_from(["seq", "client_ts", "position_s", "playing", "challenge_answer", "x"])


@st.composite
def _bodies(draw) -> bytes:
    pairs = draw(st.lists(st.tuples(_keys, _values), min_size=3, max_size=6))
    answer = draw(st.none() | st.tuples(_numbers, _values))
    if answer is not None:
        pairs.append(("challenge_answer", f'{{"id": {answer[0]}, "answer": {answer[1]}}}'))
    return ("{" + ", ".join(f"{json.dumps(k)}: {v}" for k, v in pairs) + "}").encode()


@settings(max_examples=400, deadline=None)
@given(_bodies())
def test_it_never_reads_a_body_otherwise_than_the_flask_route(body):
    fast = _fast_route(body)
    assert fast is None or fast == _flask_route(body)
