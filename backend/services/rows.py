"""Plain rows for bulk reads: a Core result on the session's connection."""

from __future__ import annotations

from sqlalchemy import Executable
from sqlalchemy.engine import CursorResult

from backend.extensions import db


def plain_rows(statement: Executable) -> CursorResult:
    """Execute a SELECT of columns in the session's transaction without the ORM's per-row work."""
    # Session.execute would autoflush first; so does this, so pending rows are counted.
    db.session.flush()
    return db.session.connection().execute(statement)
