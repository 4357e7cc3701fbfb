"""Browser tests: the real admin pages in headless Debian Chromium, served by a live test server."""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("SHIGANG_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


@pytest.fixture
def live_server(app):
    """The test app served on 127.0.0.1 by werkzeug in a thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium under Playwright; fails (never skips) when it is not installed."""
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: run `make browser-deps` "
            "(apt-get install chromium fonts-noto-cjk)",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="shigang-chromium-")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            headless=True,
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
            viewport={"width": 1366, "height": 900},
        )
        yield context
        context.close()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def page(chromium):
    """A fresh tab with no cookies; console errors (e.g. CSP violations) fail the test.

    A 422 is the answer to a form with mistakes, shown with the messages: it is not an error.
    """
    chromium.clear_cookies()
    tab = chromium.new_page()
    errors: list[str] = []

    def on_console(msg) -> None:
        if msg.type == "error" and "status of 422" not in msg.text:
            errors.append(msg.text)

    def on_response(response) -> None:
        if response.status >= 400 and response.status != 422:
            errors.append(f"{response.status} {response.url}")

    tab.on("console", on_console)
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.on("response", on_response)
    yield tab
    tab.close()
    assert errors == [], f"browser console errors: {errors}"


def screenshot(tab, name: str) -> Path:
    """Save a full-page screenshot under test-artifacts/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    tab.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 0
    return path


# The portal's tests: a drainer thread and a tab that tolerates the failures the portal handles.
from tests.browser.portal_world import drainer, portal_page  # noqa: E402, F401
