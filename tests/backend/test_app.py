"""The app factory, configuration, health endpoint and JSON error conventions."""

import logging

import pytest

from config.settings import ConfigError, load_config


def test_health_reports_database_and_redis(client, app):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["ok"] is True
    assert body["database"] == {
        "ok": True,
        "backend": app.extensions["sqlalchemy"].engine.dialect.name,
    }
    assert body["redis"] == {"ok": True, "embedded": False}


def test_health_is_503_when_redis_is_unreachable(app_factory):
    app = app_factory(REDIS_URL="redis://127.0.0.1:1/0")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["redis"]["ok"] is False


def test_unknown_route_is_json_404(client):
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.get_json() == {"error": {"code": "not_found", "message": "请求的资源不存在"}}


def test_wrong_method_is_json_405(client):
    response = client.delete("/api/v1/openapi.json")
    assert response.status_code == 405
    assert response.get_json()["error"]["code"] == "method_not_allowed"
    assert "GET" in response.headers["Allow"]


def test_request_id_is_echoed(client):
    response = client.get("/healthz", headers={"X-Request-ID": "abcdef12-3456"})
    assert response.headers["X-Request-ID"] == "abcdef12-3456"
    assert len(client.get("/healthz").headers["X-Request-ID"]) == 32


@pytest.mark.parametrize(
    "missing",
    [
        "SECRET_KEY",
        "FIELD_ENCRYPTION_KEY",
        "DATABASE_URL",
        "REDIS_URL",
        "WECHAT_APP_ID",
        "WECHAT_APP_SECRET",
    ],
)
def test_production_refuses_to_start_without_a_secret(monkeypatch, missing):
    env = {
        "SHIGANG_ENV": "production",
        "SECRET_KEY": "s" * 40,
        "FIELD_ENCRYPTION_KEY": "ZGV2LW9ubHktZmllbGQta2V5LW5vdC1mb3ItcHJvZCE=",
        "DATABASE_URL": "postgresql://db.internal/shigang",
        "REDIS_URL": "redis://cache.internal:6379/0",
        "WECHAT_APP_ID": "wx1234567890",
        "WECHAT_APP_SECRET": "w" * 32,
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    load_config()  # complete: accepted
    monkeypatch.delenv(missing)
    with pytest.raises(ConfigError, match=missing):
        load_config()


def test_production_refuses_sqlite_and_local_wechat(monkeypatch):
    monkeypatch.setenv("SHIGANG_ENV", "production")
    base = {
        "SECRET_KEY": "s" * 40,
        "FIELD_ENCRYPTION_KEY": "ZGV2LW9ubHktZmllbGQta2V5LW5vdC1mb3ItcHJvZCE=",
        "DATABASE_URL": "sqlite:///x.db",
        "REDIS_URL": "redis://cache.internal:6379/0",
        "WECHAT_APP_ID": "wx1234567890",
        "WECHAT_APP_SECRET": "w" * 32,
    }
    with pytest.raises(ConfigError, match="SQLite"):
        load_config(base)
    base["DATABASE_URL"] = "postgresql://db.internal/shigang"
    with pytest.raises(ConfigError, match="simulator"):
        load_config({**base, "WECHAT_API_BASE_URL": "http://127.0.0.1:9999/"})


def test_environment_overrides_class_defaults(monkeypatch):
    monkeypatch.setenv("TOKEN_TTL_S", "60")
    monkeypatch.setenv("DATABASE_URL", "postgres://u@h/d")
    settings = load_config({"ENV_NAME": "test"})
    assert settings["TOKEN_TTL_S"] == 60
    assert settings["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h/d"


def test_logs_never_carry_tokens_or_id_numbers(client, caplog):
    from backend.logs import JsonFormatter

    logger = logging.getLogger("shigang.test")
    with caplog.at_level(logging.INFO):
        logger.info("bind with Authorization: Bearer abc.def-123 for 11010519491231002X")
        logger.info("session_key=tiihtNczf5v6AKRyjwEUhQ== token: zzz")
    lines = [JsonFormatter().format(r) for r in caplog.records]
    text = "\n".join(lines)
    assert "abc.def-123" not in text
    assert "11010519491231002X" not in text
    assert "tiihtNczf5v6AKRyjwEUhQ" not in text
    assert "zzz" not in text
    assert "[id-number]" in text


def test_quiet_views_log_success_at_debug_and_failures_at_info(app, client, caplog):
    from backend.logs import quiet_access_log

    @app.get("/quiet-probe")
    @quiet_access_log
    def quiet_probe():
        return "ok"

    with caplog.at_level(logging.INFO, logger="shigang.access"):
        client.get("/quiet-probe")
        client.get("/healthz")
    paths = [r.path for r in caplog.records if r.name == "shigang.access"]
    assert paths == ["/healthz"]
