"""Fixtures for the onboarding tests: clean rate-limit counters and an empty page cache for every
test."""

from __future__ import annotations

import pytest
import redis
from django.conf import settings

from onboarding import pagecache
from onboarding.ratelimit import reset_memory_counters


def flush_rate_limits() -> None:
    reset_memory_counters()
    if settings.REDIS_URL:
        client = redis.Redis.from_url(settings.REDIS_URL)
        keys = list(client.scan_iter("rl:*"))
        if keys:
            client.delete(*keys)


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    flush_rate_limits()
    yield
    flush_rate_limits()


@pytest.fixture(autouse=True)
def _empty_page_cache():
    """Cached pages would otherwise carry one test's database into the next."""
    pagecache.clear()
    yield
    pagecache.clear()
