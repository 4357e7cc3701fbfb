"""learning_session.device_id: the mini-program's per-installation id

Revision ID: 5e1d2c3b4a69
Revises: 86a4a1011054
Create Date: 2026-12-01 22:05:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "5e1d2c3b4a69"
down_revision = "86a4a1011054"
branch_labels = None
depends_on = None


def upgrade():
    # Sessions from before keep "": a model name alone tells no phone apart, so the shared-device
    # flag leaves them out.
    with op.batch_alter_table("learning_session", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("device_id", sa.String(length=64), server_default="", nullable=False)
        )


def downgrade():
    with op.batch_alter_table("learning_session", schema=None) as batch_op:
        batch_op.drop_column("device_id")
