"""learning_session and credited_span leave a fifth of each page free for the drain's updates

Revision ID: f3b8d2a6c4e1
Revises: e7c3a9d5b1f2
Create Date: 2026-12-06 20:20:00

The drain updates a session's totals and extends its open span about every beat; with room on
the page the new row version stays beside the old one (for the session a heap-only update: no
column it sets is indexed). Pages already full get the room as they are rewritten (VACUUM FULL
or pg_repack), new pages at once. PostgreSQL only (see backend/models/learning.py, FILLFACTOR).
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "f3b8d2a6c4e1"
down_revision = "e7c3a9d5b1f2"
branch_labels = None
depends_on = None

TABLES = {"learning_session": 80, "credited_span": 80}


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, fill in TABLES.items():
        op.execute(f"ALTER TABLE {table} SET (fillfactor = {fill})")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} RESET (fillfactor)")
