"""Benchmark: requests per second of the public pages against a bare view, under gunicorn.

In one run, on loopback:

- a bench database: PostgreSQL ``bench_pages`` (created and dropped here) when PostgreSQL
  answers on 127.0.0.1:5432, otherwise a temporary SQLite file; migrated; static files collected
  into a temporary ``STATIC_ROOT`` (``DEBUG=off`` serves them through WhiteNoise's manifest);
- gunicorn, 2 sync workers, ``config.wsgi:application`` with ``bench.bench_settings`` (the
  project's settings plus a bare "ok" view at ``/bench/bare``), production-like environment:
  ``DEBUG=off``, random ``SECRET_KEY`` and ``CREDENTIALS_KEYS``, no TLS redirect (plain loopback);
- for N = 10 and N = 10,000 confirmed processors: the SQL queries per page (Django's test client
  in this process, ``CaptureQueriesContext``; they must not grow with N), counted on a cache miss
  (the page cache of this process emptied first) and again on the hit that follows; then a fresh
  gunicorn (so no worker still holds a page cached at the previous N: the directory is reused for
  30 s), a check that it serves the directory of N processors, and ``wrk`` (Debian's package, the
  same load for every URL) against the registration form, the directory (its first page, 200
  names) and the bare view, taking turns for ``ROUNDS`` rounds; each URL counts with its median.

Last line: ``RESULT form_rps=… directory_rps=… bare_rps=… form_ratio=… directory_ratio=…`` for
N = 10,000: the median rps of each URL, and each ratio the median over the rounds of page rps /
bare rps in the same round. Target: both ratios >= 0.5.

Run: ``.venv/bin/python bench/pages.py`` (or ``make bench``); needs root once, to install wrk.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from statistics import median

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from cryptography.fernet import Fernet  # noqa: E402

from bench.harness import gunicorn, postgres_admin  # noqa: E402

PG_SERVER = "postgres://postgres@127.0.0.1:5432"
PG_DATABASE = "bench_pages"
DEMO_PASSWORD = "Demo#Loket2026"
SIZES = (10, 10_000)
DIRECTORY_PAGE_SIZE = 200  # onboarding.selectors.DIRECTORY_PAGE_SIZE (imported after set-up)
PAGES = {"form": "/aanmelden/", "directory": "/salarisverwerkers/", "bare": "/bench/bare"}
WRK_LOAD = ["-t2", "-c16", "-d5s"]
WRK_WARMUP = ["-t1", "-c4", "-d1s"]
# The URLs take turns, ROUNDS times; a ratio is taken within a round (page and bare view measured
# seconds apart) and counts with its median, as does each URL's rps. On a shared machine the load
# of other processes drifts, and measuring one URL once after the other puts that drift into the
# ratios (a page "faster" than the bare view, say).
ROUNDS = 3
HOST = "127.0.0.1"
# What this process keeps of the caller's environment: nothing that steers the settings
# (a DATABASE_URL or REDIS_URL left in the shell must not change what is measured).
KEEP_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "TERM", "USER")


@dataclass(frozen=True, slots=True)
class Load:
    rps: float
    bad_responses: int
    socket_errors: str


# --- tools and services --------------------------------------------------------------------


def ensure_wrk() -> str:
    """Path of wrk; installs Debian's package when missing and running as root."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0:
        sys.exit(
            "wrk ontbreekt. Installeer het als root: apt-get install -y wrk "
            "(of draai deze benchmark als root)."
        )
    print("wrk installeren (Debian-pakket wrk)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update"], check=True, env=env, stdin=subprocess.DEVNULL)
    subprocess.run(
        ["apt-get", "install", "-y", "--no-install-recommends", "wrk"],
        check=True,
        env=env,
        stdin=subprocess.DEVNULL,
    )
    found = shutil.which("wrk")
    if not found:
        sys.exit("apt-get heeft wrk geïnstalleerd, maar het staat niet op PATH.")
    return found


def postgres_answers() -> bool:
    try:
        with psycopg.connect(f"{PG_SERVER}/postgres", connect_timeout=2) as connection:
            connection.execute("SELECT 1")
    except psycopg.Error:
        return False
    return True


