"""Configuration classes; environment variables override the class defaults."""

from __future__ import annotations

import ipaddress
import os
import socket
from datetime import timedelta
from pathlib import Path
from typing import ClassVar
from urllib.parse import urlsplit

BASE_DIR = Path(__file__).resolve().parent.parent


def _flag(raw: str) -> bool:
    return raw.strip().lower() in ("1", "true", "yes")


# Settings that a deployment may set through the environment, with their parsers.
_ENV_OVERRIDES: dict[str, object] = {
    "DATABASE_URL": str,
    "REDIS_URL": str,
    "REDIS_PREFIX": str,
    "REDIS_CLUSTER": _flag,
    "REDIS_PARTITIONS": int,
    "BEAT_REDIS_FROM_LOOP": _flag,
    "SECRET_KEY": str,
    "FIELD_ENCRYPTION_KEY": str,
    "WECHAT_APP_ID": str,
    "WECHAT_APP_SECRET": str,
    "WECHAT_API_BASE_URL": str,
    "WECHAT_SUPPORT_REPLY_TEMPLATE": str,
    "SUBSIDY_POLICY": str,
    "TOKEN_TTL_S": int,
    "BIND_TICKET_TTL_S": int,
    "BIND_RATE_LIMIT": int,
    "BIND_RATE_WINDOW_S": int,
    "WEB_LOGIN_TICKET_TTL_S": int,
    "WEB_LOGIN_RATE_LIMIT": int,
    "WEB_LOGIN_RATE_WINDOW_S": int,
    "SUPERVISION_RATE_LIMIT": int,
    "SUPERVISION_RATE_WINDOW_S": int,
    "ACTIVATION_CODE_TTL_S": int,
    "LOG_LEVEL": str,
    "REQUEST_READ_TIMEOUT_S": float,
    "TRUSTED_PROXY_HOPS": int,
    "MEDIA_STORAGE": str,
    "MEDIA_ROOT": str,
    "MEDIA_MAX_BYTES": int,
    "MEDIA_URL_TTL_S": int,
    "S3_ENDPOINT_URL": str,
    "S3_BUCKET": str,
    "S3_REGION": str,
    "S3_ACCESS_KEY_ID": str,
    "S3_SECRET_ACCESS_KEY": str,
    "SIGNING_KEY_PATH": str,
    "SIGNING_CERT_PATH": str,
    "PUBLIC_BASE_URL": str,
    "CERTIFICATE_SERIAL_PREFIX": str,
    "VERIFY_RATE_LIMIT": int,
    "VERIFY_RATE_WINDOW_S": int,
}


