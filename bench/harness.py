"""What the benches that run the production shape share: a private PostgreSQL database, a private
Redis server (which a drill may restart empty), Celery workers and a beat, gunicorn, and the
production-like environment they all run in. Everything runs on loopback and is killed (its
whole process group) or dropped when its ``with`` block ends, whatever happens.

Not a test helper: ``tests/workers.py`` starts the test suite's workers.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import redis
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
KEEP_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "TERM", "USER")


# --- PostgreSQL ------------------------------------------------------------------------------


def postgres_admin(statement: str) -> None:
    with psycopg.connect(f"{PG_SERVER}/postgres", connect_timeout=5, autocommit=True) as conn:
        conn.execute(statement)


@contextmanager
def exclusive_run(lock_key: int, name: str) -> Iterator[None]:
    """One run of a bench at a time (a second one must not drop the database under the first):
    a PostgreSQL advisory lock, held by an admin connection for the whole run."""
    try:
        connection = psycopg.connect(f"{PG_SERVER}/postgres", connect_timeout=5, autocommit=True)
    except psycopg.Error as error:
        sys.exit(f"PostgreSQL antwoordt niet op 127.0.0.1:5432: {error}")
    try:
        row = connection.execute("SELECT pg_try_advisory_lock(%s)", (lock_key,)).fetchone()
        if not row or not row[0]:
            sys.exit(f"Er loopt al een {name} (advisory lock); deze run stopt.")
        yield
    finally:
        connection.close()  # releases the lock


@contextmanager
def bench_database(name: str) -> Iterator[str]:
    """URL of a fresh PostgreSQL database ``name``; dropped afterwards (connections closed)."""
    try:
        postgres_admin("SELECT 1")
    except psycopg.Error as error:
        sys.exit(f"PostgreSQL antwoordt niet op 127.0.0.1:5432: {error}")
    postgres_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    postgres_admin(f"CREATE DATABASE {name}")
    try:
        yield f"{PG_SERVER}/{name}"
    finally:
        from django.conf import settings  # only once the bench has set Django up

        if settings.configured:
            from django.db import connections

            connections.close_all()
        postgres_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- processes -----------------------------------------------------------------------------------


def _start(command: list[str], env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    with log_path.open("a") as log:
        return subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: killed whole
        )


def kill(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL to the whole process group, as a machine losing power would."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the group (a warm shutdown); SIGKILL when it does not end in 20 s."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        kill(process)


class RedisServer:
    """A private ``redis-server`` on a free loopback port without persistence: restarting it
    empties it, as a Redis restarted without persistence loses what was waiting in it."""

    def __init__(self, workdir: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            sys.exit("redis-server ontbreekt (Debian: apt-get install redis-server).")
        self.binary = binary
        self.workdir = workdir
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = _start(
            [
                self.binary,
                *("--bind", "127.0.0.1", "--port", str(self.port)),
                *("--save", "", "--appendonly", "no", "--dir", str(self.workdir)),
            ],
            {},
            self.workdir / "redis.log",
        )
        client = redis.Redis.from_url(self.url, socket_timeout=1)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        "redis-server start niet:\n" + (self.workdir / "redis.log").read_text()
                    ) from None
                time.sleep(0.05)

    def kill(self) -> None:
        if self.process is not None:
            kill(self.process)
            self.process = None


@contextmanager
def redis_server(workdir: Path) -> Iterator[RedisServer]:
    server = RedisServer(workdir)
    server.start()
    try:
        yield server
    finally:
        server.kill()


def production_env(
    *, database_url: str, redis_url: str, loket_endpoint: str, static_root: Path, **extra: str
) -> dict[str, str]:
    """A production-like environment (``DEBUG=off``, fresh secrets) minus the TLS redirect (the
    benches talk plain HTTP on loopback), on the sandbox as Loket.nl endpoint."""
    env = {key: os.environ[key] for key in KEEP_ENV if key in os.environ}
    env.update(
        DJANGO_SETTINGS_MODULE="bench.bench_settings",
        DEBUG="off",
        SECRET_KEY=secrets.token_urlsafe(64),
        CREDENTIALS_KEYS=Fernet.generate_key().decode("ascii"),
        ALLOWED_HOSTS="127.0.0.1,testserver",
        SECURE_SSL_REDIRECT="off",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        CELERY_BROKER_URL=redis_url,
        LOKET_ENDPOINT=loket_endpoint,
        LOKET_TIMEOUT="30",
        EMAIL_URL="dummymail://",
        BENCH_STATIC_ROOT=str(static_root),
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    env.update(extra)
    return env


def _wait_for_log(process: subprocess.Popen[bytes], log_path: Path, text: str, what: str) -> None:
    deadline = time.monotonic() + 60
    while text not in log_path.read_text(errors="replace"):
        if process.poll() is not None or time.monotonic() > deadline:
            kill(process)
            raise RuntimeError(f"{what} start niet:\n" + log_path.read_text(errors="replace"))
        time.sleep(0.1)


def start_worker(
    env: dict[str, str], log_path: Path, *, name: str, concurrency: int = 2
) -> subprocess.Popen[bytes]:
    """``celery -A config worker`` in its own process group, once it says it is ready."""
    log_path.write_text("")
    process = _start(
        [
            sys.executable,
            *("-m", "celery", "-A", "config", "worker", "--loglevel=INFO"),
            f"--concurrency={concurrency}",
            "--without-gossip",
            "--without-mingle",
            f"--hostname={name}@%h",
        ],
        env,
        log_path,
    )
    _wait_for_log(process, log_path, " ready.", f"de Celery-worker {name}")
    return process


@contextmanager
def celery_worker(
    env: dict[str, str], log_path: Path, *, name: str = "bench", concurrency: int = 2
) -> Iterator[subprocess.Popen[bytes]]:
    process = start_worker(env, log_path, name=name, concurrency=concurrency)
    try:
        yield process
    finally:
        kill(process)


def start_beat(env: dict[str, str], workdir: Path) -> subprocess.Popen[bytes]:
    """``celery -A config beat`` (exactly one), its schedule file in ``workdir``."""
    log_path = workdir / "beat.log"
    log_path.write_text("")
    process = _start(
        [
            sys.executable,
            *("-m", "celery", "-A", "config", "beat", "--loglevel=INFO"),
            f"--schedule={workdir / 'beat-schedule'}",
        ],
        env,
        log_path,
    )
    _wait_for_log(process, log_path, "beat: Starting", "celery beat")
    return process


@contextmanager
def gunicorn(env: dict[str, str], log_path: Path, *, probe: str = "/healthz") -> Iterator[str]:
    """gunicorn with 2 workers on a free loopback port (its base URL), once ``probe`` answers."""
    port = free_port()
    process = _start(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "config.wsgi:application",
            "--workers=2",
            f"--bind=127.0.0.1:{port}",
            f"--chdir={ROOT}",
            "--log-level=warning",
        ],
        env,
        log_path,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError("gunicorn stopte meteen:\n" + log_path.read_text())
            try:
                with urllib.request.urlopen(base + probe, timeout=2) as answer:
                    if answer.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("gunicorn antwoordt niet binnen 30 s:\n" + log_path.read_text())
            time.sleep(0.2)
        yield base
    finally:
        stop(process)
