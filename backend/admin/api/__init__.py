"""The admin JSON API: session cookie plus ``X-CSRFToken`` header, pydantic bodies."""

from flask import Blueprint


def create_api_blueprint() -> Blueprint:
    """Build the /api/admin blueprint with every route module attached."""
    from backend.admin.api import (
        certificates,
        claims,
        courses,
        dashboard_charts,
        docs,
        enrolments,
        exports,
        lessons,
        question_banks,
        quizzes,
        regions,
        roster_imports,
        session_info,
        support,
        trainee_wechat,
        trainees,
    )
    from backend.admin.api.blueprint import with_views

    modules = (session_info, trainee_wechat, question_banks, quizzes, support, roster_imports)
    content = (courses, lessons, docs)
    return with_views(
        *modules,
        enrolments,
        exports,
        dashboard_charts,
        *content,
        claims,
        certificates,
        regions,
        trainees,
    )
