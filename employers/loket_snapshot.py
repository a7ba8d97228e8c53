"""What a processor's web-service user sees in Loket.nl: a snapshot, fetched live, cached briefly.

The Werkgevers page, registration and the linking worker all need the same answer (the access
info and the visible employers). With 10,000 employers one fetch costs about half a second, so a
:class:`LoketSnapshot` is cached per processor and credentials for ``LOKET_VIEW_TTL`` seconds in
the shared cache (Redis in production); a refresh bypasses the cache.

The Werkgevers page also shows *when* the data was fetched, and must not wait for Loket.nl's
full timeout on every view while Loket.nl is down: :func:`snapshot_for_page` keeps those two
facts next to the cached snapshot (same key prefix, same lifetime) and never raises.

The snapshot is cached as JSON (:func:`_encode`/:func:`_decode`), never as a pickle: Django's
cache pickles whatever it stores and unpickles whatever it reads, so anyone who can write to
Redis could have the portal run code by planting a pickle there. With Django's Redis cache the
JSON bytes are written and read through that cache's own redis-py client, under the key the cache
would use (``cache.make_key``), so ``cache.delete``/``cache.clear`` still reach it; with the
per-process local-memory cache (no ``REDIS_URL``) the JSON text goes through Django's cache.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from locket_client.client import get_client
from locket_client.errors import LoketError
from locket_client.problems import ProblemCode, authorisation_detail
from locket_client.types import AccessInfo, Credentials, Employer
from onboarding.crypto import decrypt_secret
from onboarding.models import PayrollProcessor

logger = logging.getLogger(__name__)

DOWN_TTL = 30
"""Seconds the page stops asking Loket.nl after an outage or timeout (a refresh still asks):
otherwise every page view would wait for the full ``LOKET_TIMEOUT`` again."""


@dataclass(frozen=True, slots=True)
class LoketSnapshot:
    """The access info and the employers a web-service user saw at one moment."""

    access: AccessInfo
    employers: tuple[Employer, ...]

    @property
    def employer_ids(self) -> frozenset[str]:
        return frozenset(e.id for e in self.employers)

    def by_id(self) -> dict[str, Employer]:
        return {e.id: e for e in self.employers}


Problem = tuple[ProblemCode, str]
"""A problem code and its detail."""


def snapshot_problem(current: LoketSnapshot) -> Problem | None:
    """What keeps every link of this web-service user from working, if anything."""
    access = current.access
    if not access.has_required_party:
        return ProblemCode.VERKEERDE_WEBSERVICEPARTIJ, access.party or "(geen)"
    if access.missing_functions or access.missing_entities:
        detail = authorisation_detail(access.missing_functions, access.missing_entities)
        return ProblemCode.AUTORISATIE_ONTBREEKT, detail
    return None


def _key(processor: PayrollProcessor) -> str:
    """Per processor and credentials: changed credentials never see the old snapshot. The
    fingerprint is a truncated hash of the ciphertext, never the password."""
    fingerprint = hashlib.sha256(
        f"{processor.omgevingscode}\x1f{processor.loket_username}\x1f"
        f"{processor.loket_password_encrypted}".encode()
    ).hexdigest()[:24]
    return f"loket-view:{processor.pk}:{fingerprint}"


SNAPSHOT_FORMAT = 1
"""Version of the cached JSON; another version reads as a miss (the snapshot is fetched again)."""


def _encode(current: LoketSnapshot) -> bytes:
    access = current.access
    return json.dumps(
        {
            "v": SNAPSHOT_FORMAT,
            "access": {
                "username": access.username,
                "party": access.party,
                "functions": sorted(access.functions),
                "entities": sorted(access.entities),
            },
            # One array per employer: 10,000 of them stay compact and quick to read.
            "employers": [
                [e.id, e.number, e.name, e.kvk_number, list(e.payroll_tax_numbers), e.active]
                for e in current.employers
            ],
        },
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode("utf-8")


def _decode(raw: bytes | str) -> LoketSnapshot | None:
    """The snapshot in ``raw``, or ``None`` (a miss) for anything that is not one."""
    try:
        data: Any = json.loads(raw)
        if data.get("v") != SNAPSHOT_FORMAT:
            return None
        access = data["access"]
        return LoketSnapshot(
            access=AccessInfo(
                username=str(access["username"]),
                party=str(access["party"]),
                functions=frozenset(map(str, access["functions"])),
                entities=frozenset(map(str, access["entities"])),
            ),
            employers=tuple(
                Employer(str(i), int(n), str(name), kvk, tuple(taxes), bool(active))
                for i, n, name, kvk, taxes, active in data["employers"]
            ),
        )
    except (ValueError, TypeError, KeyError, AttributeError):
        logger.warning("cached Loket.nl snapshot unreadable; fetching it again")
        return None


def _redis(key: str, *, write: bool) -> Any:
    """The redis-py client Django's Redis cache uses for ``key`` (same servers and pool), or
    ``None`` when the cache is not Redis."""
    backend = caches["default"]  # ``cache`` is only a proxy to it
    if isinstance(backend, RedisCache):
        return backend._cache.get_client(key, write=write)  # the cache's own redis-py client
    return None


def _cache_get(key: str) -> LoketSnapshot | None:
    full_key = cache.make_key(key)
    client = _redis(full_key, write=False)
    raw = client.get(full_key) if client is not None else cache.get(key)
    return None if raw is None else _decode(raw)


def snapshot_cache_put(processor: PayrollProcessor, current: LoketSnapshot) -> None:
    """Cache ``current`` as the processor's snapshot for ``LOKET_VIEW_TTL`` seconds (as JSON)."""
    key = _key(processor)
    data = _encode(current)
    full_key = cache.make_key(key)
    client = _redis(full_key, write=True)
    if client is not None:
        client.set(full_key, data, ex=settings.LOKET_VIEW_TTL)
    else:
        cache.set(key, data.decode("utf-8"), settings.LOKET_VIEW_TTL)


