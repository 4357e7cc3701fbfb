"""Fixtures: a fresh database and Redis namespace per test, on the real servers."""

from __future__ import annotations

import itertools
import os
import tempfile
import uuid
from datetime import UTC, datetime

import pytest
import redis
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from backend import create_app
from backend.clock import clock
from backend.extensions import db
from tests import factories

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
_counter = itertools.count()


def _database_url() -> str:
    return os.environ.get("DATABASE_URL", "")


def _require_real_services() -> bool:
    return os.environ.get("SHIGANG_REQUIRE_REAL_SERVICES") == "1"


@pytest.fixture(scope="session")
def database_url():
    """A database for this test run: a new PostgreSQL database, or a SQLite file."""
    url = _database_url()
    if url.startswith(("postgres://", "postgresql")):
        base = make_url(url.replace("postgres://", "postgresql://", 1)).set(
            drivername="postgresql+psycopg"
        )
        # Our own database, so parallel runs on one server never see each other's rows.
        name = f"shigang_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        admin = create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield base.set(database=name).render_as_string(hide_password=False)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    else:
        if _require_real_services():
            pytest.exit("SHIGANG_REQUIRE_REAL_SERVICES=1 but DATABASE_URL is not PostgreSQL", 3)
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{tmp}/test.db"


@pytest.fixture(scope="session")
def redis_url():
    """The real Redis server; the suite fails rather than skip when it is down."""
    url = os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL
    client = redis.Redis.from_url(url)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.exit(f"Redis is not reachable at {url}; start it (see README)", 3)
    finally:
        client.close()
    return url


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "both_redis: run the module's tests against one Redis and against a Redis Cluster",
    )
    config.addinivalue_line(
        "markers", "one_redis: a test of the one-server Redis client only (in a both_redis module)"
    )


def pytest_generate_tests(metafunc):
    # Modules marked both_redis run each test twice: on the one Redis and on a three-master
    # Redis Cluster started for the run (see redis_cluster_url).
    marked = metafunc.definition.get_closest_marker
    if "redis_kind" in metafunc.fixturenames and marked("both_redis") and not marked("one_redis"):
        metafunc.parametrize("redis_kind", ["redis", "cluster"], indirect=True)


@pytest.fixture
def redis_kind(request):
    """ "redis" (the one server) or "cluster" (a Redis Cluster): the live state's home."""
    return getattr(request, "param", "redis")


@pytest.fixture(scope="session")
def redis_cluster_url():
    """A real Redis Cluster of three masters on free localhost ports, for this run."""
    from bench.redis_cluster import PrivateRedisCluster

    cluster = PrivateRedisCluster()
    yield cluster.url
    cluster.stop()


@pytest.fixture(scope="session")
def schema_ready(database_url, redis_url):
    """Create the schema once per run (migrations are checked by their own test)."""
    app = create_app({"ENV_NAME": "test", "DATABASE_URL": database_url, "REDIS_URL": redis_url})
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    app.extensions["redis"].close()
    return True


@pytest.fixture(scope="session")
def wechat_simulator():
    """The local HTTP simulator of the WeChat API, on loopback."""
    from backend.wechat.simulator import SimulatorServer

    server = SimulatorServer(app_id="wxtest0000000000", secret="test-wechat-secret")
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def s3_server():
    """moto's standalone S3-compatible server, a separate process on loopback."""
    from tests.s3_server import MotoServer

    server = MotoServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def media_backend():
    """Which media storage the app under test uses (``MEDIA_STORAGE``, default filesystem);
    storage tests parametrize it to run on both backends."""
    return os.environ.get("MEDIA_STORAGE", "filesystem")


@pytest.fixture
def media_settings(request, media_backend, tmp_path):
    """Settings of the chosen media backend: a fresh directory, or a fresh bucket."""
    if media_backend == "filesystem":
        return {"MEDIA_STORAGE": "filesystem", "MEDIA_ROOT": str(tmp_path / "media")}
    server = request.getfixturevalue("s3_server")
    return {"MEDIA_STORAGE": "s3", **server.new_bucket()}


@pytest.fixture(scope="session")
def signing_pair(tmp_path_factory):
    """A self-signed certificate signing pair (as `flask generate-signing-cert` makes)."""
    from backend.services.certificates.signing import generate_pair

    folder = tmp_path_factory.mktemp("signing")
    generate_pair(folder / "key.pem", folder / "cert.pem", "Shigang test")
    return {
        "SIGNING_KEY_PATH": str(folder / "key.pem"),
        "SIGNING_CERT_PATH": str(folder / "cert.pem"),
    }


@pytest.fixture
def app_config(
    request,
    database_url,
    redis_url,
    redis_kind,
    wechat_simulator,
    schema_ready,
    media_settings,
    signing_pair,
):
    """Settings of the app under test; tests may change them before ``app`` is built."""
    cluster = redis_kind == "cluster"
    return {
        "ENV_NAME": "test",
        "DATABASE_URL": database_url,
        "REDIS_URL": request.getfixturevalue("redis_cluster_url") if cluster else redis_url,
        "REDIS_CLUSTER": cluster,
        "REDIS_PREFIX": f"t{os.getpid()}-{next(_counter)}:",
        "WECHAT_APP_ID": wechat_simulator.app_id,
        "WECHAT_APP_SECRET": wechat_simulator.secret,
        "WECHAT_API_BASE_URL": wechat_simulator.url,
        **media_settings,
        **signing_pair,
    }


@pytest.fixture
def app_factory(app_config):
    """Build extra apps (other settings); each is closed after the test."""
    built = []

    def build(**overrides):
        app = create_app({**app_config, **overrides})
        built.append(app)
        return app

    yield build
    for app in built:
        close_app(app)


def close_app(app) -> None:
    """Release an app's database connections and Redis connection."""
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    app.extensions["redis"].close()


@pytest.fixture
def app(app_config):
    """The app with an empty database and an empty Redis namespace."""
    app = create_app(app_config)
    with app.app_context():
        yield app
        db.session.remove()
        _empty_tables()
    client = app.extensions["redis"]
    keys = list(client.scan_iter(match=app_config["REDIS_PREFIX"] + "*", count=1000))
    if keys:
        client.delete(*keys)
    close_app(app)


def _empty_tables() -> None:
    tables = list(reversed(db.metadata.sorted_tables))
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())


@pytest.fixture
def client(app):
    """A test client for the app."""
    return app.test_client()


@pytest.fixture
def redis_client(app):
    """The app's Redis connection."""
    return app.extensions["redis"]


@pytest.fixture(autouse=True)
def _real_time_after_test():
    yield
    clock.unfreeze()


@pytest.fixture
def frozen_clock():
    """The server clock, frozen at a fixed moment inside the demo project's dates."""
    clock.freeze(datetime(2026, 3, 2, 1, 0, 0, tzinfo=UTC))
    return clock


@pytest.fixture
def drain(app):
    """Run the credit drain in-process until the stream is empty; returns the seconds written."""
    from tests.learning_driver import drain

    return drain


@pytest.fixture
def make(app):
    """Factories for test data (see tests/factories.py)."""
    return factories.Factories(db.session)


@pytest.fixture
def admin_login(client):
    """Sign ``admin`` in on the test client; returns the CSRF token for later requests."""
    import re

    def login(admin, password: str = factories.ADMIN_PASSWORD) -> str:
        page = client.get("/admin/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        response = client.post(
            "/admin/login",
            data={"username": admin.username, "password": password, "csrf_token": token},
        )
        assert response.status_code == 302, response.get_data(as_text=True)
        return client.get("/api/admin/me").get_json()["csrf_token"]

    return login
