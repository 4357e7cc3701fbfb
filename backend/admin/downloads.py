"""Streaming a finished export file to the browser, deleting it from disk as it goes."""

from __future__ import annotations

import os
from urllib.parse import quote

from flask import send_file

from backend.services.exports.run import ExportFile


def stream_export(export: ExportFile):
    """Send the file in chunks; it is unlinked at once and vanishes when the response closes."""
    handle = open(export.path, "rb")  # noqa: SIM115 - closed by the response
    os.unlink(export.path)
    response = send_file(
        handle,
        mimetype=export.mimetype,
        as_attachment=True,
        download_name=export.download_name,
        max_age=0,
    )
    response.headers["Cache-Control"] = "no-store"
    if export.ascii_name:
        # werkzeug's ASCII fallback drops every Chinese character ("_1.xlsx"): name it ourselves.
        response.headers["Content-Disposition"] = (
            f'attachment; filename="{export.ascii_name}"; '
            f"filename*=UTF-8''{quote(export.download_name)}"
        )
    return response
