"""A real Celery worker on Redis and PostgreSQL, talking to the sandbox over HTTP.

A pytest plugin (``pytest_plugins`` in ``tests/conftest.py``), so that the integration and the
browser tests share ONE definition of the session worker: a test module that imported the
fixture instead got a second definition, hence a second session worker consuming the same queue
(and taking half of a test's tasks where that test could not see them).

The worker is a separate process (``celery -A config worker``) pointed at the test database that
pytest-django created; tests use ``transaction=True`` so that the worker sees committed rows.

The Redis database numbers of the brokers default to 15 (the session worker), 14 (a broker nobody
consumes) and 13 (workers a test starts and stops itself); ``INTEGRATION_BROKER_DB``,
``INTEGRATION_SILENT_BROKER_DB`` and ``INTEGRATION_SPARE_BROKER_DB`` move them, so that two
integration runs on one Redis server do not consume each other's messages.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection
from kombu import pools as kombu_pools

from config.celery import app

ROOT = Path(__file__).resolve().parents[1]


def _redis_db_number(variable: str, default: int) -> int:
    raw = os.environ.get(variable, "").strip() or str(default)
    if not raw.isdigit() or int(raw) > 15:
        raise pytest.UsageError(f"{variable}={raw!r} is not a Redis database number (0-15)")
    return int(raw)


BROKER_DB = _redis_db_number("INTEGRATION_BROKER_DB", 15)
SILENT_BROKER_DB = _redis_db_number("INTEGRATION_SILENT_BROKER_DB", 14)
SPARE_BROKER_DB = _redis_db_number("INTEGRATION_SPARE_BROKER_DB", 13)
if len({BROKER_DB, SILENT_BROKER_DB, SPARE_BROKER_DB}) != 3:
    raise pytest.UsageError("the integration broker databases must be three different numbers")
WORKER_LOG = ROOT / ".pytest-worker.log"


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
    name = f"session-{os.getpid()}-{uuid.uuid4().hex[:8]}"  # ours, whatever else answers
    worker = start_worker(
        name=name, env=worker_environment(broker, sandbox.url), log_path=WORKER_LOG
    )
    use_broker(broker)
    try:
        # Exactly one consumer: another worker on this broker (a second session worker, or one
        # left running by an earlier run) would take tasks whose outcome the tests then miss.
        nodes = sorted(node for reply in app.control.ping(timeout=1.0) for node in reply)
        others = [node for node in nodes if not node.startswith(f"pytest-{name}@")]
        if others:
            raise RuntimeError(f"other workers consume the test broker {broker}: {others}")
        yield broker
    finally:
        use_in_process()
        worker.stop()


@pytest.fixture(autouse=True)
def _worker_idle_before_the_flush(request) -> Iterator[None]:
    """After a test that used the session worker, wait until the worker has nothing queued or
    running before pytest-django empties the tables: a task still in its transaction (a mail
    sent while its row is held, say) and the flush's TRUNCATE lock tables in opposite orders and
    deadlock, failing the test that happens to end then."""
    if "celery_worker_process" not in request.fixturenames:
        yield
        return
    request.getfixturevalue("transactional_db")  # set up first, so flushed after this returns
    broker = request.getfixturevalue("celery_worker_process")
    yield
    use_broker(broker)  # a test may have left this process on another broker
    queue = redis.Redis.from_url(broker)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if queue.llen(app.conf.task_default_queue) == 0:
            active = app.control.inspect(timeout=0.5).active() or {}
            if active and not any(active.values()):
                return
        time.sleep(0.1)


def wait_for(predicate: Callable[[], bool], *, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError("condition not met within the timeout")


# --- workers a test starts, kills and restarts itself ----------------------------------------


@dataclass
class WorkerProcess:
    """A ``celery -A config worker`` in its own process group (main process and pool children),
    so that :meth:`kill` can take all of it down at once, as a machine losing power would."""

    process: subprocess.Popen[bytes]
    hostname: str
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL to the whole group: no warm shutdown, no acknowledgement, no restore."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        """Warm shutdown (SIGTERM to the group); SIGKILL when it does not end in 20 s."""
        if self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()


def worker_environment(broker: str, loket_endpoint: str, **extra: str) -> dict[str, str]:
    """The environment of the session worker (same test database, cache and sandbox), plus
    ``extra`` (for example a short ``CELERY_VISIBILITY_TIMEOUT``)."""
    settings_dict = connection.settings_dict
    return {
        **os.environ,
        "DATABASE_URL": (
            f"postgres://{settings_dict['USER']}@{settings_dict['HOST']}:"
            f"{settings_dict['PORT']}/{settings_dict['NAME']}"
        ),
        "CELERY_BROKER_URL": broker,
        "REDIS_URL": settings.REDIS_URL,
        "LOKET_ENDPOINT": loket_endpoint,
        "LOKET_TIMEOUT": "5",
        "DB_CONN_MAX_AGE": "0",
        **extra,
    }


def start_worker(
    *,
    name: str,
    env: Mapping[str, str],
    log_path: Path,
    concurrency: int = 2,
    timeout: float = 60.0,
) -> WorkerProcess:
    """Start a worker and wait until it says it is ready (read from its log, so that this works
    whichever broker this process's Celery app points at)."""
    hostname = f"pytest-{name}@%h"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--loglevel=INFO",
                f"--concurrency={concurrency}",
                "--without-gossip",
                "--without-mingle",
                f"--hostname={hostname}",
            ],
            cwd=ROOT,
            env=dict(env),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    worker = WorkerProcess(process=process, hostname=hostname, log_path=log_path)
    deadline = time.monotonic() + timeout
    while " ready." not in worker.log():
        if process.poll() is not None or time.monotonic() > deadline:
            worker.kill()
            raise RuntimeError(f"the Celery worker {name} did not start:\n{worker.log()}")
        time.sleep(0.1)
    return worker


@contextmanager
def running_worker(
    *, name: str, env: Mapping[str, str], log_path: Path, concurrency: int = 2
) -> Iterator[WorkerProcess]:
    """A worker for the duration of a ``with`` block; stopped (or killed) whatever happens."""
    worker = start_worker(name=name, env=env, log_path=log_path, concurrency=concurrency)
    try:
        yield worker
    finally:
        worker.stop()


@pytest.fixture
def second_celery_worker(celery_worker_process: str, sandbox, tmp_path) -> Iterator[WorkerProcess]:
    """A second worker process (concurrency 2) consuming the session worker's queue."""
    with running_worker(
        name="second",
        env=worker_environment(celery_worker_process, sandbox.url),
        log_path=tmp_path / "second-worker.log",
    ) as worker:
        yield worker
