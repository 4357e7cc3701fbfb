"""ix_credited_span_project_trainee includes seconds: per-trainee sums read the index alone

Revision ID: d2f4a6b8c0e1
Revises: 9b7e3f1a2c64
Create Date: 2026-12-02 00:40:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "d2f4a6b8c0e1"
down_revision = "9b7e3f1a2c64"
branch_labels = None
depends_on = None

COLUMNS = ["project_id", "trainee_id", "start_at"]


def upgrade():
    with op.batch_alter_table("credited_span", schema=None) as batch_op:
        batch_op.drop_index("ix_credited_span_project_trainee")
        batch_op.create_index(
            "ix_credited_span_project_trainee", COLUMNS, postgresql_include=["seconds"]
        )


def downgrade():
    with op.batch_alter_table("credited_span", schema=None) as batch_op:
        batch_op.drop_index("ix_credited_span_project_trainee")
        batch_op.create_index("ix_credited_span_project_trainee", COLUMNS)
