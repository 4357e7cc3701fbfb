"""project policy: each project records the subsidy policy chosen when it was created

Revision ID: c4a1d2e3f5b6
Revises: be214a914246
Create Date: 2026-12-01 20:50:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "c4a1d2e3f5b6"
down_revision = "be214a914246"
branch_labels = None
depends_on = None


def upgrade():
    # Existing projects were run under the one policy the platform had.
    with op.batch_alter_table("project", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "policy_id", sa.String(length=64), nullable=False, server_default="guangdong_2020"
            )
        )
    with op.batch_alter_table("project", schema=None) as batch_op:
        batch_op.alter_column("policy_id", server_default=None)


def downgrade():
    with op.batch_alter_table("project", schema=None) as batch_op:
        batch_op.drop_column("policy_id")
