"""The admin API's OpenAPI document, generated from the same pydantic models as the views."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from backend.admin.auth import require_permission
from backend.api import build_openapi
from backend.kernel.permissions import Permission


def register(bp: Blueprint) -> None:
    """Attach the route."""

    @bp.get("/openapi.json")
    @require_permission(Permission.VIEW_PROJECT)
    def admin_openapi():
        document = build_openapi(current_app, prefix="/api/admin", title="适岗 Shigang admin API")
        # Admin calls authenticate with the session cookie and send X-CSRFToken when they write.
        document["components"]["securitySchemes"] = {
            "session": {"type": "apiKey", "in": "cookie", "name": "session"}
        }
        document["security"] = [{"session": []}]
        return jsonify(document)
