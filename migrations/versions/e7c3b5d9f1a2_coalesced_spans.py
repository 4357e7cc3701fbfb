"""Coalesced spans: an open span is extended until sealed; chain_seq orders each chain

Revision ID: e7c3b5d9f1a2
Revises: d2f4a6b8c0e1
Create Date: 2026-12-06 14:40:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "e7c3b5d9f1a2"
down_revision = "d2f4a6b8c0e1"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("credited_span", schema=None) as batch_op:
        batch_op.add_column(sa.Column("chain_seq", sa.Integer(), nullable=True))
    # Spans written before were chained in id order, each as it was written.
    op.execute(
        """
        UPDATE credited_span SET chain_seq = n.seq FROM (
          SELECT id, row_number() OVER (PARTITION BY project_id ORDER BY id) AS seq
          FROM credited_span WHERE chain_hash IS NOT NULL
        ) AS n WHERE credited_span.id = n.id
        """
    )
    with op.batch_alter_table("credited_span", schema=None) as batch_op:
        batch_op.create_index(
            "ix_credited_span_open",
            ["trainee_id"],
            postgresql_where=sa.text("chain_hash IS NULL"),
            sqlite_where=sa.text("chain_hash IS NULL"),
        )


def downgrade():
    with op.batch_alter_table("credited_span", schema=None) as batch_op:
        batch_op.drop_index("ix_credited_span_open")
        batch_op.drop_column("chain_seq")
