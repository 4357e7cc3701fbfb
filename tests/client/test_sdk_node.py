"""The SDK's Node tests (``node --test client/sdk/test/``) against the real app: PostgreSQL,
Redis, a drainer and the WeChat simulator, served on loopback for the test's length."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from backend.clock import clock
from tests.client.sdk_server import seed, served, write_policy
from tests.factories import Factories

ROOT = Path(__file__).resolve().parents[2]
TESTS = sorted((ROOT / "client" / "sdk" / "test").glob("*.test.js"))
NAMES = ["credit", "offline", "superseded", "backoff", "weblogin", "attention", "wechat"]


def _summary(output: str) -> dict[str, int]:
    return {
        k: int(v)
        for k, v in re.findall(r"^# (tests|pass|fail|skipped|todo|cancelled) (\d+)$", output, re.M)
    }


def test_the_sdk_against_the_real_app(app, app_factory, wechat_simulator, tmp_path):
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed: the SDK's tests need Node.js 18+ (.ci/browser-deps)")
    assert TESTS, "no SDK tests found"
    clock.unfreeze()  # Node runs in real time
    served_app = app_factory(
        **write_policy(tmp_path),
        # Tight enough for a Node test to meet the limit and its Retry-After in seconds.
        WEB_LOGIN_RATE_LIMIT=1,
        WEB_LOGIN_RATE_WINDOW_S=2,
    )
    with served_app.app_context():
        from backend.extensions import db

        fixture = seed(Factories(db.session), NAMES)
    with served(served_app) as base_url:
        fixture.update(base_url=base_url, simulator_url=wechat_simulator.url)
        env = {**os.environ, "SHIGANG_SDK_FIXTURE": json.dumps(fixture)}
        result = subprocess.run(  # noqa: S603 - our own node and test files
            [node, "--test", "--test-reporter=tap", *map(str, TESTS)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    output = result.stdout + result.stderr
    summary = _summary(result.stdout)
    assert result.returncode == 0, output
    assert summary.get("fail") == 0 and summary.get("cancelled", 0) == 0, output
    assert summary.get("skipped", 0) == 0 and summary.get("todo", 0) == 0, output
    # Every test() of the files ran and passed.
    declared = sum(len(re.findall(r"^test\(", f.read_text(), re.M)) for f in TESTS)
    assert summary.get("tests") == summary.get("pass") == declared >= 6, output
