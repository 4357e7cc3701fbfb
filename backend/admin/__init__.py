"""The admin web (server-rendered pages) and the admin JSON API under /api/admin."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the admin pages and the admin JSON API."""
    from backend.admin import auth, exports, pages, roster
    from backend.admin.api import create_api_blueprint

    app.register_blueprint(auth.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(roster.bp)
    app.register_blueprint(exports.bp)
    app.register_blueprint(create_api_blueprint())