class BaseConfig:
    """Defaults shared by every environment."""

    ENV_NAME = "base"
    DATABASE_URL: str | None = None
    REDIS_URL: str | None = None
    REDIS_PREFIX = "shigang:"
    # REDIS_URL is the seed node of a Redis Cluster (redis-py's RedisCluster).
    REDIS_CLUSTER = False
    # The live learning state is kept in this many partitions, by trainee id: the keys one beat
    # touches share the partition's hash tag ("{p17}"), each partition has its own credit
    # stream, and the drainers read every one. Fixed for a deployment (tokens name theirs).
    REDIS_PARTITIONS = 16
    # Seconds to wait for Redis to connect or answer before the request answers 503.
    REDIS_SOCKET_TIMEOUT_S = 2.0
    # A live beat served on granian's event loop sends its Redis call from the loop and awaits
    # it (backend/loop_redis.py); off: the app's client, blocking the loop (for comparison in
    # bench/heartbeat.py: granian+BEAT_REDIS_FROM_LOOP=0).
    BEAT_REDIS_FROM_LOOP = True
    # Only a newcomer's first run may fall back to an in-process Redis stand-in.
    ALLOW_EMBEDDED_REDIS = False
    SECRET_KEY: str | None = None
    FIELD_ENCRYPTION_KEY: str | None = None
    WECHAT_APP_ID: str | None = None
    WECHAT_APP_SECRET: str | None = None
    WECHAT_API_BASE_URL = "https://api.weixin.qq.com/"
    WECHAT_TIMEOUT_S = 5.0
    # The subscribe-message template (mini-program console, 订阅消息) telling a trainee that
    # support answered; its keywords: thing1 subject, thing2 reply, time3 reply time. Empty:
    # no notice is sent (the reply is still there in the mini-program).
    WECHAT_SUPPORT_REPLY_TEMPLATE = ""
    SUBSIDY_POLICY = "guangdong_2020"
    # Where the policy files are (None: config/policies).
    SUBSIDY_POLICY_DIR: str | None = None
    MAX_CONTENT_LENGTH = 1024 * 1024
    # Seconds the server waits for each read of a request's body (granian: backend/rsgi_bridge.py,
    # the development server: backend/read_timeout.py) and for its headers (config/granian.py,
    # backend/devserver.py) before giving up: 408.
    REQUEST_READ_TIMEOUT_S = 15.0
    # Reverse proxies in front of the app whose X-Forwarded-For/-Proto we believe. 0 trusts none:
    # a client could otherwise forge its address, which the audit log and sign-in lockout use.
    TRUSTED_PROXY_HOPS = 0
    # Roster uploads: at most this many bytes and rows; a clean preview waits this long in Redis.
    ROSTER_IMPORT_MAX_BYTES = 1024 * 1024
    ROSTER_IMPORT_MAX_ROWS = 10_000
    ROSTER_IMPORT_TTL_S = 1800
    # Lesson media: "filesystem" (under MEDIA_ROOT, default instance/media) or "s3" (any
    # S3-compatible object storage: Tencent COS, Aliyun OSS, MinIO).
    MEDIA_STORAGE = "filesystem"
    MEDIA_ROOT: str | None = None
    MEDIA_MAX_BYTES = 2 * 1024**3
    # How long a trainee's signed media URL works.
    MEDIA_URL_TTL_S = 7200
    S3_ENDPOINT_URL: str | None = None
    S3_BUCKET: str | None = None
    S3_REGION = "us-east-1"
    S3_ACCESS_KEY_ID: str | None = None
    S3_SECRET_ACCESS_KEY: str | None = None
    # Training certificates: the platform's signing key and certificate (PEM; `flask
    # generate-signing-cert` makes a self-signed pair for development), the address the QR code
    # and verify_url point at, the serial's prefix (GD2026-…), and the public verification
    # page's limit per client address.
    SIGNING_KEY_PATH: str | None = None
    SIGNING_CERT_PATH: str | None = None
    PUBLIC_BASE_URL: str | None = None
    CERTIFICATE_SERIAL_PREFIX = "GD"
    VERIFY_RATE_LIMIT = 30
    VERIFY_RATE_WINDOW_S = 60
    JSON_AS_ASCII = False
    TOKEN_TTL_S = 7 * 24 * 3600
    BIND_TICKET_TTL_S = 300
    BIND_RATE_LIMIT = 5
    BIND_RATE_WINDOW_S = 900
    # Scan sign-in on a computer (扫码登录): a ticket's life, and new tickets per client address.
    WEB_LOGIN_TICKET_TTL_S = 120
    WEB_LOGIN_RATE_LIMIT = 30
    WEB_LOGIN_RATE_WINDOW_S = 600
    # Supervision API: requests per bureau key per window.
    SUPERVISION_RATE_LIMIT = 120
    SUPERVISION_RATE_WINDOW_S = 60
    # How long an activation code an admin hands to a trainee stays usable.
    ACTIVATION_CODE_TTL_S = 7 * 24 * 3600
    # Admin sign-in: failures lock one (username, client IP) pair; failures from every address
    # together lock the username at a much higher count (a guess spread over many addresses).
    LOGIN_LOCKOUT_ATTEMPTS = 5
    LOGIN_LOCKOUT_USER_ATTEMPTS = 50
    LOGIN_LOCKOUT_S = 900
    LOG_LEVEL = "INFO"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # Admin sessions are signed cookies: a short life bounds what a copied cookie is worth.
    PERMANENT_SESSION_LIFETIME = timedelta(hours=8)
    SESSION_COOKIE_SECURE = False
    WTF_CSRF_TIME_LIMIT = None
    SQLALCHEMY_ENGINE_OPTIONS: ClassVar[dict] = {"pool_pre_ping": True}


