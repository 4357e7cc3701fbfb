"""Fixed-window attempt counters in Redis, shared by every worker."""

from __future__ import annotations

import hashlib

from backend.extensions import redis_store
from backend.kernel.errors import DomainError


def _key(scope: str, subject: str) -> str:
    # Hashed: subjects are openids and accounts, which need not sit in Redis in clear.
    return redis_store.key("rate", scope, hashlib.sha256(subject.encode()).hexdigest()[:32])


def hit(subjects: list[tuple[str, str]], *, limit: int, window_s: int) -> None:
    """Count one attempt against each (scope, subject); 429 with Retry-After past ``limit``."""
    pipe = redis_store.client.pipeline()
    for scope, subject in subjects:
        key = _key(scope, subject)
        # The window starts at the first attempt and is not extended by later ones.
        pipe.set(key, 0, ex=window_s, nx=True)
        pipe.incr(key)
        pipe.ttl(key)
    results = pipe.execute()
    retry_after = 0
    for i in range(len(subjects)):
        count, ttl = results[3 * i + 1], results[3 * i + 2]
        if count > limit:
            retry_after = max(retry_after, ttl if ttl > 0 else window_s)
    if retry_after:
        minutes = max(1, -(-retry_after // 60))
        raise DomainError(
            "too_many_attempts",
            f"尝试次数过多，请 {minutes} 分钟后再试",
            headers={"Retry-After": str(retry_after)},
        )
