"""filing snapshot: what 附件1 showed at submit, and when it was submitted

Revision ID: be214a914246
Revises: 3ee59a43b8e2
Create Date: 2026-11-27 08:44:25.063638

"""

from alembic import op
import sqlalchemy as sa

import backend.models.types


# revision identifiers, used by Alembic.
revision = "be214a914246"
down_revision = "3ee59a43b8e2"
branch_labels = None
depends_on = None


def upgrade():
    # Both nullable and left empty: projects filed before this revision have no snapshot and
    # keep showing their live rows until they are submitted again.
    with op.batch_alter_table("project", schema=None) as batch_op:
        batch_op.add_column(sa.Column("filing_snapshot", sa.JSON(), nullable=True))
        batch_op.add_column(
            sa.Column("filed_at", backend.models.types.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade():
    with op.batch_alter_table("project", schema=None) as batch_op:
        batch_op.drop_column("filed_at")
        batch_op.drop_column("filing_snapshot")
