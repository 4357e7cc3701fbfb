"""Admin pages: the home page (other pages live in their own modules)."""

from __future__ import annotations

from flask import Blueprint, render_template

from backend.admin.auth import admin_required, current_admin

bp = Blueprint("admin_pages", __name__, url_prefix="/admin")


@bp.get("/")
@admin_required()
def index():
    """The admin's start page."""
    return render_template("admin/index.html", admin=current_admin())
