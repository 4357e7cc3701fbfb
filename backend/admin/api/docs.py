"""The admin API's OpenAPI document, generated from the same pydantic models as the views."""

from __future__ import annotations

from flask import current_app, jsonify

from backend.admin.api.blueprint import bp
from backend.admin.auth import require_permission
from backend.api import build_openapi, openapi_path
from backend.kernel.permissions import Permission

AUTH_DESCRIPTION = (
    "Sign in at `/admin/login` (form: username, password, csrf_token); the answer sets the "
    "`session` cookie, which every call sends. Calls that write (POST, PUT, PATCH, DELETE) also "
    "send the header `X-CSRFToken` with the token from `GET /api/admin/me` (`csrf_token`). "
    "Signed out: 401 `unauthorized`; a permission the role lacks: 403 `forbidden` "
    "(`x-required-permission` names it); another enterprise's object: 404 `not_found`."
)
WRITES = {"post", "put", "patch", "delete"}


def admin_openapi_document() -> dict:
    """The document: every /api/admin endpoint, its auth and the permission it requires."""
    document = build_openapi(current_app, prefix="/api/admin", title="适岗 Shigang admin API")
    document["info"]["description"] = AUTH_DESCRIPTION
    document["components"]["securitySchemes"] = {
        "session": {"type": "apiKey", "in": "cookie", "name": "session"},
        "csrf": {
            "type": "apiKey",
            "in": "header",
            "name": "X-CSRFToken",
            "description": "csrf_token from GET /api/admin/me; required on writes",
        },
    }
    permissions = {
        rule.rule: getattr(current_app.view_functions[rule.endpoint], "required_permission", None)
        for rule in current_app.url_map.iter_rules()
    }
    by_path = {}
    for rule, permission in permissions.items():
        by_path[openapi_path(rule)[0]] = permission
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            schemes = {"session": [], "csrf": []} if method in WRITES else {"session": []}
            operation["security"] = [schemes]
            if by_path.get(path) is not None:
                operation["x-required-permission"] = by_path[path].value
    return document


@bp.get("/openapi.json")
@require_permission(Permission.VIEW_PROJECT)
def admin_openapi():
    return jsonify(admin_openapi_document())
