"""The blueprint of ``backend.admin.api``: its view modules decorate it when imported."""

from __future__ import annotations

from types import ModuleType

from flask import Blueprint

bp = Blueprint("admin_api", "backend.admin.api", url_prefix="/api/admin")


def with_views(*modules: ModuleType) -> Blueprint:
    """The blueprint, with the views of ``modules`` (each decorates it when first imported)."""
    return bp
