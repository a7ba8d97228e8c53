"""A per-process cache of rendered HTML for the busiest public pages.

Why: ``bench/pages.py`` (gunicorn, 2 sync workers, wrk on loopback) measured the bare "ok" view
at ~0.2 ms a request, the registration form at ~1.5 ms (widget rendering ~0.7 ms, base.html
~0.2 ms) and the directory at 10,000 processors at ~54 ms (one query ~8 ms, rendering a
10,000-item list ~36 ms, 361 KB). The target is half the bare view's throughput, which no amount
of template tuning reaches: the pages have to be rendered once and then reused. The cache is a
dict behind a lock in each process, on purpose not Django's cache framework: with Redis as the
default cache, a lookup would be a network round trip (and a pickle) per request, the very cost
this module removes. Nothing here does I/O.

What it allows to be stale, and for how long:

- the registration form (:data:`FORM_PAGES`) depends on nothing in the database; its entries are
  keyed by language and static manifest, so a deploy (new processes) or a language switch never
  serves an old page. The TTL only bounds memory in a long-lived process.
- the directory (:data:`DIRECTORY_PAGES`, :data:`DIRECTORY_TTL` = 30 s): a processor a.s.r. has
  just confirmed appears (and one that was withdrawn disappears) within 30 seconds, in each
  process separately. There is deliberately no invalidation across processes (that would need
  I/O again); 30 seconds is short next to the hours a confirmation takes.

What is never shared between visitors: the CSRF token and the messages. A page is rendered
with a per-process random placeholder as ``csrf_token`` and each response gets the visitor's own
token (``django.middleware.csrf.get_token``, which also sets the CSRF cookie), so CSRF works as
on a normally rendered page and no visitor's token ever reaches another. A request with pending
messages is rendered as usual (and not cached). Everything else base.html takes from the request
(``LANGUAGE_CODE``, the language switcher's ``next``, the static manifest) is in the key.

The key holds only what the page reads from the query string, normalised (issue 13, point 8):
the view passes its ``canonical_path`` (path plus the parameters it uses, cleaned, in a fixed
order); any other query string (``?x=<random>``) gets the same cached page and cannot fill the
cache with copies of it. The language switcher's ``next`` is that canonical path as well, so
the page really is the same for every such request.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.contrib.messages import get_messages
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import translation

V = TypeVar("V")

DIRECTORY_TTL = 30.0
"""Seconds a rendered directory page is reused: how late a newly confirmed processor appears."""

FORM_TTL = 3600.0
"""Seconds a rendered registration form is reused (it depends on no data; this bounds memory)."""

CSRF_PLACEHOLDER = f"csrf-placeholder-{secrets.token_hex(16)}"
"""Stands in for the CSRF token in a cached page. Random per process and never sent to anyone
(every response replaces it), so no company name or search term can contain it."""


class PageCache(Generic[V]):
    """A thread-safe mapping with a time to live per entry and a maximum number of entries.

    An entry older than ``ttl`` seconds (by ``clock``, monotonic by default, so a change of the
    wall clock does nothing) is gone. When ``max_entries`` is reached the least recently used
    entry makes room, so keys taken from a request (a search term) cannot grow the process.
    Two requests missing the same key at the same time both compute it; the last one stays
    (cheaper than holding the lock while a page renders).
    """

    def __init__(
        self, *, ttl: float, max_entries: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if ttl <= 0 or max_entries < 1:
            raise ValueError("ttl and max_entries must be positive")
        self.ttl = ttl
        self.max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[Hashable, tuple[float, V]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> V | None:
        """The value stored under ``key``, or ``None`` when there is none or it expired."""
        now = self._clock()
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            expires, value = entry
            if now >= expires:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return value

    def set(self, key: Hashable, value: V) -> None:
        expires = self._clock() + self.ttl
        with self._lock:
            self._entries[key] = (expires, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def get_or_set(self, key: Hashable, make: Callable[[], V]) -> V:
        """The cached value, or ``make()`` stored and returned (``make`` runs outside the lock)."""
        value = self.get(key)
        if value is None:
            value = make()
            self.set(key, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)


@dataclass(frozen=True, slots=True)
class CachedPage:
    """A rendered page, split at the CSRF placeholder (UTF-8 bytes, ready to send)."""

    parts: tuple[bytes, ...]

    @classmethod
    def from_html(cls, html: str) -> CachedPage:
        return cls(tuple(html.encode("utf-8").split(CSRF_PLACEHOLDER.encode("ascii"))))

    def response(self, request: HttpRequest) -> HttpResponse:
        """The page with this visitor's CSRF token where the placeholder was."""
        if len(self.parts) == 1:  # no form on the page: no token, no cookie
            return HttpResponse(self.parts[0])
        token = get_token(request).encode("ascii")
        return HttpResponse(token.join(self.parts))


FORM_PAGES: PageCache[CachedPage] = PageCache(ttl=FORM_TTL, max_entries=32)
DIRECTORY_PAGES: PageCache[CachedPage] = PageCache(ttl=DIRECTORY_TTL, max_entries=256)
ALL = (FORM_PAGES, DIRECTORY_PAGES)


def clear() -> None:
    """Empty every page cache of this process (tests, and the bench before counting queries)."""
    for cache in ALL:
        cache.clear()


@receiver(setting_changed)
def _settings_changed(**kwargs: Any) -> None:
    # Only tests change settings at run time; a page rendered under other settings must go.
    clear()


def _static_version() -> str:
    """The static manifest's hash (file names in the page change with it); "" without one."""
    return getattr(staticfiles_storage, "manifest_hash", "") or ""


def render_cached(
    request: HttpRequest,
    *,
    cache: PageCache[CachedPage],
    template_name: str,
    context: Callable[[], dict[str, Any]],
    canonical_path: str | None = None,
) -> HttpResponse:
    """``render(request, template_name, context())``, served from ``cache`` when possible.

    The key is the language, the static manifest and ``canonical_path``: the path with the
    query parameters the page reads, normalised (``None``: the page reads none, so the path
    alone). base.html's language switcher sends the visitor back to that canonical path, so a
    view whose page depends on nothing else needs no key of its own. ``context`` is called only
    when the page is
    rendered, so its queries run only on a miss. A request with pending messages gets a normal
    render: checking costs no query (with the default message storage the message cookie comes
    first; the session is read only when that cookie says more messages are stored there).
    """
    path = canonical_path or request.path
    if get_messages(request):
        return render(request, template_name, context() | {"canonical_path": path})
    key = (translation.get_language(), _static_version(), path)

    def make() -> CachedPage:
        page_context = context() | {"csrf_token": CSRF_PLACEHOLDER, "canonical_path": path}
        return CachedPage.from_html(render_to_string(template_name, page_context, request))

    return cache.get_or_set(key, make).response(request)
