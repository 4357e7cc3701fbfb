"""Running an export for the signed-in admin and streaming the file to the browser, deleting it
from disk as it goes (shared by the exports page and the admin API)."""

from __future__ import annotations

import os
from urllib.parse import quote

from flask import send_file

from backend.admin.auth import current_admin
from backend.admin.scope import get_project_or_404
from backend.caller import client_address
from backend.extensions import db
from backend.services.exports.run import ExportFile, run_export


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


def export_response(kind: str, project_id: int, fmt: str, full_ids: bool):
    """Run an export for the signed-in admin, commit its audit entries, stream the file."""
    admin = current_admin()
    project = get_project_or_404(project_id, admin)
    export = run_export(
        kind, fmt, admin, project, full_ids=full_ids, client_address=client_address()
    )
    db.session.commit()
    return stream_export(export)
