"""Fixed-window rate limits with counters in Redis.

Used so that the credential check cannot serve as a free oracle for stolen Loket.nl credentials,
and to cap the portal's calls to Loket.nl. One Lua script increments and sets the expiry in one
atomic step, so concurrent web processes and workers share exact counts.

Fails closed: when Redis does not answer, :func:`hit` raises :class:`RateLimited` as if the limit
were reached. Without ``REDIS_URL`` (the embedded default, one process) the counters live in this
process's memory instead.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from dataclasses import dataclass

import redis
from django.conf import settings

logger = logging.getLogger(__name__)

_INCREMENT = """
local count = redis.call('INCRBY', KEYS[1], ARGV[1])
if count == tonumber(ARGV[1]) then
  redis.call('EXPIRE', KEYS[1], ARGV[2])
end
return {count, redis.call('TTL', KEYS[1])}
"""


class RateLimited(Exception):
    """Over the limit (or the limiter could not tell). ``retry_after`` in seconds."""

    def __init__(self, retry_after: int, *, unavailable: bool = False) -> None:
        super().__init__(f"rate limited, retry after {retry_after} s")
        self.retry_after = max(1, retry_after)
        self.unavailable = unavailable


@dataclass(frozen=True, slots=True)
class Limit:
    name: str
    limit: int
    window: int  # seconds


@functools.cache
def _redis(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)


class _MemoryCounters:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, tuple[int, float]] = {}

    def incr(self, key: str, amount: int, window: int) -> tuple[int, int]:
        now = time.monotonic()
        with self._lock:
            count, expires = self._counts.get(key, (0, now + window))
            if expires <= now:
                count, expires = 0, now + window
            count += amount
            self._counts[key] = (count, expires)
            return count, int(expires - now) + 1

    def get(self, key: str) -> int:
        now = time.monotonic()
        with self._lock:
            count, expires = self._counts.get(key, (0, now))
            return count if expires > now else 0

    def delete(self, key: str) -> None:
        with self._lock:
            self._counts.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._counts.clear()


_memory = _MemoryCounters()


def _increment(key: str, amount: int, window: int) -> tuple[int, int]:
    url = settings.REDIS_URL
    if not url:
        return _memory.incr(key, amount, window)
    client = _redis(url)
    count, ttl = client.eval(_INCREMENT, 1, key, amount, window)
    return int(count), int(ttl)


def hit(limit: Limit, subject: str, *, amount: int = 1) -> None:
    """Count ``amount`` against ``limit`` for ``subject``; raise :class:`RateLimited` when over.

    ``subject`` is hashed into the key by the caller if it could be personal data.
    """
    window_start = int(time.time()) // limit.window
    key = f"rl:{limit.name}:{subject}:{window_start}"
    try:
        count, ttl = _increment(key, amount, limit.window)
    except redis.RedisError:
        logger.warning("rate limiter unavailable (%s): refusing", limit.name)
        raise RateLimited(60, unavailable=True) from None
    if count > limit.limit:
        raise RateLimited(ttl if ttl > 0 else limit.window)


def forget(limit: Limit, subject: str) -> None:
    """Start ``subject``'s count in ``limit``'s current window over (say, after a successful
    login). Best effort: when Redis does not answer, the count simply runs out with its window."""
    key = f"rl:{limit.name}:{subject}:{int(time.time()) // limit.window}"
    url = settings.REDIS_URL
    if not url:
        _memory.delete(key)
        return
    try:
        _redis(url).delete(key)
    except redis.RedisError:
        logger.warning("rate limiter unavailable (%s): count not reset", limit.name)


def reset_memory_counters() -> None:
    """For tests of the embedded mode."""
    _memory.clear()


def peek(limit: Limit, subject: str) -> int:
    """The count so far in ``limit``'s current window for ``subject``, without counting.

    For checks that must refuse *before* doing the work (the login lockout: a locked-out
    attempt must not even be tried). Builds the same key as :func:`hit`. Fails closed like
    :func:`hit`: when Redis does not answer it raises :class:`RateLimited`.
    """
    window_start = int(time.time()) // limit.window
    key = f"rl:{limit.name}:{subject}:{window_start}"
    url = settings.REDIS_URL
    if not url:
        return _memory.get(key)
    try:
        value = _redis(url).get(key)
    except redis.RedisError:
        logger.warning("rate limiter unavailable (%s): refusing", limit.name)
        raise RateLimited(60, unavailable=True) from None
    return int(value or 0)


def window_remaining(limit: Limit) -> int:
    """Seconds until ``limit``'s current fixed window ends (when its counters start over)."""
    return limit.window - int(time.time()) % limit.window
