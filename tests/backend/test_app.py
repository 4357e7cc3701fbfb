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
    # Like every 503: when to look again (issue 25).
    assert response.headers["Retry-After"].isdigit()


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
    for url in (
        "http://127.0.0.1:9999/",
        "http://127.0.0.2:9999/",
        "http://localhost/",
        "http://[::1]:80/",
        "http://10.1.2.3/",
        "http://192.168.0.9/",
        "http://169.254.169.254/",
        "http://0.0.0.0/",
    ):
        with pytest.raises(ConfigError, match="simulator"):
            load_config({**base, "WECHAT_API_BASE_URL": url})
    # A public host whose name merely contains "localhost" or "127.0.0.1" is not local.
    load_config({**base, "WECHAT_API_BASE_URL": "https://api.weixin.qq.com/"})
    load_config({**base, "WECHAT_API_BASE_URL": "https://localhost.example.com/"})


def test_production_refuses_a_wechat_host_name_that_resolves_to_a_local_address(monkeypatch):
    import socket

    monkeypatch.setenv("SHIGANG_ENV", "production")
    base = {
        "SECRET_KEY": "s" * 40,
        "FIELD_ENCRYPTION_KEY": "ZGV2LW9ubHktZmllbGQta2V5LW5vdC1mb3ItcHJvZCE=",
        "DATABASE_URL": "postgresql://db.internal/shigang",
        "REDIS_URL": "redis://cache.internal:6379/0",
        "WECHAT_APP_ID": "wx1234567890",
        "WECHAT_APP_SECRET": "w" * 32,
    }
    # This host's own name (an /etc/hosts entry: loopback, or the container's private address),
    # and the loopback names every resolver knows.
    host = socket.gethostname()
    assert socket.getaddrinfo(host, None)  # precondition: the name resolves here
    for name in (host, host.upper() + ".", "ip6-localhost", "localhost.localdomain"):
        try:
            socket.getaddrinfo(name, None)
        except OSError:
            continue  # not a name on this machine
        with pytest.raises(ConfigError, match="simulator"):
            load_config({**base, "WECHAT_API_BASE_URL": f"https://{name}:9999/"})


def test_seed_demo_refuses_in_production(app):
    app.config["ENV_NAME"] = "production"
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code != 0
    assert "生产环境" in result.output


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
        logger.info("session_key=tiihtNczf5v6AKRyjwEUhQ== token: zz9")
        logger.info('reply {"access_token": "ab", "password" : "hunter2"} secret 0123abcdEF')
        logger.info("unclosed token: line 1")
    lines = [JsonFormatter().format(r) for r in caplog.records]
    text = "\n".join(lines)
    assert "abc.def-123" not in text
    assert "11010519491231002X" not in text
    assert "tiihtNczf5v6AKRyjwEUhQ" not in text
    assert "zz9" not in text
    assert '"ab"' not in text and "hunter2" not in text and "0123abcdEF" not in text
    assert "[id-number]" in text
    assert "unclosed token: line 1" in text


def test_the_access_log_redacts_the_path(app, client, caplog):
    from backend.logs import JsonFormatter

    with caplog.at_level(logging.INFO, logger="shigang.access"):
        client.get("/api/v1/trainees/11010519491231002X")
    out = "\n".join(JsonFormatter().format(r) for r in caplog.records)
    assert "11010519491231002X" not in out
    assert "/api/v1/trainees/[id-number]" in out


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


def test_the_json_log_has_no_terminal_colour_codes(app, caplog):
    import json

    from werkzeug.serving import _log

    from backend.logs import JsonFormatter

    # The development server's own warning, coloured for a terminal (issue 25).
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        _log("warning", "\x1b[31m\x1b[1mWARNING: This is a development server.\x1b[0m")
    lines = [JsonFormatter().format(r) for r in caplog.records]
    assert lines and all("\x1b" not in line and "\\u001b" not in line for line in lines)
    assert json.loads(lines[0])["msg"] == "WARNING: This is a development server."


def test_a_failure_inside_the_error_handling_is_in_the_access_log(app_factory, caplog):
    import pytest

    app = app_factory()

    @app.get("/boom-probe")
    def boom_probe():
        raise LookupError("boom")

    def crash(_exc):  # an error handler that fails in turn, as the outage page did
        raise RuntimeError("the error page failed")

    app.register_error_handler(Exception, crash)

    with caplog.at_level(logging.INFO, logger="shigang.access"), pytest.raises(RuntimeError):
        app.test_client().get("/boom-probe")
    access = [r for r in caplog.records if r.name == "shigang.access"]
    assert [(r.path, r.status) for r in access] == [("/boom-probe", 500)]