@contextmanager
def bench_database(workdir: Path) -> Iterator[tuple[str, str]]:
    """(DATABASE_URL, description) of a fresh, empty bench database; dropped afterwards."""
    if postgres_answers():
        postgres_admin(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
        postgres_admin(f"CREATE DATABASE {PG_DATABASE}")
        try:
            yield f"{PG_SERVER}/{PG_DATABASE}", f"PostgreSQL ({HOST}:5432/{PG_DATABASE})"
        finally:
            from django.conf import settings

            if settings.configured:
                from django.db import connections

                connections.close_all()
            postgres_admin(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
    else:
        path = workdir / "bench.sqlite3"
        yield f"sqlite:///{path}", f"SQLite ({path}; PostgreSQL antwoordt niet)"


def production_env(database_url: str, static_root: Path) -> dict[str, str]:
    """A production-like environment, as in ``make deploy-check``, minus the TLS redirect (the
    bench talks plain HTTP on loopback) and with the built-in sandbox as Loket.nl endpoint."""
    env = {key: os.environ[key] for key in KEEP_ENV if key in os.environ}
    env.update(
        DJANGO_SETTINGS_MODULE="bench.bench_settings",
        DEBUG="off",
        SECRET_KEY=secrets.token_urlsafe(64),
        CREDENTIALS_KEYS=Fernet.generate_key().decode("ascii"),
        ALLOWED_HOSTS=f"{HOST},portal.example.nl",
        SECURE_SSL_REDIRECT="off",
        LOKET_SANDBOX_ENABLED="on",
        DATABASE_URL=database_url,
        BENCH_STATIC_ROOT=str(static_root),
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    return env


# --- measuring -----------------------------------------------------------------------------

_RPS = re.compile(r"^Requests/sec:\s+([\d.]+)", re.MULTILINE)
_BAD = re.compile(r"^\s*Non-2xx or 3xx responses:\s+(\d+)", re.MULTILINE)
_SOCKET_ERRORS = re.compile(r"^\s*Socket errors:\s+(.*)$", re.MULTILINE)


def run_wrk(wrk: str, url: str, load: list[str]) -> Load:
    result = subprocess.run(
        [wrk, *load, url], capture_output=True, text=True, timeout=120, check=False
    )
    rps = _RPS.search(result.stdout)
    if result.returncode != 0 or rps is None:
        raise RuntimeError(f"wrk {url} mislukte:\n{result.stdout}\n{result.stderr}")
    bad = _BAD.search(result.stdout)
    errors = _SOCKET_ERRORS.search(result.stdout)
    return Load(
        rps=float(rps.group(1)),
        bad_responses=int(bad.group(1)) if bad else 0,
        socket_errors=errors.group(1) if errors else "",
    )


def median_load(loads: list[Load]) -> Load:
    """The median rps of the rounds, with every round's bad responses and socket errors."""
    return Load(
        rps=median(load.rps for load in loads),
        bad_responses=sum(load.bad_responses for load in loads),
        socket_errors="; ".join(load.socket_errors for load in loads if load.socket_errors),
    )


def count_queries() -> tuple[dict[str, int], dict[str, int]]:
    """SQL queries per page on a cache miss and on the hit after it, through Django's test
    client in this process (200 required). The miss is what grows with N if anything does."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from onboarding import pagecache

    client = Client(HTTP_HOST=HOST)
    misses: dict[str, int] = {}
    hits: dict[str, int] = {}
    for name, path in PAGES.items():
        for counts in (misses, hits):
            if counts is misses:
                pagecache.clear()
            with CaptureQueriesContext(connection) as queries:
                response = client.get(path)
            if response.status_code != 200:
                raise RuntimeError(f"{path} gaf HTTP {response.status_code} in plaats van 200")
            counts[name] = len(queries)
    return misses, hits


def check_directory(base: str, size: int) -> None:
    """The server shows the directory of ``size`` processors (not a page cached earlier)."""
    with urllib.request.urlopen(f"{base}{PAGES['directory']}", timeout=10) as answer:
        page = answer.read().decode()
    names = len(re.findall(r"<li>", page))
    if f"{size} salarisverwerkers" not in page or names != min(size, DIRECTORY_PAGE_SIZE):
        raise RuntimeError(f"de lijst toont niet de {size} salarisverwerkers ({names} namen)")


def fill_processors(*, total: int, encrypted_password: str) -> None:
    """Top the database up to ``total`` confirmed (active) processors with bulk inserts."""
    from django.utils import timezone

    from onboarding.models import PayrollProcessor, Status

    existing = PayrollProcessor.objects.count()
    now = timezone.now()
    batch = [
        PayrollProcessor(
            company_name=f"Salarisbureau {number:05d} B.V.",
            email=f"salaris{number:05d}@bench.example.nl",
            omgevingscode="BENCH001",
            loket_username=f"ws-bench-{number:05d}",
            loket_password_encrypted=encrypted_password,
            status=Status.ACTIVE,
            consent_at=now,
            confirmed_at=now,
            activated_at=now,
        )
        for number in range(existing, total)
    ]
    PayrollProcessor.objects.bulk_create(batch, batch_size=1000)


# --- the run -------------------------------------------------------------------------------


def main() -> None:
    wrk = ensure_wrk()
    with ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-pages-")))
        database_url, database = stack.enter_context(bench_database(workdir))
        env = production_env(database_url, workdir / "static")
        for key in list(os.environ):
            if key not in env:
                del os.environ[key]
        os.environ.update(env)

        import django
        from django.core.management import call_command

        django.setup()
        from onboarding.crypto import encrypt_secret

        call_command("migrate", verbosity=0, interactive=False)
        call_command("collectstatic", verbosity=0, interactive=False)
        encrypted_password = encrypt_secret(DEMO_PASSWORD)  # once, shared by every row

        print(f"Database: {database}")
        print(
            f"gunicorn: 2 sync workers, DEBUG=off; load: wrk {' '.join(WRK_LOAD)}, "
            f"{ROUNDS} rondes om de beurt, mediaan"
        )

        figures: dict[int, dict[str, Load]] = {}
        final_ratios: dict[int, dict[str, float]] = {}
        queries: dict[int, dict[str, int]] = {}
        for size in SIZES:
            fill_processors(total=size, encrypted_password=encrypted_password)
            queries[size], hits = count_queries()
            print(
                f"N={size:>6}: SQL-queries per pagina (cache leeg): "
                + ", ".join(f"{name} {count}" for name, count in queries[size].items())
                + "; uit de cache: "
                + ", ".join(f"{name} {count}" for name, count in hits.items())
            )
            figures[size] = {}
            with gunicorn(env, workdir / f"gunicorn-{size}.log", probe=PAGES["bare"]) as base:
                check_directory(base, size)
                for path in PAGES.values():
                    run_wrk(wrk, base + path, WRK_WARMUP)
                rounds: dict[str, list[Load]] = {name: [] for name in PAGES}
                for _ in range(ROUNDS):
                    for name, path in PAGES.items():
                        rounds[name].append(run_wrk(wrk, base + path, WRK_LOAD))
            for name, path in PAGES.items():
                load = figures[size][name] = median_load(rounds[name])
                spread = "/".join(f"{one.rps:.0f}" for one in rounds[name])
                extra = ""
                if load.bad_responses:
                    extra += f"  LET OP: {load.bad_responses} antwoorden geen 2xx/3xx"
                if load.socket_errors:
                    extra += f"  socketfouten: {load.socket_errors}"
                print(
                    f"N={size:>6}: {name:<9} {path:<20} {load.rps:>9.1f} req/s "
                    f"(mediaan van {spread}){extra}"
                )
            ratios = {
                name: median(
                    page.rps / bare.rps
                    for page, bare in zip(rounds[name], rounds["bare"], strict=True)
                )
                for name in ("form", "directory")
            }
            final_ratios[size] = ratios
            print(
                f"N={size:>6}: verhouding tot bare: form {ratios['form']:.2f}, "
                f"directory {ratios['directory']:.2f} (doel >= 0.50)"
            )

    small, large = SIZES
    constant = queries[small] == queries[large]
    print(
        "SQL-queries per pagina gelijk voor N=10 en N=10.000: "
        + ("ja" if constant else f"NEE ({queries[small]} tegen {queries[large]})")
    )
    last, ratios = figures[large], final_ratios[large]
    print(
        f"RESULT form_rps={last['form'].rps:.1f} directory_rps={last['directory'].rps:.1f} "
        f"bare_rps={last['bare'].rps:.1f} form_ratio={ratios['form']:.2f} "
        f"directory_ratio={ratios['directory']:.2f}"
    )


if __name__ == "__main__":
    main()
