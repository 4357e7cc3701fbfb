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
