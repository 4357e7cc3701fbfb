"""Plain rows for bulk reads: a Core result on the session's connection."""

from __future__ import annotations

from collections.abc import Collection

import sqlalchemy as sa
from sqlalchemy import Executable
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import CursorResult

from backend.extensions import db


def plain_rows(statement: Executable) -> CursorResult:
    """Execute a SELECT of columns in the session's transaction without the ORM's per-row work."""
    # Session.execute would autoflush first; so does this, so pending rows are counted.
    db.session.flush()
    return db.session.connection().execute(statement)


def any_of(column, values: Collection):
    """``column IN values`` for a long list: on PostgreSQL one array parameter (``= ANY``), as a
    thousand bound parameters cost more to compile and send than the statement they feed."""
    if db.session.get_bind().dialect.name != "postgresql":
        return column.in_(list(values))
    array = postgresql.ARRAY(column.type)
    return column == sa.any_(sa.bindparam(None, list(values), type_=array))
