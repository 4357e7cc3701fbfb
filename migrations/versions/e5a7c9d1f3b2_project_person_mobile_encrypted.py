"""project.person_mobile encrypted, with a blind index, as every other mobile (issue 25)

The plain column's values (and those in filing snapshots) are encrypted with the deployment's
FIELD_ENCRYPTION_KEY, so ``flask db upgrade`` must run with the app's key, as it always does.

Revision ID: e5a7c9d1f3b2
Revises: d2f4a6b8c0e1
Create Date: 2026-12-06 15:00:00

"""

import sqlalchemy as sa
from alembic import op
from flask import current_app

# revision identifiers, used by Alembic.
revision = "e5a7c9d1f3b2"
down_revision = "e7c3b5d9f1a2"
branch_labels = None
depends_on = None

PROJECT = sa.table(
    "project",
    sa.column("id", sa.Integer),
    sa.column("person_mobile", sa.String),
    sa.column("person_mobile_enc", sa.Text),
    sa.column("person_mobile_hash", sa.String),
    sa.column("filing_snapshot", sa.JSON),
)


def _cipher():
    return current_app.extensions["field_cipher"]


def upgrade():
    with op.batch_alter_table("project", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("person_mobile_enc", sa.Text(), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("person_mobile_hash", sa.String(64), nullable=False, server_default="")
        )
    conn = op.get_bind()
    cipher = _cipher()
    rows = conn.execute(sa.select(PROJECT.c.id, PROJECT.c.person_mobile, PROJECT.c.filing_snapshot))
    for project_id, mobile, snapshot in rows.all():
        values = {}
        if mobile:
            values["person_mobile_enc"] = cipher.encrypt(mobile)
            values["person_mobile_hash"] = cipher.blind_index(mobile)
        filed = (snapshot or {}).get("project")
        if filed is not None and "person_mobile" in filed:
            plain = filed.pop("person_mobile") or ""
            filed["person_mobile_enc"] = cipher.encrypt(plain) if plain else ""
            values["filing_snapshot"] = snapshot
        if values:
            conn.execute(PROJECT.update().where(PROJECT.c.id == project_id).values(**values))
    with op.batch_alter_table("project", schema=None) as batch_op:
        batch_op.drop_column("person_mobile")


def downgrade():
    with op.batch_alter_table("project", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("person_mobile", sa.String(32), nullable=False, server_default="")
        )
    conn = op.get_bind()
    cipher = _cipher()
    query = sa.select(PROJECT.c.id, PROJECT.c.person_mobile_enc, PROJECT.c.filing_snapshot)
    for project_id, encrypted, snapshot in conn.execute(query).all():
        values = {}
        if encrypted:
            values["person_mobile"] = cipher.decrypt(encrypted)
        filed = (snapshot or {}).get("project")
        if filed is not None and "person_mobile_enc" in filed:
            token = filed.pop("person_mobile_enc")
            filed["person_mobile"] = cipher.decrypt(token) if token else ""
            values["filing_snapshot"] = snapshot
        if values:
            conn.execute(PROJECT.update().where(PROJECT.c.id == project_id).values(**values))
    with op.batch_alter_table("project", schema=None) as batch_op:
        batch_op.drop_column("person_mobile_hash")
        batch_op.drop_column("person_mobile_enc")
