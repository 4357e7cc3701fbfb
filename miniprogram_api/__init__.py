"""The JSON API the mini-program calls, mounted at /api/v1."""

from flask import Blueprint, Flask


def create_blueprint() -> Blueprint:
    """Build the API blueprint with every route module attached."""
    from miniprogram_api import (
        auth,
        certificates,
        docs,
        evaluations,
        face_checks,
        learning,
        me,
        privacy,
        quizzes,
        security,
        support,
        web_login,
    )
    from miniprogram_api.blueprint import bp, with_views

    security.install(bp)
    return with_views(
        docs,
        auth,
        me,
        learning,
        face_checks,
        quizzes,
        evaluations,
        support,
        certificates,
        web_login,
        privacy,
    )


def init_app(app: Flask) -> None:
    """Mount the API on the app."""
    app.register_blueprint(create_blueprint())
