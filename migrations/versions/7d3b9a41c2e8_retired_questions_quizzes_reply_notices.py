"""retired questions and quizzes; the WeChat notice of a support reply

Revision ID: 7d3b9a41c2e8
Revises: 483ea21aba0b
Create Date: 2026-12-01 20:45:00

"""

from alembic import op
import sqlalchemy as sa

import backend.models.types


# revision identifiers, used by Alembic.
revision = "7d3b9a41c2e8"
down_revision = "483ea21aba0b"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("question", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("retired_at", backend.models.types.UTCDateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("quiz", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("retired_at", backend.models.types.UTCDateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("support_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("notify_status", sa.String(length=16), nullable=True))
        # Existing rows get 0 from the server default; the model writes it itself afterwards.
        batch_op.add_column(
            sa.Column("notify_attempts", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("notified_at", backend.models.types.UTCDateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("support_message", schema=None) as batch_op:
        batch_op.alter_column("notify_attempts", server_default=None)


def downgrade():
    with op.batch_alter_table("support_message", schema=None) as batch_op:
        batch_op.drop_column("notified_at")
        batch_op.drop_column("notify_attempts")
        batch_op.drop_column("notify_status")
    with op.batch_alter_table("quiz", schema=None) as batch_op:
        batch_op.drop_column("retired_at")
    with op.batch_alter_table("question", schema=None) as batch_op:
        batch_op.drop_column("retired_at")
