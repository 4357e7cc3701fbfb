"""The portal's files: the shell, its modules and the SDK, gzip when accepted, nothing else."""

from __future__ import annotations

import gzip

from backend.security_headers import CSP


def test_shell_modules_and_sdk_are_served_with_the_strict_csp(client):
    shell = client.get("/learn/")
    assert shell.status_code == 200
    assert shell.headers["Content-Security-Policy"] == CSP
    page = shell.get_data(as_text=True)
    assert '<script type="module" src="/learn/assets/app.js">' in page
    assert "<script>" not in page and "style=" not in page  # nothing inline
    for path in ("/learn/assets/app.js", "/learn/assets/pages/player.js", "/learn/sdk/shigang.js"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.mimetype == "text/javascript"
    assert client.get("/learn").status_code == 308


def test_gzip_when_accepted_and_etags(client):
    plain = client.get("/learn/assets/portal.css")
    packed = client.get("/learn/assets/portal.css", headers={"Accept-Encoding": "gzip, br"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.get_data()) == plain.get_data()
    assert packed.headers["Vary"] == "Accept-Encoding"
    again = client.get("/learn/assets/portal.css", headers={"If-None-Match": plain.headers["ETag"]})
    assert again.status_code == 304


def test_nothing_outside_the_portal_and_the_sdk(client):
    for path in (
        "/learn/assets/../../portal.py",
        "/learn/assets/%2e%2e/%2e%2e/portal.py",
        "/learn/sdk/README.md",
        "/learn/sdk/package.json",
        "/learn/assets/missing.js",
    ):
        assert client.get(path).status_code == 404, path
