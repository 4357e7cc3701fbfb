"""Admin pages (server-rendered, Simplified Chinese): one module per page family; the blueprint
and the shared helpers are in ``base``."""

from __future__ import annotations

from backend.admin.pages.base import bp

__all__ = ["bp"]


def _register_page_modules() -> None:
    from backend.admin.pages import (
        admin_accounts,
        audit_log,
        certificates,
        claims,
        courses,
        dashboard,
        enterprises,
        evaluations,
        integrity,
        projects,
        question_banks,
        quizzes,
        review,
        support,
        trainee_accounts,
        trainees,
    )
    from backend.admin.pages.base import with_views

    with_views(
        projects,
        enterprises,
        dashboard,
        trainees,
        trainee_accounts,
        review,
        audit_log,
        courses,
        question_banks,
        quizzes,
        evaluations,
        support,
        integrity,
        claims,
        certificates,
        admin_accounts,
    )


_register_page_modules()
