"""ix_credited_span_project_trainee no longer includes seconds: extending an open span is a
heap-only update

Revision ID: a9d4e6f2b8c3
Revises: f3b8d2a6c4e1
Create Date: 2026-12-06 20:25:00

The drain extends a trainee's open span (end_at, seconds) about every beat. With seconds in an
index every extension wrote a new entry into each of the table's five indexes; with no indexed
column changed it is a heap-only update (bench/drain_cost.py: PostgreSQL's CPU per drained span
29 -> 15 us). The per-trainee sums of the hours sheet's cap walk read the table again for the
seconds (d2f4a6b8c0e1 had added them for that).
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "a9d4e6f2b8c3"
down_revision = "f3b8d2a6c4e1"
branch_labels = None
depends_on = None

COLUMNS = ["project_id", "trainee_id", "start_at"]


def upgrade():
    with op.batch_alter_table("credited_span", schema=None) as batch_op:
        batch_op.drop_index("ix_credited_span_project_trainee")
        batch_op.create_index("ix_credited_span_project_trainee", COLUMNS)


def downgrade():
    with op.batch_alter_table("credited_span", schema=None) as batch_op:
        batch_op.drop_index("ix_credited_span_project_trainee")
        batch_op.create_index(
            "ix_credited_span_project_trainee", COLUMNS, postgresql_include=["seconds"]
        )
