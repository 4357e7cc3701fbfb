"""The admin pages' blueprint, its template filters and globals, the helpers the page modules
share, and the start page."""

from __future__ import annotations

from datetime import datetime, timedelta
from types import ModuleType

from flask import Blueprint, render_template, request, url_for
from wtforms import Form

from backend.admin.auth import admin_required, current_admin
from backend.kernel.lifecycle import STATUS_NAMES
from backend.services.projects.filing import FieldError

bp = Blueprint("admin_pages", "backend.admin.pages", url_prefix="/admin")

TRAINING_TYPE_NAMES = {"on_job": "在岗培训", "pre_job": "岗前培训", "job_transfer": "转岗培训"}
RESOURCE_FORM_NAMES = {"video": "视频", "document": "文档", "live": "直播", "audio": "音频"}
CST = timedelta(hours=8)


@bp.app_template_filter("cst")
def cst(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A UTC time shown in China Standard Time (the admins' time zone)."""
    return (value + CST).strftime(fmt) if value else ""


@bp.app_template_filter("yuan")
def yuan(fen: int | None) -> str:
    """An amount in fen shown in yuan with two decimals."""
    return f"{(fen or 0) / 100:,.2f}"


@bp.app_template_filter("duration")
def duration(seconds: int | None) -> str:
    """Seconds as hours and minutes, e.g. 1小时05分."""
    minutes = (seconds or 0) // 60
    return f"{minutes // 60}小时{minutes % 60:02d}分" if minutes >= 60 else f"{minutes}分钟"


@bp.app_template_filter("yuan_plain")
def yuan_plain(fen: int | None) -> str:
    """An amount in fen in yuan without trailing zeros, for rules: 3000 → 30, 3050 → 30.5."""
    return f"{(fen or 0) / 100:.2f}".rstrip("0").rstrip(".")


@bp.app_template_global("policy_for")
def template_policy_for(project):
    """The project's subsidy policy, so that pages explain figures in its numbers."""
    from backend.policy import policy_for

    return policy_for(project)


@bp.app_template_global("url_with")
def url_with(**changes) -> str:
    """The current page's URL with some query parameters changed (sorting, paging)."""
    view_args = request.view_args or {}
    # Only the page's own parameters: a path parameter repeated in the query string, or
    # url_for's own options (_external, _scheme, …), must not reach url_for from a link.
    args = {
        key: value
        for key, value in request.args.items()
        if key not in view_args and not key.startswith("_")
    }
    args.update({key: value for key, value in changes.items() if value is not None})
    return url_for(request.endpoint, **view_args, **args)


@bp.app_template_global("support_awaiting")
def support_awaiting() -> int:
    """Support threads awaiting a reply that the signed-in admin may see (the nav's badge)."""
    from backend.services.support import threads as support

    admin = current_admin()
    return support.awaiting_reply(admin) if admin is not None else 0


# Globals rather than context: the macros in _macros.html are imported without context.
bp.add_app_template_global(STATUS_NAMES, "status_names")
bp.add_app_template_global(TRAINING_TYPE_NAMES, "training_type_names")
bp.add_app_template_global(RESOURCE_FORM_NAMES, "resource_form_names")


def show_field_error(form: Form, exc: FieldError) -> None:
    """Put a service's rejection of one field next to that field ("sub-field" for subforms)."""
    target = form
    for part in exc.field.split("-"):
        target = target[part] if hasattr(target, "_fields") else target.form[part]
    target.errors = [*target.errors, exc.message]


@bp.get("/")
@admin_required()
def index():
    """The admin's start page."""
    return render_template("admin/index.html", admin=current_admin())


def with_views(*modules: ModuleType) -> Blueprint:
    """The blueprint, with the views of ``modules`` (each decorates it when first imported)."""
    return bp
