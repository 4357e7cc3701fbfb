"""Flask CLI commands for operators: demo data, the first admin, keys, the sweep, the drain."""

from __future__ import annotations

import click
from flask import Flask
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from backend.extensions import db


def register_commands(app: Flask) -> None:
    """Attach the commands to ``flask``."""

    @app.cli.command("seed-demo")
    def seed_demo_command():
        """Create the demo enterprise, project, lessons, roster and admin users."""
        from backend.demo import DEMO_PASSWORD, seed_demo

        if app.config["ENV_NAME"] == "production":
            # The demo admins' password is in the source: never on a real platform.
            raise click.ClickException("seed-demo 不能在生产环境运行（SHIGANG_ENV=production）")
        result = seed_demo()
        db.session.commit()
        if result["created"]:
            click.echo("演示数据已创建：管理员 operator / hr / reviewer，密码 " + DEMO_PASSWORD)
        else:
            click.echo("演示数据已存在，未重复创建")

    @app.cli.command("create-admin")
    @click.option("--username", required=True)
    @click.option("--role", type=click.Choice(["operator", "enterprise_admin", "reviewer"]))
    @click.option("--enterprise-id", type=int, default=None)
    @click.option("--display-name", default="")
    @click.password_option()
    def create_admin_command(username, role, enterprise_id, display_name, password):
        """Create an admin user (the first one is usually an operator)."""
        from backend.kernel.errors import DomainError
        from backend.kernel.permissions import belongs_to_an_enterprise
        from backend.models import AdminUser, Enterprise, Role
        from backend.services.accounts import admin_accounts

        role = Role(role or "operator")
        bound = belongs_to_an_enterprise(role)
        if db.session.scalar(select(AdminUser).where(AdminUser.username == username)):
            raise click.ClickException(f"用户名 {username} 已存在")
        if bound and db.session.get(Enterprise, enterprise_id or 0) is None:
            raise click.ClickException("企业管理员必须指定存在的 --enterprise-id")
        # The web form's rule (one rule for every way an admin account is made), and the
        # password typed here is changed at the first sign-in, as a temporary one is.
        try:
            admin_accounts.check_strength(password, username, display_name)
        except DomainError as exc:
            raise click.ClickException(exc.message) from None
        db.session.add(
            AdminUser(
                username=username,
                password_hash=generate_password_hash(password),
                display_name=display_name or username,
                role=role,
                enterprise_id=enterprise_id if bound else None,
                must_change_password=True,
            )
        )
        db.session.commit()
        click.echo(f"已创建管理员 {username}（{role.value}）")

    @app.cli.command("generate-key")
    def generate_key_command():
        """Print a new FIELD_ENCRYPTION_KEY."""
        from backend.crypto import generate_master_key

        click.echo(generate_master_key())

    @app.cli.command("generate-signing-cert")
    @click.option("--key", "key_path", default=None, help="default: SIGNING_KEY_PATH")
    @click.option("--cert", "cert_path", default=None, help="default: SIGNING_CERT_PATH")
    @click.option("--name", default="Shigang development", help="the certificate's common name")
    @click.option("--force", is_flag=True, help="replace an existing pair")
    def generate_signing_cert_command(key_path, cert_path, name, force):
        """Make a self-signed certificate signing pair (development and tests only)."""
        from pathlib import Path

        from backend.services.certificates.signing import generate_pair

        key_path = key_path or app.config.get("SIGNING_KEY_PATH")
        cert_path = cert_path or app.config.get("SIGNING_CERT_PATH")
        if not key_path or not cert_path:
            raise click.UsageError("give --key and --cert (or set SIGNING_KEY_PATH/_CERT_PATH)")
        if not force and (Path(key_path).exists() or Path(cert_path).exists()):
            raise click.UsageError("the files exist; --force replaces them")
        generate_pair(key_path, cert_path, name)
        click.echo(f"signing key: {key_path}\nsigning certificate: {cert_path}")

    @app.cli.command("sweep-sessions")
    @click.option("--batch-size", default=200, show_default=True, type=click.IntRange(1, 10000))
    def sweep_sessions_command(batch_size):
        """Close learning sessions left without a check-out, at their last accepted beat.

        Idempotent, and safe on several hosts at once (rows being swept elsewhere are skipped).
        """
        from backend.services.learning.sessions import sweep_abandoned

        closed = examined = 0
        while True:
            result = sweep_abandoned(limit=batch_size)
            db.session.commit()
            closed += result.closed
            examined += result.examined
            if result.examined < batch_size:
                break
        click.echo(f"已检查 {examined} 个长时间无心跳的学习会话，关闭 {closed} 个")

    @app.cli.command("drain-credit")
    @click.option("--consumer", default=None, help="Consumer name (default: host-pid).")
    @click.option("--batch-size", default=1000, show_default=True, type=click.IntRange(1, 5000))
    @click.option("--once", is_flag=True, help="Drain what is there now, then exit.")
    def drain_credit_command(consumer, batch_size, once):
        """Move credited spans from Redis to the database, continuously (run one or more).

        Safe on several hosts at once; a dead drainer's batch is taken over by another.
        """
        from backend.drainer import Drainer, ensure_group

        drainer = Drainer(consumer, batch=batch_size)
        if not once:
            drainer.run()
            return
        ensure_group()
        entries = seconds = 0
        while (result := drainer.drain_once()).entries:
            entries += result.entries
            seconds += result.seconds
        click.echo(f"已写入 {entries} 条学时记录，共 {seconds} 秒")

    @app.cli.command("verify-records")
    @click.argument("project_id", type=int)
    def verify_records_command(project_id):
        """Recompute a project's hash chain over its credited spans; name the first broken link."""
        from backend.models import Project
        from backend.services.learning.record_chain import verify

        if db.session.get(Project, project_id) is None:
            raise click.ClickException(f"培训项目 {project_id} 不存在")
        verdict = verify(project_id)
        if verdict.ok:
            click.echo(f"记录链完整：{verdict.checked} 条计入时段，链头摘要 {verdict.head}")
            return
        where = (
            f"第一处断链在计入时段 #{verdict.broken_span_id}：" if verdict.broken_span_id else ""
        )
        click.echo(f"记录链已被改动（前 {verdict.checked} 条完好）。{where}{verdict.problem}")
        raise SystemExit(1)

    @app.cli.command("retry-support-notices")
    def retry_support_notices_command():
        """Send again the WeChat notices of support replies that failed to go out."""
        from backend.services.support.notice import retry_failed_notices

        sent = retry_failed_notices()
        db.session.commit()
        click.echo(f"已补发 {sent} 条回复通知")
