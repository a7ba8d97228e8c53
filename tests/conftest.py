"""Shared fixtures: the Loket.nl sandbox over real HTTP on a free port, and a client for it."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from locket_client.client import LoketClient
from locket_client.sandbox import SandboxServer, start_sandbox
from locket_client.types import Credentials

# The real Celery workers (one definition of the session worker for every test that needs it).
pytest_plugins = ["tests.workers"]

DEMO_PASSWORD = "Demo#Loket2026"  # the sandbox's published demo password
TRAAG_DELAY = 3.0


def demo_credentials(
    gebruikersnaam: str = "ws-benefits",
    *,
    omgevingscode: str = "DEMO001",
    wachtwoord: str = DEMO_PASSWORD,
) -> Credentials:
    return Credentials(
        omgevingscode=omgevingscode, gebruikersnaam=gebruikersnaam, wachtwoord=wachtwoord
    )


@pytest.fixture(scope="session")
def sandbox() -> Iterator[SandboxServer]:
    server = start_sandbox(host="127.0.0.1", port=0, slow_delay=TRAAG_DELAY)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def loket(sandbox: SandboxServer) -> LoketClient:
    return LoketClient(endpoint=sandbox.url, timeout=10)


@pytest.fixture
def loket_settings(settings, sandbox: SandboxServer):
    """Point the portal's settings at the test sandbox (for code that uses ``get_client()``)."""
    settings.LOKET_ENDPOINT = sandbox.url
    settings.LOKET_TIMEOUT = 10.0
    return settings


@pytest.fixture(autouse=True)
def _celery_mode(request):
    """Each test gets the Celery mode it asks for: a real broker when it uses the integration
    worker, otherwise in-process after commit (as the embedded default runs)."""
    from config.celery import app
    from tests.workers import use_broker, use_in_process

    if "celery_worker_process" in request.fixturenames:
        use_broker(request.getfixturevalue("celery_worker_process"))
    elif not app.conf.task_always_eager:
        use_in_process()
    return


@pytest.fixture(autouse=True)
def _dutch_by_default():
    """Every test starts in the site's default language (Dutch) and leaves no language behind:
    a request or mail in English activates English on this thread, which would otherwise carry
    over into the next test's expectations of Dutch text."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def everything_at_debug(caplog):
    """Every logger at DEBUG, propagating to ``caplog`` (for the secret canaries)."""
    loggers = [logging.getLogger()] + [
        logging.getLogger(name) for name in list(logging.root.manager.loggerDict)
    ]
    saved = [(lg, lg.level, lg.propagate, lg.disabled) for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.DEBUG)
        lg.propagate = True
        lg.disabled = False
    caplog.set_level(logging.DEBUG)
    yield caplog
    for lg, level, propagate, disabled in saved:
        lg.setLevel(level)
        lg.propagate = propagate
        lg.disabled = disabled
