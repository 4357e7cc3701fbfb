"""trainee (enterprise_id, roster_seq, id): the roster in its order, for the table's first page

Revision ID: 9b7e3f1a2c64
Revises: 5e1d2c3b4a69
Create Date: 2026-12-02 00:20:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "9b7e3f1a2c64"
down_revision = "5e1d2c3b4a69"
branch_labels = None
depends_on = None


def upgrade():
    # The composite index serves every lookup by enterprise too, so the single-column one goes.
    with op.batch_alter_table("trainee", schema=None) as batch_op:
        batch_op.create_index(
            "ix_trainee_enterprise_seq", ["enterprise_id", "roster_seq", "id"], unique=False
        )
        batch_op.drop_index("ix_trainee_enterprise_id")


def downgrade():
    with op.batch_alter_table("trainee", schema=None) as batch_op:
        batch_op.create_index("ix_trainee_enterprise_id", ["enterprise_id"], unique=False)
        batch_op.drop_index("ix_trainee_enterprise_seq")