@sensitive_variables("credentials")
def snapshot(processor: PayrollProcessor, *, refresh: bool = False) -> LoketSnapshot:
    """The processor's snapshot, cached unless ``refresh``. Raises the client's ``LoketError``s."""
    key = _key(processor)
    if not refresh:
        cached = _cache_get(key)
        if cached is not None:
            return cached
    credentials = Credentials(
        omgevingscode=processor.omgevingscode,
        gebruikersnaam=processor.loket_username,
        wachtwoord=decrypt_secret(processor.loket_password_encrypted),
    )
    client = get_client()
    access = client.check_access(credentials)
    employers = tuple(client.employers(credentials)) if "WERKGEVERS" in access.functions else ()
    fresh = LoketSnapshot(access=access, employers=employers)
    snapshot_cache_put(processor, fresh)
    return fresh


def snapshot_forget(processor: PayrollProcessor) -> None:
    """Drop the cached snapshot (and the page's note of its time): the next use asks again."""
    key = _key(processor)
    cache.delete_many([key, f"{key}:page-at"])


# --- for the Werkgevers page ------------------------------------------------------------------


class RecentlyDown(LoketError):
    """Loket.nl failed a moment ago; not asked again yet."""

    code = "STORING"
    retryable = True


@dataclass(frozen=True, slots=True)
class PageSnapshot:
    """The snapshot for the page, when it was fetched, and why it is missing if it is."""

    snapshot: LoketSnapshot | None
    fetched_at: dt.datetime | None
    error: LoketError | None = None
    refresh_failed: bool = False


def snapshot_for_page(processor: PayrollProcessor, *, refresh: bool) -> PageSnapshot:
    """The processor's snapshot and its time; never raises for a Loket.nl failure.

    A snapshot of unknown age (cached by a worker) is fetched again once, so that the time shown
    is always true. After a temporary failure, Loket.nl is not asked again for :data:`DOWN_TTL`
    seconds unless the processor asks to refresh. When a refresh fails, the snapshot from before
    stays usable.
    """
    key = _key(processor)
    time_key, down_key = f"{key}:page-at", f"{key}:page-down"
    fetched_at = cache.get(time_key)
    if not refresh and fetched_at is None and cache.get(down_key) is not None:
        return PageSnapshot(snapshot=None, fetched_at=None, error=RecentlyDown())
    fresh = refresh or fetched_at is None
    try:
        current = snapshot(processor, refresh=fresh)
    except LoketError as error:
        logger.info(
            "Werkgevers page without Loket.nl for processor %s: %s", processor.pk, error.code
        )
        if error.retryable:
            cache.set(down_key, True, DOWN_TTL)
        cached = _cache_get(key) if fetched_at is not None else None
        if cached is not None:
            return PageSnapshot(
                snapshot=cached, fetched_at=fetched_at, error=error, refresh_failed=True
            )
        return PageSnapshot(snapshot=None, fetched_at=None, error=error)
    if fresh:
        fetched_at = timezone.now()
        cache.set(time_key, fetched_at, settings.LOKET_VIEW_TTL)
        cache.delete(down_key)
    return PageSnapshot(snapshot=current, fetched_at=fetched_at)


__all__ = [
    "LoketSnapshot",
    "PageSnapshot",
    "RecentlyDown",
    "snapshot",
    "snapshot_cache_put",
    "snapshot_for_page",
    "snapshot_forget",
    "snapshot_problem",
]
