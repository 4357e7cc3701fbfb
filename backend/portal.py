"""The trainees' learning portal (门户网站) at /learn/: one HTML shell, ES modules and CSS.

The pages are plain ES modules in ``backend/static/learn/`` (no build step, no framework); the
JavaScript SDK they run on is served from ``client/sdk/`` at ``/learn/sdk/``. Text files are
sent gzip-compressed to browsers that accept it (compressed once per process, by file and
modification time), so the first load is what a phone really downloads.
"""

from __future__ import annotations

import gzip
import mimetypes
import threading
from pathlib import Path

from flask import Blueprint, Flask, Response, abort, redirect, request
from werkzeug.security import safe_join

ROOT = Path(__file__).resolve().parent.parent
PORTAL_DIR = ROOT / "backend" / "static" / "learn"
SDK_DIR = ROOT / "client" / "sdk"
TEXT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".json": "application/json",
}

bp = Blueprint("portal", __name__, url_prefix="/learn")
_cache: dict[tuple[str, float], tuple[bytes, bytes]] = {}
_lock = threading.Lock()


def _read(path: Path) -> tuple[bytes, bytes]:
    """The file's bytes and their gzip, cached by path and modification time."""
    key = (str(path), path.stat().st_mtime)
    with _lock:
        hit = _cache.get(key)
    if hit is None:
        raw = path.read_bytes()
        hit = (raw, gzip.compress(raw, compresslevel=9, mtime=0))
        with _lock:
            _cache[key] = hit
    return hit


def _send(directory: Path, name: str, *, cache_s: int) -> Response:
    joined = safe_join(str(directory), name)
    if joined is None:
        abort(404)
    path = Path(joined)
    if not path.is_file():
        abort(404)
    raw, packed = _read(path)
    kind = TEXT_TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0]
    gzip_ok = "gzip" in request.headers.get("Accept-Encoding", "")
    response = Response(packed if gzip_ok else raw, mimetype=None, content_type=kind)
    if gzip_ok:
        response.headers["Content-Encoding"] = "gzip"
    response.headers["Vary"] = "Accept-Encoding"
    # Modules change with each release: revalidate (ETag) rather than keep stale code.
    response.headers["Cache-Control"] = f"public, max-age={cache_s}, must-revalidate"
    response.set_etag(f"{path.stat().st_mtime_ns:x}-{len(raw):x}")
    return response.make_conditional(request)


@bp.get("")
def portal_root():
    """/learn → /learn/."""
    return redirect("/learn/", code=308)


@bp.get("/")
def shell():
    """The portal's one HTML page; the routes live after the '#'."""
    return _send(PORTAL_DIR, "index.html", cache_s=0)


@bp.get("/assets/<path:name>")
def asset(name: str):
    """The portal's modules, stylesheet and images."""
    return _send(PORTAL_DIR, name, cache_s=300)


@bp.get("/sdk/<path:name>")
def sdk(name: str):
    """The JavaScript SDK (``client/sdk/``), the same files the mini-program bundles."""
    if not name.endswith(".js"):
        abort(404)
    return _send(SDK_DIR, name, cache_s=300)


def init_app(app: Flask) -> None:
    """Mount the portal."""
    app.register_blueprint(bp)
