"""people and accounts: withdrawn enrolments, privacy consent, erasure, forced password change

Revision ID: c41d7e2a9f10
Revises: c4a1d2e3f5b6
Create Date: 2026-12-01 20:50:00

"""

from alembic import op
import sqlalchemy as sa

import backend.models.types


# revision identifiers, used by Alembic.
revision = "c41d7e2a9f10"
down_revision = "c4a1d2e3f5b6"
branch_labels = None
depends_on = None


def _at(name):
    return sa.Column(name, backend.models.types.UTCDateTime(timezone=True), nullable=True)


def upgrade():
    with op.batch_alter_table("enrolment", schema=None) as batch_op:
        batch_op.add_column(_at("withdrawn_at"))
    with op.batch_alter_table("trainee", schema=None) as batch_op:
        batch_op.add_column(sa.Column("privacy_version", sa.String(length=32), nullable=True))
        batch_op.add_column(_at("privacy_accepted_at"))
        batch_op.add_column(_at("erased_at"))
    with op.batch_alter_table("admin_user", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "must_change_password", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
        batch_op.add_column(_at("password_changed_at"))


def downgrade():
    with op.batch_alter_table("admin_user", schema=None) as batch_op:
        batch_op.drop_column("password_changed_at")
        batch_op.drop_column("must_change_password")
    with op.batch_alter_table("trainee", schema=None) as batch_op:
        batch_op.drop_column("erased_at")
        batch_op.drop_column("privacy_accepted_at")
        batch_op.drop_column("privacy_version")
    with op.batch_alter_table("enrolment", schema=None) as batch_op:
        batch_op.drop_column("withdrawn_at")
