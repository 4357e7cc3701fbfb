"""The OpenAPI document of this API."""

from flask import Blueprint, current_app, jsonify

from backend.api import build_openapi


def register(bp: Blueprint) -> None:
    """Serve /api/v1/openapi.json."""

    @bp.get("/openapi.json")
    def openapi_document():
        return jsonify(build_openapi(current_app))
