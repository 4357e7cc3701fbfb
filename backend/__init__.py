"""Shigang (适岗): the backend for online job-adaptation training."""

from __future__ import annotations

from flask import Flask


def create_app(config: dict | None = None) -> Flask:
    """Build the app: settings, extensions, blueprints and commands; nothing else happens here."""
    from config.settings import load_config

    app = Flask(__name__, instance_relative_config=False)
    app.config.update(load_config(config))
    app.json.ensure_ascii = False

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
    csrf.init_app(app)
    redis_store.init_app(app)
    app.extensions["field_cipher"] = FieldCipher(*derive_keys(app.config["FIELD_ENCRYPTION_KEY"]))

    from backend import models  # noqa: F401 - registers every table with the metadata
    from backend.errors import register_error_handlers

    register_error_handlers(app)

    from backend.health import bp as health_bp

    app.register_blueprint(health_bp)

    import miniprogram_api

    miniprogram_api.init_app(app)
    # The JSON API authenticates with bearer tokens, not cookies, so CSRF does not apply to it.
    csrf.exempt(app.blueprints["api"])  # a name string would exempt no blueprint

    from backend.cli import register_commands

    register_commands(app)
    return app


def _migrations_dir():
    from pathlib import Path

    return Path(__file__).resolve().parent.parent / "migrations"
