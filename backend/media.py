"""Serves lesson media from the filesystem backend by signed URL, with HTTP Range (206)."""

from __future__ import annotations

from flask import Blueprint, request, send_file

from backend.services.content import delivery

bp = Blueprint("media", __name__, url_prefix="/media")


@bp.get("/<path:key>")
def serve(key: str):
    """The file of a signed, unexpired URL; players seek with Range requests."""
    path = delivery.verified_path(key, request.args.get("expires", ""), request.args.get("sig", ""))
    # conditional=True answers Range with 206 Partial Content and If-None-Match with 304.
    response = send_file(path, conditional=True, etag=True, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response