class DevelopmentConfig(BaseConfig):
    """A newcomer's first run: SQLite, embedded Redis, demo secrets."""

    ENV_NAME = "development"
    DATABASE_URL = f"sqlite:///{BASE_DIR / 'instance' / 'shigang.db'}"
    ALLOW_EMBEDDED_REDIS = True
    SECRET_KEY = "dev-only-not-secret"  # noqa: S105 - development only; production refuses fallbacks
    # 32 zero-ish bytes, urlsafe base64; development only.
    FIELD_ENCRYPTION_KEY = "ZGV2LW9ubHktZmllbGQta2V5LW5vdC1mb3ItcHJvZCE="
    WECHAT_APP_ID = "wxdemo00000000000"
    WECHAT_APP_SECRET = "dev-wechat-secret"  # noqa: S105
    WECHAT_SUPPORT_REPLY_TEMPLATE = "demo-support-reply"
    # The demo makes this self-signed pair when it is missing (seed-demo).
    SIGNING_KEY_PATH = str(BASE_DIR / "instance" / "signing" / "key.pem")
    SIGNING_CERT_PATH = str(BASE_DIR / "instance" / "signing" / "cert.pem")
    PUBLIC_BASE_URL = "http://127.0.0.1:5000"


class TestConfig(DevelopmentConfig):
    """The test suite: real PostgreSQL and Redis when their URLs are set."""

    ENV_NAME = "test"
    TESTING = True
    ALLOW_EMBEDDED_REDIS = False
    WTF_CSRF_ENABLED = True
    BIND_RATE_LIMIT = 5
    # Tests configure their own pair (tests/conftest.py); none means signing_unavailable.
    SIGNING_KEY_PATH = None
    SIGNING_CERT_PATH = None
    PUBLIC_BASE_URL = "http://shigang.test"


class ProductionConfig(BaseConfig):
    """Production: every secret from the environment, no stand-ins."""

    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True
    REQUIRED = (
        "DATABASE_URL",
        "REDIS_URL",
        "SECRET_KEY",
        "FIELD_ENCRYPTION_KEY",
        "WECHAT_APP_ID",
        "WECHAT_APP_SECRET",
    )


CONFIGS = {
    "development": DevelopmentConfig,
    "test": TestConfig,
    "production": ProductionConfig,
}


class ConfigError(RuntimeError):
    """Raised when the configuration is unsafe or incomplete."""


def load_config(overrides: dict | None = None) -> dict:
    """Build the settings: class defaults, then environment variables, then explicit overrides."""
    env_name = (overrides or {}).get("ENV_NAME") or os.environ.get("SHIGANG_ENV", "development")
    if env_name not in CONFIGS:
        raise ConfigError(f"unknown SHIGANG_ENV {env_name!r}; use one of {sorted(CONFIGS)}")
    cls = CONFIGS[env_name]
    settings = {key: getattr(cls, key) for key in dir(cls) if key.isupper()}
    for key, parse in _ENV_OVERRIDES.items():
        raw = os.environ.get(key)
        if raw:
            settings[key] = parse(raw)
    settings.update(overrides or {})
    settings["SQLALCHEMY_DATABASE_URI"] = _sqlalchemy_url(settings["DATABASE_URL"])
    if env_name == "production":
        _check_production(settings)
    return settings


def _sqlalchemy_url(url: str | None) -> str | None:
    """Point plain postgres URLs at psycopg 3, the driver we ship."""
    if not url:
        return url
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _check_production(settings: dict) -> None:
    """Refuse to start production with a missing secret or an embedded stand-in."""
    missing = [key for key in ProductionConfig.REQUIRED if not settings.get(key)]
    if missing:
        raise ConfigError("production refuses to start; missing: " + ", ".join(missing))
    if settings["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        raise ConfigError("production refuses to start on SQLite; set DATABASE_URL to PostgreSQL")
    if settings.get("ALLOW_EMBEDDED_REDIS"):
        raise ConfigError("production refuses the embedded Redis stand-in")
    if _is_local_url(settings["WECHAT_API_BASE_URL"]):
        raise ConfigError("production refuses a local WeChat simulator as WECHAT_API_BASE_URL")


def _is_local_url(url: str) -> bool:
    """Whether the URL's host is, or resolves to, a loopback, private, link-local or unspecified
    address (or there is no host)."""
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    if not host or host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return _is_local_address(ipaddress.ip_address(host))
    except ValueError:
        pass
    # A name: what it resolves to here (an /etc/hosts entry may point it at loopback). A name
    # that does not resolve is no local address; the gateway resolves it again for each call.
    try:
        found = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return False
    return any(_is_local_address(ipaddress.ip_address(info[4][0].split("%")[0])) for info in found)


def _is_local_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_unspecified
        or address.is_reserved
    )
