"""Migrations upgrade an empty database to head and match the models exactly."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from backend import create_app
from backend.extensions import db


@pytest.fixture
def empty_database_url(database_url, tmp_path):
    """An empty database of the same kind as the test database."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path}/migrate.db"
        return
    name = f"{url.database}_mig"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path):
    return f"sqlite:///{tmp_path}/migrate-sqlite.db"


@pytest.mark.parametrize("target", ["empty_database_url", "sqlite_url"])
def test_upgrade_to_head_matches_models(request, target, redis_url):
    url = request.getfixturevalue(target)
    app = create_app({"ENV_NAME": "test", "DATABASE_URL": url, "REDIS_URL": redis_url})
    try:
        with app.app_context():
            upgrade()
            with db.engine.connect() as conn:
                diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
            assert diff == [], f"models and migrations differ: {diff}"
            assert "trainee" in inspect(db.engine).get_table_names()
            downgrade(revision="base")
            assert "trainee" not in inspect(db.engine).get_table_names()
            db.engine.dispose()
    finally:
        app.extensions["redis"].close()


def test_course_library_revision_moves_existing_courses_to_their_enterprise(
    empty_database_url, redis_url
):
    app = create_app(
        {"ENV_NAME": "test", "DATABASE_URL": empty_database_url, "REDIS_URL": redis_url}
    )
    try:
        with app.app_context():
            upgrade(revision="be214a914246")
            with db.engine.begin() as conn:
                conn.execute(
                    text(
                        "INSERT INTO enterprise (id, name, credit_code, registered_address, "
                        "legal_representative, contact_phone, received_affected_subsidy, "
                        "created_at) "
                        "VALUES (7, '企业', '914403001922038216', '', '', '', false, "
                        "CURRENT_TIMESTAMP)"
                    )
                )
                conn.execute(
                    text(
                        "INSERT INTO project (id, enterprise_id, name, post_trade, training_type, "
                        "planned_headcount, method, start_date, end_date, planned_class_hours, "
                        "person_in_charge, person_mobile, goal, status, "
                        "attention_checks_enabled, assessment_required, created_at) VALUES "
                        "(3, 7, '项目', '', 'on_job', 1, '线上', '2026-03-01', '2026-06-30', 8, "
                        "'', '', '', 'approved', true, false, CURRENT_TIMESTAMP)"
                    )
                )
                conn.execute(
                    text(
                        "INSERT INTO course (id, project_id, title, description, position) "
                        "VALUES (11, 3, '安全生产', '规程', 2)"
                    )
                )
                conn.execute(
                    text(
                        "INSERT INTO lesson (id, course_id, title, position, duration_s, "
                        "resource_form, media_url) VALUES (21, 11, '第一课', 0, 2700, 'live', '')"
                    )
                )
            upgrade()
            with db.engine.connect() as conn:
                course = conn.execute(
                    text("SELECT enterprise_id, name, summary, retired FROM course")
                ).one()
                link = conn.execute(
                    text("SELECT project_id, course_id, position FROM project_course")
                ).one()
                lesson = conn.execute(text("SELECT kind, duration_s, retired FROM lesson")).one()
            assert tuple(course) == (7, "安全生产", "规程", False)
            assert tuple(link) == (3, 11, 2)
            assert tuple(lesson) == ("video", 2700, False)
            downgrade(revision="base")
            db.engine.dispose()
    finally:
        app.extensions["redis"].close()


def test_the_person_in_charge_mobile_is_encrypted_by_the_migration(empty_database_url, redis_url):
    """Issue 25: project.person_mobile was the one plaintext mobile in a dump (and in the
    filing snapshots); the migration encrypts both, and its downgrade gives them back."""
    app = create_app(
        {"ENV_NAME": "test", "DATABASE_URL": empty_database_url, "REDIS_URL": redis_url}
    )
    cipher = app.extensions["field_cipher"]
    try:
        with app.app_context():
            upgrade(revision="d2f4a6b8c0e1")
            with db.engine.begin() as conn:
                conn.execute(
                    text(
                        "INSERT INTO enterprise (id, name, credit_code, registered_address, "
                        "legal_representative, contact_phone, received_affected_subsidy, "
                        "created_at) VALUES (7, '企业', '914403001922038216', '', '', '', false, "
                        "CURRENT_TIMESTAMP)"
                    )
                )
                for project_id, mobile, snapshot in (
                    (
                        3,
                        "13900139000",
                        '{"project": {"name": "项目", "person_mobile": "13900139000"}}',
                    ),
                    (4, "", None),
                ):
                    conn.execute(
                        text(
                            "INSERT INTO project (id, enterprise_id, name, post_trade, "
                            "training_type, planned_headcount, method, start_date, end_date, "
                            "planned_class_hours, person_in_charge, person_mobile, goal, status, "
                            "attention_checks_enabled, assessment_required, sequential, "
                            "created_at, policy_id, filing_snapshot) VALUES (:id, 7, '项目', '', "
                            "'on_job', 1, '线上', '2026-03-01', '2026-06-30', 8, '', :mobile, '', "
                            "'filed', true, false, false, CURRENT_TIMESTAMP, 'guangdong_2020', "
                            "CAST(:snapshot AS json))"
                        ),
                        {"id": project_id, "mobile": mobile, "snapshot": snapshot},
                    )
            upgrade()
            with db.engine.connect() as conn:
                rows = conn.execute(
                    text(
                        "SELECT id, person_mobile_enc, person_mobile_hash, "
                        "CAST(filing_snapshot AS text) FROM project ORDER BY id"
                    )
                ).all()
                columns = [c["name"] for c in inspect(conn).get_columns("project")]
            assert "person_mobile" not in columns
            (_, enc, digest, snapshot), (_, empty, no_digest, _) = rows
            assert cipher.decrypt(enc) == "13900139000"
            assert digest == cipher.blind_index("13900139000")
            assert (empty, no_digest) == ("", "")
            assert "13900139000" not in snapshot and "person_mobile_enc" in snapshot
            downgrade(revision="d2f4a6b8c0e1")
            with db.engine.connect() as conn:
                back = conn.execute(
                    text(
                        "SELECT person_mobile, CAST(filing_snapshot AS text) FROM project "
                        "WHERE id = 3"
                    )
                ).one()
            assert back[0] == "13900139000" and "13900139000" in back[1]
            downgrade(revision="base")
            db.engine.dispose()
    finally:
        app.extensions["redis"].close()
