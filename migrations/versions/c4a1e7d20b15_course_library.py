"""course library: courses belong to an enterprise and are attached to projects in an order;
lessons get a kind, media fields and retirement; projects may require lessons in order

Revision ID: c4a1e7d20b15
Revises: c41d7e2a9f10
Create Date: 2026-12-01 20:50:00

"""

from alembic import op
import sqlalchemy as sa

import backend.models.types


# revision identifiers, used by Alembic.
revision = "c4a1e7d20b15"
down_revision = "c41d7e2a9f10"
branch_labels = None
depends_on = None

KIND = sa.Enum("video", "audio", "document", name="lessonkind", native_enum=False, length=24)


def upgrade():
    op.create_table(
        "project_course",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"], ["course.id"], name=op.f("fk_project_course_course_id_course")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["project.id"], name=op.f("fk_project_course_project_id_project")
        ),
        sa.PrimaryKeyConstraint("project_id", "course_id", name=op.f("pk_project_course")),
    )
    with op.batch_alter_table("project_course", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_project_course_course_id"), ["course_id"], unique=False
        )

    with op.batch_alter_table("course", schema=None) as batch_op:
        batch_op.add_column(sa.Column("enterprise_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("name", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("summary", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("retired", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("created_at", backend.models.types.UTCDateTime(timezone=True), nullable=True)
        )
    # Every existing course goes to its project's enterprise's library, attached to that project.
    op.execute(
        "UPDATE course SET name = title, summary = description, created_at = CURRENT_TIMESTAMP, "
        "enterprise_id = (SELECT project.enterprise_id FROM project "
        "WHERE project.id = course.project_id)"
    )
    op.execute(
        "INSERT INTO project_course (project_id, course_id, position) "
        "SELECT project_id, id, position FROM course"
    )
    with op.batch_alter_table("course", schema=None) as batch_op:
        batch_op.alter_column("enterprise_id", nullable=False)
        batch_op.alter_column("name", nullable=False)
        batch_op.alter_column("summary", nullable=False)
        batch_op.alter_column("created_at", nullable=False)
        batch_op.alter_column("retired", server_default=None)
        batch_op.drop_index(batch_op.f("ix_course_project_id"))
        batch_op.drop_constraint(batch_op.f("fk_course_project_id_project"), type_="foreignkey")
        batch_op.drop_constraint(
            batch_op.f("fk_course_plan_row_id_course_plan_row"), type_="foreignkey"
        )
        batch_op.drop_column("project_id")
        batch_op.drop_column("plan_row_id")
        batch_op.drop_column("title")
        batch_op.drop_column("description")
        batch_op.drop_column("position")
        batch_op.create_index(batch_op.f("ix_course_enterprise_id"), ["enterprise_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_course_enterprise_id_enterprise"), "enterprise", ["enterprise_id"], ["id"]
        )

    with op.batch_alter_table("lesson", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", KIND, nullable=True))
        batch_op.add_column(sa.Column("page_count", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("media_key", sa.String(length=300), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("media_bytes", sa.BigInteger(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column(
                "media_content_type", sa.String(length=100), nullable=False, server_default=""
            )
        )
        batch_op.add_column(
            sa.Column("media_filename", sa.String(length=255), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("retired", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("created_at", backend.models.types.UTCDateTime(timezone=True), nullable=True)
        )
    # A live broadcast has no file; its lessons were played as video.
    op.execute(
        "UPDATE lesson SET created_at = CURRENT_TIMESTAMP, kind = CASE resource_form "
        "WHEN 'audio' THEN 'audio' WHEN 'document' THEN 'document' ELSE 'video' END"
    )
    with op.batch_alter_table("lesson", schema=None) as batch_op:
        batch_op.alter_column("kind", nullable=False)
        batch_op.alter_column("created_at", nullable=False)
        for column in ("media_key", "media_bytes", "media_content_type", "media_filename"):
            batch_op.alter_column(column, server_default=None)
        batch_op.alter_column("retired", server_default=None)
        batch_op.drop_column("resource_form")
        batch_op.drop_column("media_url")

    with op.batch_alter_table("project", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("sequential", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("project", schema=None) as batch_op:
        batch_op.alter_column("sequential", server_default=None)


def downgrade():
    with op.batch_alter_table("project", schema=None) as batch_op:
        batch_op.drop_column("sequential")

    with op.batch_alter_table("lesson", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "resource_form",
                sa.Enum(
                    "video",
                    "document",
                    "live",
                    "audio",
                    name="resourceform",
                    native_enum=False,
                    length=24,
                ),
                nullable=True,
            )
        )
        batch_op.add_column(
            sa.Column("media_url", sa.String(length=500), nullable=False, server_default="")
        )
    op.execute("UPDATE lesson SET resource_form = kind")
    with op.batch_alter_table("lesson", schema=None) as batch_op:
        batch_op.alter_column("resource_form", nullable=False)
        batch_op.alter_column("media_url", server_default=None)
        for column in (
            "kind",
            "page_count",
            "media_key",
            "media_bytes",
            "media_content_type",
            "media_filename",
            "retired",
            "created_at",
        ):
            batch_op.drop_column(column)

    with op.batch_alter_table("course", schema=None) as batch_op:
        batch_op.add_column(sa.Column("project_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("plan_row_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("title", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("description", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("position", sa.Integer(), nullable=False, server_default="0")
        )
    # A course goes back to the first project it is attached to; one attached nowhere cannot
    # exist in the old schema and is dropped with its lessons and questions if nobody learned it.
    op.execute(
        "UPDATE course SET title = name, description = summary, "
        "project_id = (SELECT MIN(project_id) FROM project_course "
        "WHERE project_course.course_id = course.id), "
        "position = COALESCE((SELECT MIN(position) FROM project_course "
        "WHERE project_course.course_id = course.id), 0)"
    )
    op.execute(
        "DELETE FROM question WHERE course_id IN (SELECT id FROM course WHERE project_id IS NULL)"
    )
    op.execute(
        "DELETE FROM lesson WHERE course_id IN (SELECT id FROM course WHERE project_id IS NULL)"
    )
    op.execute("DELETE FROM course WHERE project_id IS NULL")
    with op.batch_alter_table("course", schema=None) as batch_op:
        batch_op.alter_column("project_id", nullable=False)
        batch_op.alter_column("title", nullable=False)
        batch_op.alter_column("description", nullable=False)
        batch_op.alter_column("position", server_default=None)
        batch_op.drop_constraint(
            batch_op.f("fk_course_enterprise_id_enterprise"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_course_enterprise_id"))
        for column in ("enterprise_id", "name", "summary", "retired", "created_at"):
            batch_op.drop_column(column)
        batch_op.create_index(batch_op.f("ix_course_project_id"), ["project_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_course_project_id_project"), "project", ["project_id"], ["id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_course_plan_row_id_course_plan_row"),
            "course_plan_row",
            ["plan_row_id"],
            ["id"],
        )

    with op.batch_alter_table("project_course", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_project_course_course_id"))
    op.drop_table("project_course")
