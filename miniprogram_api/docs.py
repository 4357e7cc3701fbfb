"""The OpenAPI document of this API."""

from flask import current_app, jsonify

from backend.api import build_openapi
from miniprogram_api.blueprint import bp


@bp.get("/openapi.json")
def openapi_document():
    return jsonify(build_openapi(current_app))
