"""Shigang (适岗): the backend for online job-adaptation training."""

from __future__ import annotations

from flask import Flask, g


def create_app(config: dict | None = None) -> Flask:
    """Build the app: settings, extensions, blueprints and commands; nothing else happens here."""
    from config.settings import load_config

    app = Flask(__name__, instance_relative_config=False)
    app.config.update(load_config(config))
    app.json.ensure_ascii = False
    hops = app.config["TRUSTED_PROXY_HOPS"]
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Behind a load balancer the peer is the balancer; the client is in X-Forwarded-For.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)

    @app.before_request
    def fresh_request_globals():
        # g lives on the app context, which tests keep open across requests: start each clean.
        g.__dict__.clear()

    from backend.cookie_session import LazyCookieSessionInterface

    app.session_interface = LazyCookieSessionInterface()

    from backend import logs

    logs.configure_logging(app)

    from backend.api import IdConverter

    app.url_map.converters["id"] = IdConverter

    from backend.crypto import FieldCipher, derive_keys
    from backend.extensions import csrf, db, migrate, redis_store

    db.init_app(app)
    migrate.init_app(app, db, directory=str(_migrations_dir()), render_as_batch=True)
    from backend.admin.auth import refuse_anonymous_api_writes

    app.before_request(refuse_anonymous_api_writes)  # ahead of the CSRF check: 401 before 400
    csrf.init_app(app)
    redis_store.init_app(app)
    app.extensions["field_cipher"] = FieldCipher(*derive_keys(app.config["FIELD_ENCRYPTION_KEY"]))

    from backend.wechat import WeChatGateway

    # One gateway per app for the whole process: its HTTP pool and the shared access token
    # (in this app's Redis, under its prefix) serve every request.
    app.extensions["wechat"] = WeChatGateway.from_config(
        app.config, app.extensions["redis"], app.config["REDIS_PREFIX"]
    )

    from backend import models  # noqa: F401 - registers every table with the metadata
    from backend.errors import register_error_handlers

    register_error_handlers(app)

    from backend.health import bp as health_bp

    app.register_blueprint(health_bp)

    from backend import media

    media.init_app(app)

    from backend import certificates_public

    certificates_public.init_app(app)

    import miniprogram_api

    miniprogram_api.init_app(app)
    # The JSON API authenticates with bearer tokens, not cookies, so CSRF does not apply to it.
    # (Flask-WTF takes a string as a view name, not a blueprint: pass the blueprint itself.)
    csrf.exempt(app.blueprints["api"])

    import supervision_api

    supervision_api.init_app(app)

    from backend import admin, portal, security_headers

    admin.init_app(app)
    portal.init_app(app)
    security_headers.init_app(app)
    _admin_template_globals(app)

    from backend.cli import register_commands

    register_commands(app)

    from backend import read_timeout

    app.wsgi_app = logs.LogEscapes(app.wsgi_app)
    read_timeout.install(app)
    from miniprogram_api import heartbeat_route

    heartbeat_route.install(app)  # last: outermost, so a live beat passes no other wrapper
    return app


def _admin_template_globals(app: Flask) -> None:
    from backend.admin.auth import current_admin

    role_names = {"operator": "平台运营", "enterprise_admin": "企业管理员", "reviewer": "审核人员"}

    from backend.kernel.lifecycle import Activity, allows
    from backend.kernel.permissions import Permission, can

    @app.context_processor
    def inject_admin():
        admin = current_admin()
        return {
            "current_admin": admin,
            "role_names": role_names,
            "can": lambda permission: can(admin, Permission(permission)),
            "Permission": Permission,
            "allows": lambda project, activity: allows(project, Activity(activity)),
        }


def _migrations_dir():
    from pathlib import Path

    return Path(__file__).resolve().parent.parent / "migrations"
