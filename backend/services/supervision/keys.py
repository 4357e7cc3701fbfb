"""Bureau API keys: shown once, stored as a hash, scoped to cities, rate-limited in Redis."""

from __future__ import annotations

import hashlib
import secrets

from flask import current_app
from sqlalchemy import select

from backend import audit
from backend.clock import now
from backend.extensions import db, redis_store
from backend.kernel.errors import DomainError, register
from backend.models import AdminUser, BureauApiKey
from backend.services.projects.regions import CITIES

PREFIX = "sgk_"
register("invalid_api_key", 401, "API 密钥无效或已停用")
register("api_key_cities_required", 422, "请至少选择一个地市")
register("api_rate_limited", 429, "请求过于频繁，请稍后再试")


def _hash(key: str) -> str:
    # The key is 32 random bytes: a plain SHA-256 cannot be reversed or guessed.
    return hashlib.sha256(key.encode()).hexdigest()


def issue_key(
    bureau: str, cities: list[str], full_numbers: bool, actor: AdminUser, *, client_address: str
) -> tuple[BureauApiKey, str]:
    """A new key for a bureau; the plain key is returned here once and never stored."""
    cities = sorted(set(cities))
    if not cities:
        raise DomainError("api_key_cities_required")
    if any(city not in CITIES for city in cities):
        raise DomainError("unknown_city")
    plain = PREFIX + secrets.token_urlsafe(32)
    key = BureauApiKey(
        bureau=bureau.strip(),
        key_prefix=plain[:10],
        key_hash=_hash(plain),
        cities=cities,
        full_numbers=full_numbers,
        created_by_id=actor.id,
    )
    db.session.add(key)
    db.session.flush()
    audit.record(
        "bureau_key.issue",
        audit.admin(actor, client_address),
        object_type="bureau_api_key",
        object_id=key.id,
        bureau=key.bureau,
        cities=cities,
        full_numbers=full_numbers,
    )
    return key, plain


def revoke_key(key: BureauApiKey, actor: AdminUser, *, client_address: str) -> None:
    """Stop a key from working (idempotent)."""
    if key.revoked_at is None:
        key.revoked_at = now()
        audit.record(
            "bureau_key.revoke",
            audit.admin(actor, client_address),
            object_type="bureau_api_key",
            object_id=key.id,
        )


def list_keys() -> list[BureauApiKey]:
    """Every key, newest first (hashes never leave the server)."""
    return list(db.session.scalars(select(BureauApiKey).order_by(BureauApiKey.id.desc())))


def key_for(plain: str | None) -> BureauApiKey:
    """The live key ``plain`` names, else 401; counts the request against its rate limit."""
    key = None
    if plain and plain.startswith(PREFIX):
        key = db.session.scalar(select(BureauApiKey).where(BureauApiKey.key_hash == _hash(plain)))
    if key is None or key.revoked_at is not None:
        raise DomainError("invalid_api_key", headers={"WWW-Authenticate": "Bearer"})
    _count(key)
    return key


def _count(key: BureauApiKey) -> None:
    """A fixed window per key, shared by every worker through Redis."""
    limit = current_app.config["SUPERVISION_RATE_LIMIT"]
    window = current_app.config["SUPERVISION_RATE_WINDOW_S"]
    name = redis_store.key("supervision-rate", key.id)
    pipe = redis_store.client.pipeline()
    pipe.set(name, 0, ex=window, nx=True)
    pipe.incr(name)
    pipe.ttl(name)
    _, count, ttl = pipe.execute()
    if count > limit:
        retry = ttl if ttl > 0 else window
        raise DomainError("api_rate_limited", headers={"Retry-After": str(retry)})
