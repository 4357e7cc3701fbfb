"""The supervision API (监管平台) for bureaus' own systems, mounted at /api/supervision/v1."""

from flask import Blueprint, Flask

PREFIX = "/api/supervision/v1"


def create_blueprint() -> Blueprint:
    """Build the blueprint with its routes and its key authentication."""
    from supervision_api import reads
    from supervision_api.blueprint import with_views

    return with_views(reads)


def init_app(app: Flask) -> None:
    """Mount the API; it authenticates with API keys, not cookies, so CSRF does not apply."""
    from backend.extensions import csrf

    bp = create_blueprint()
    app.register_blueprint(bp)
    csrf.exempt(app.blueprints["supervision_api"])
