"""Fixed-window attempt counters."""

import pytest

from backend.kernel.errors import DomainError
from backend.services import rate_limit


def test_limit_then_429_with_retry_after(app):
    for _ in range(3):
        rate_limit.hit([("demo", "a")], limit=3, window_s=600)
    with pytest.raises(DomainError) as info:
        rate_limit.hit([("demo", "a")], limit=3, window_s=600)
    assert info.value.status == 429
    assert 590 <= int(info.value.headers["Retry-After"]) <= 600
    assert "10 分钟" in info.value.message


def test_subjects_are_counted_separately_and_together(app):
    for n in range(3):
        rate_limit.hit([("acct", "same"), ("openid", f"o{n}")], limit=3, window_s=60)
    # A new openid is fresh, but the shared account is spent.
    with pytest.raises(DomainError):
        rate_limit.hit([("acct", "same"), ("openid", "o-new")], limit=3, window_s=60)
    rate_limit.hit([("acct", "other"), ("openid", "o-newer")], limit=3, window_s=60)


def test_keys_live_under_the_app_prefix_and_expire(app, redis_client):
    rate_limit.hit([("demo", "13800138000")], limit=3, window_s=60)
    [key] = list(redis_client.scan_iter(match=app.config["REDIS_PREFIX"] + "rate:*"))
    assert "13800138000" not in key
    assert 0 < redis_client.ttl(key) <= 60
