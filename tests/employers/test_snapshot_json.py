"""Issue 13, point 8: the cached Loket.nl snapshot is JSON in Redis, never a pickle (a planted
pickle would otherwise be loaded, and run, by the portal)."""

from __future__ import annotations

import json
import pickle

import pytest
import redis
from django.conf import settings
from django.core.cache import cache

from employers.loket_snapshot import _key as snapshot_key
from employers.loket_snapshot import snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def redis_raw():
    if not settings.REDIS_URL:
        pytest.skip("the test run has no Redis (REDIS_URL)")
    return redis.Redis.from_url(settings.REDIS_URL)


def test_snapshot_is_stored_as_json_not_pickle_in_redis(processor, redis_raw):
    fetched = snapshot(processor)

    raw = redis_raw.get(cache.make_key(snapshot_key(processor)))

    assert raw is not None
    assert not raw.startswith(b"\x80")  # every pickle protocol >= 2 starts so
    data = json.loads(raw)
    assert data["access"]["username"] == fetched.access.username
    assert [row[0] for row in data["employers"]] == [e.id for e in fetched.employers]
    again = snapshot(processor)  # read back from the cache
    assert again == fetched


def test_snapshot_in_the_cache_that_is_a_pickle_is_never_loaded(processor, redis_raw, sandbox):
    class Planted:
        def __reduce__(self):
            return (exec, ("raise SystemExit('pickle loaded')",))

    key = cache.make_key(snapshot_key(processor))
    redis_raw.set(key, pickle.dumps(Planted()), ex=60)

    fetched = snapshot(processor)  # a miss: fetched from Loket.nl again, the pickle ignored

    assert fetched.access.username == processor.loket_username
    assert json.loads(redis_raw.get(key))["v"] == 1


def test_snapshot_survives_the_local_memory_cache_as_json_too(processor, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    from django.core.cache import caches

    local = caches["default"]
    fetched = snapshot(processor)

    stored = local.get(snapshot_key(processor))
    assert isinstance(stored, str)
    assert json.loads(stored)["v"] == 1
    assert snapshot(processor) == fetched
