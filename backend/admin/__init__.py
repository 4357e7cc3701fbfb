"""The admin web (server-rendered pages) and the admin JSON API under /api/admin."""

from flask import Flask, redirect, request, url_for

from backend.kernel.errors import DomainError
from backend.services.plain_text import storable


def init_app(app: Flask) -> None:
    """Register the admin pages and the admin JSON API."""
    from backend.admin import auth, exports, pages, roster
    from backend.admin.api import create_api_blueprint

    app.register_blueprint(auth.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(roster.bp)
    app.register_blueprint(exports.bp)
    app.register_blueprint(create_api_blueprint())
    app.before_request(refuse_unstorable_form_text)
    # The site's root is the admin web (the mini-program talks to /api/v1 only).
    app.add_url_rule("/", "root", lambda: redirect(url_for("admin_pages.index")))


def refuse_unstorable_form_text() -> None:
    """Refuse admin-page input no database can hold (NUL), which WTForms fields let through."""
    # The JSON APIs check their text with pydantic (backend/services/plain_text.py); the pages'
    # forms and query strings would otherwise reach PostgreSQL and fail there with a 500.
    if not request.path.startswith("/admin"):
        return
    for values in (request.args, request.form):
        for key, value in values.items(multi=True):
            if not (storable(key) and storable(value)):
                raise DomainError("unstorable_text")
