"""Serves lesson media from the filesystem backend by signed URL, with HTTP Range (206)."""

from __future__ import annotations

from flask import Blueprint, Flask, Request, current_app, request, send_file
from werkzeug.exceptions import HTTPException

from backend.kernel.errors import DomainError
from backend.security_headers import CSP
from backend.services.content import delivery
from backend.services.content.probe import human_bytes
from backend.services.content.storage import storage_from_config

bp = Blueprint("media", __name__, url_prefix="/media")
# Room for the multipart framing and the text fields around an uploaded file.
FORM_OVERHEAD = 1024 * 1024


class UploadClosingRequest(Request):
    """Closes every temporary file the form parser opened, also those of a body cut short,
    which werkzeug drops without closing."""

    def _get_file_stream(
        self, total_content_length, content_type, filename=None, content_length=None
    ):
        stream = super()._get_file_stream(
            total_content_length, content_type, filename, content_length
        )
        self.__dict__.setdefault("_upload_streams", []).append(stream)
        return stream

    def close(self) -> None:
        """Close the files of the request, parsed or not."""
        super().close()
        for stream in self.__dict__.pop("_upload_streams", []):
            stream.close()


def init_app(app: Flask) -> None:
    """Media storage, the serving route, and the upload size limit of upload views."""
    app.request_class = UploadClosingRequest
    app.extensions["media_storage"] = storage_from_config(app)
    app.register_blueprint(bp)
    # First of all hooks: the CSRF check reads the form, which must already allow a media file.
    app.before_request_funcs.setdefault(None, []).insert(0, _allow_media_uploads)


def _allow_media_uploads() -> None:
    view = current_app.view_functions.get(request.endpoint or "")
    if getattr(view, "media_upload", False):
        limit = current_app.config["MEDIA_MAX_BYTES"]
        if (request.content_length or 0) > limit + FORM_OVERHEAD:
            raise DomainError("media_too_large", limit=human_bytes(limit))
        request.max_content_length = limit + FORM_OVERHEAD


def upload_limit(app: Flask, path: str, method: str) -> int | None:
    """The most a request to ``path`` may send (for the server, before the app reads it): a
    media upload view's limit, else ``MAX_CONTENT_LENGTH``."""
    try:
        endpoint, _ = app.url_map.bind("").match(path, method)
    except HTTPException:
        endpoint = ""
    if getattr(app.view_functions.get(endpoint), "media_upload", False):
        return app.config["MEDIA_MAX_BYTES"] + FORM_OVERHEAD
    return app.config["MAX_CONTENT_LENGTH"]


def media_upload(view):
    """Mark a view that receives a media file (its body may be up to ``MEDIA_MAX_BYTES``)."""
    view.media_upload = True
    return view


@bp.get("/<path:key>")
def serve(key: str):
    """The file of a signed, unexpired URL; players seek with Range requests."""
    path = delivery.verified_path(key, request.args.get("expires", ""), request.args.get("sig", ""))
    # conditional=True answers Range with 206 Partial Content and If-None-Match with 304.
    response = send_file(path, conditional=True, etag=True, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    # The portal (same origin) shows documents in a frame; no other site may frame them.
    response.headers["Content-Security-Policy"] = CSP.replace(
        "frame-ancestors 'none'", "frame-ancestors 'self'"
    )
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response
