"""Training certificates (培训证明): signed PDFs, serials, revocation

Revision ID: e7c3a9d5b1f2
Revises: d2f4a6b8c0e1
Create Date: 2026-12-06 14:50:00

"""

import sqlalchemy as sa
from alembic import op

import backend.models.types

# revision identifiers, used by Alembic.
revision = "e7c3a9d5b1f2"
down_revision = "e5a7c9d1f3b2"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "certificate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("serial", sa.String(length=32), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("trainee_id", sa.Integer(), nullable=False),
        sa.Column("claim_line_id", sa.Integer(), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("pdf_sha256", sa.String(length=64), nullable=False),
        sa.Column("issued_at", backend.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("issued_by_id", sa.Integer(), nullable=True),
        sa.Column("issue_reason", sa.Text(), nullable=True),
        sa.Column("replaces_id", sa.Integer(), nullable=True),
        sa.Column("revoked_at", backend.models.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_by_id", sa.Integer(), nullable=True),
        sa.Column("revoke_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["claim_line_id"], ["claim_line.id"]),
        sa.ForeignKeyConstraint(["issued_by_id"], ["admin_user.id"]),
        sa.ForeignKeyConstraint(["project_id"], ["project.id"]),
        sa.ForeignKeyConstraint(["replaces_id"], ["certificate.id"]),
        sa.ForeignKeyConstraint(["revoked_by_id"], ["admin_user.id"]),
        sa.ForeignKeyConstraint(["trainee_id"], ["trainee.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("serial"),
    )
    with op.batch_alter_table("certificate", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_certificate_project_id"), ["project_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_certificate_trainee_id"), ["trainee_id"], unique=False)


def downgrade():
    with op.batch_alter_table("certificate", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_certificate_trainee_id"))
        batch_op.drop_index(batch_op.f("ix_certificate_project_id"))
    op.drop_table("certificate")
