"""The blueprint of ``supervision_api``: its view modules decorate it when imported."""

from __future__ import annotations

from types import ModuleType

from flask import Blueprint

bp = Blueprint("supervision_api", "supervision_api", url_prefix="/api/supervision/v1")


def with_views(*modules: ModuleType) -> Blueprint:
    """The blueprint, with the views of ``modules`` (each decorates it when first imported)."""
    return bp
