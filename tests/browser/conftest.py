"""Browser tests: Playwright driving Debian's Chromium (``/usr/bin/chromium``) headless against
pytest-django's live server.

Playwright's own browser download does not work here (the machine reaches package registries
only), so ``scripts/ensure-chromium`` installs Debian's package and the browser is launched from
its path. Without it the tests fail in CI (``CI=true``) and skip, saying why, elsewhere.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections

from config.celery import app as celery_app
from onboarding import ratelimit

CHROMIUM = Path("/usr/bin/chromium")
# As the machine's own check starts Chromium: without the background-networking flags it keeps
# trying to reach Google's hosts, which this closed network refuses. Playwright gives every
# launch a fresh, empty user-data-dir of its own (it refuses a --user-data-dir argument).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(autouse=True)
def _fresh_rate_limits(settings) -> Iterator[None]:
    """The live server's requests all come from 127.0.0.1: start every journey with empty
    counters so that earlier tests' checks and logins do not count against it.

    The limits are raised as well: another test run on the same machine (same Redis, same
    127.0.0.1) can fill the shared counters between this flush and the journey's requests.
    The limits themselves are proved by the rate-limit tests, not here.
    """
    settings.CHECKS_PER_IP_PER_HOUR = 10_000
    settings.CHECKS_PER_ACCOUNT_PER_HOUR = 10_000
    settings.LOKET_CALLS_PER_MINUTE = 100_000
    settings.LOKET_CALLS_PER_MINUTE_PUBLIC = 50_000
    settings.CHECK_FAILURES_PER_ACCOUNT_PER_DAY = 10_000
    settings.CHECK_FAILURES_PER_OMGEVINGSCODE_PER_DAY = 10_000
    settings.EMPLOYER_REQUESTS_PER_KVK_PER_DAY = 10_000
    settings.LOGIN_FAILURES_ALLOWED = 10_000
    _clear_rate_limits()
    yield
    _clear_rate_limits()


def _clear_rate_limits() -> None:
    if not settings.REDIS_URL:
        ratelimit.reset_memory_counters()
        return
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
    keys = list(client.scan_iter(match="rl:*", count=500))
    if keys:
        client.delete(*keys)


@pytest.fixture
def in_process_tasks() -> Iterator[None]:
    """Run Celery tasks in this process (after commit), whatever an earlier fixture set: the
    confirmation mail must land in this process's ``mail.outbox``."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        yield
    finally:
        celery_app.conf.task_always_eager = previous


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """A headless Chromium for one test (a fresh profile; closed afterwards)."""
    if not CHROMIUM.exists():
        reason = (
            f"{CHROMIUM} ontbreekt: installeer Debian's Chromium met scripts/ensure-chromium "
            "(als root), of `make test` als root."
        )
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an asyncio loop running on this thread, and Django then
    # refuses ORM calls from the test body (SynchronousOnlyOperation). Nothing here is async:
    # the test itself runs synchronously, the live server in its own thread. Playwright's
    # documented way for Django is this variable, for the length of the test only.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield chromium
        finally:
            chromium.close()
            # Connections the test opened while Playwright's loop ran are kept apart from the
            # ones pytest-django closes at the end (Django's per-thread storage sees a running
            # loop); left open, they stop the test database from being dropped.
            connections.close_all()
