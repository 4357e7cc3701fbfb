"""`flask generate-signing-cert`: a self-signed pair that signs certificates; no overwrite."""

from __future__ import annotations

import sqlalchemy as sa

from backend.models import Certificate
from tests import certificate_helpers as ch


def test_generate_signing_cert_makes_a_working_pair(app, client, make, admin_login, tmp_path):
    key, cert = tmp_path / "k" / "key.pem", tmp_path / "c" / "cert.pem"
    runner = app.test_cli_runner()
    result = runner.invoke(args=["generate-signing-cert", "--key", str(key), "--cert", str(cert)])
    assert result.exit_code == 0, result.output
    assert key.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert (key.stat().st_mode & 0o077) == 0
    again = runner.invoke(args=["generate-signing-cert", "--key", str(key), "--cert", str(cert)])
    assert again.exit_code != 0 and "--force" in again.output

    app.config.update(SIGNING_KEY_PATH=str(key), SIGNING_CERT_PATH=str(cert))
    world = ch.build(make)
    ch.close(client, admin_login(world.hr), world.project)
    pdf = make.session.scalar(sa.select(Certificate.pdf))
    ch.assert_signed_whole(pdf, str(cert))
