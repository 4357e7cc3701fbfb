"""The README's trainee walkthrough stays runnable: its bind sends the privacy notice's version,
its check-in sends what the check-in takes, and it says in which order a face check goes."""

from __future__ import annotations

import json
import re
from pathlib import Path

from miniprogram_api.auth import BindIn
from miniprogram_api.learning_schemas import CheckInRequest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _walkthrough() -> str:
    start = README.index("Trying it during `make run`")
    return README[start : README.index("```\n", README.index("```sh", start) + 5)]


def test_the_bind_example_sends_the_current_privacy_version():
    text = _walkthrough()
    body = json.loads(re.search(r"-d '(\{\"bind_ticket\".*?\})'", text).group(1))
    notice = json.loads((ROOT / "config" / "privacy" / "notice.json").read_text(encoding="utf-8"))
    assert body["privacy_version"] == notice["version"]
    BindIn.model_validate(body)  # exactly one proof, every field as the API takes it
    assert "privacy_notice_required" in text


def test_the_walkthrough_shows_the_check_in_and_the_face_check_order():
    text = _walkthrough()
    assert "$API/lessons/<lesson_id>/sessions" in text
    sent = set(re.findall(r'\\"(\w+)\\":', text[text.index("/sessions") :]))
    required = {name for name, field in CheckInRequest.model_fields.items() if field.is_required()}
    assert required <= sent <= set(CheckInRequest.model_fields)
    # The face check: done in the simulator first, then asked; asked before, it fails.
    assert text.index("_sim/face/complete") < text.index("/face-checks/<id>/result")
    assert "Asking before it is done in the" in text and "fails the check" in text


def test_make_run_says_it_keeps_its_data_and_how_to_start_afresh():
    assert "keeps\nits data between runs" in README and "rm -rf instance" in README
