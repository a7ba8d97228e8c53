"""A real Celery worker on Redis and PostgreSQL, talking to the sandbox over HTTP.

The worker is a separate process (``celery -A config worker``) pointed at the test database that
pytest-django created; tests use ``transaction=True`` so that the worker sees committed rows.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection
from kombu import pools as kombu_pools

from config.celery import app

ROOT = Path(__file__).resolve().parents[2]
BROKER_DB = 15
SILENT_BROKER_DB = 14


def _redis_base() -> str | None:
    url = settings.REDIS_URL
    if not url:
        return None
    return url.rsplit("/", 1)[0]


@pytest.fixture(scope="session")
def integration_services() -> str:
    """The Redis base URL; skips (with the reason) where PostgreSQL or Redis is not in use."""
    if connection.vendor != "postgresql":
        pytest.skip("integration tests need PostgreSQL (make test uses it when it answers)")
    base = _redis_base()
    if base is None:
        pytest.skip("integration tests need Redis (make test uses it when it answers)")
    return base


def _drop_pools() -> None:
    """Forget the connections made for the previous broker (Celery caches them per app)."""
    kombu_pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


def use_broker(url: str) -> None:
    """Point this (test) process's Celery app at a real broker instead of in-process mode."""
    _drop_pools()
    app.conf.update(broker_url=url, task_always_eager=False)


def use_in_process() -> None:
    _drop_pools()
    app.conf.update(broker_url="memory://", task_always_eager=True)


@pytest.fixture(scope="session")
def celery_worker_process(
    integration_services: str, django_db_setup, django_db_blocker, sandbox
) -> Iterator[str]:
    broker = f"{integration_services}/{BROKER_DB}"
    redis.Redis.from_url(broker).flushdb()
    env = {
        **os.environ,
        "DATABASE_URL": (
            f"postgres://{connection.settings_dict['USER']}@{connection.settings_dict['HOST']}:"
            f"{connection.settings_dict['PORT']}/{connection.settings_dict['NAME']}"
        ),
        "CELERY_BROKER_URL": broker,
        "REDIS_URL": settings.REDIS_URL,
        "LOKET_ENDPOINT": sandbox.url,
        "LOKET_TIMEOUT": "5",
        "DB_CONN_MAX_AGE": "0",
    }
    log = (ROOT / ".pytest-worker.log").open("w")
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--loglevel=INFO",
            "--concurrency=2",
            "--without-gossip",
            "--without-mingle",
            "--hostname=pytest@%h",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    use_broker(broker)
    try:
        deadline = time.monotonic() + 60
        while not app.control.ping(timeout=1.0):
            if worker.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    "the Celery worker did not start: " + (ROOT / ".pytest-worker.log").read_text()
                )
        yield broker
    finally:
        use_in_process()
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
        log.close()


def wait_for(predicate: Callable[[], bool], *, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError("condition not met within the timeout")
