"""Benchmark: linking 10,000 employers with a real Celery worker, PostgreSQL and Redis.

In one run, on loopback:

- a bench database, PostgreSQL ``bench_link`` on 127.0.0.1:5432 (created here with psycopg,
  migrated, dropped at the end); Redis for both the cache and the Celery broker: a private
  ``redis-server`` on a free loopback port, empty at the start and gone at the end
  (``bench/harness.py``, shared with ``bench/drill.py``); the Loket.nl sandbox, started in this
  process; static files collected into a temporary ``STATIC_ROOT``;
- a production-like environment (``DEBUG=off``, random ``SECRET_KEY`` and ``CREDENTIALS_KEYS``)
  with ``EMAIL_URL=dummymail://``: the "link active" mails are rendered by the worker as in
  production, but not delivered anywhere;
- a real worker: ``celery -A config worker --concurrency=2`` (a subprocess in its own process
  group, killed at the end whatever happens).

For N = 1,000 and N = 10,000: a confirmed processor on the sandbox user ``ws-groot`` (10,000
employers), N employer requests bulk-created in the database (one per ws-groot employer, with
its loonheffingennummer; the 10,000 employers are fetched once from the sandbox; then ANALYZE,
as after any bulk load), then the bulk registration of those N employers through
``employers.services.links_register`` (the real path: it bulk-creates the links, matches them to
the requests, and enqueues the linking tasks in chunks after commit). Measured:

- the wall time from the call of ``links_register`` until all N links are active (counts
  polled every 0.2 s); ``links_register`` starts with an empty Loket.nl-view cache, so this
  includes its live fetch of the 10,000 employers;
- the SQL queries of ``links_register`` per employer (``CaptureQueriesContext`` around the call,
  in this process; the enqueueing after commit happens inside it and costs no SQL);
- the worker's side, in this process: after each run some of its links are put back to pending
  (and their requests reopened) directly in the database, and ``services.links_activate`` runs
  on them with Celery in-process (eager) and the processor's Loket.nl view already in the cache:
  a chunk of 200 (the size of every linking task, ``services.TASK_CHUNK``) after both runs, and
  one of 2,000 after the 10,000 run. Counted: every query of that call, including those of the
  mail tasks it triggers (eager, so inside the same call);
- the Werkgevers page (``/account/werkgevers/``) of the 10,000 processor through Django's test
  client with a logged-in processor user: first with an empty view cache (a live fetch), then
  five times warm.

``--profile`` adds cProfile's top entries for the in-process linking of 200 links and for one
warm render of the Werkgevers page.

Last line: ``RESULT link_10k_s=… queries_per_employer_1k=… queries_per_employer_10k=…
werkgevers_page_ms=…``. Queries per employer = the queries of ``links_register`` / N plus the
queries of ``links_activate`` on 200 links / 200. The page time is the warm median (``nan`` when
the page does not answer 200). Targets: link_10k_s <= 60, queries per employer not growing with
N, page <= 1,000 ms.

Bounded: a link run gives up after 15 minutes, the whole bench after 40 (SIGALRM); the worker
(killed with its process group), the database, the Redis database and the temporary files go
whatever happens. A PostgreSQL advisory lock keeps a second run (say, ``make bench`` elsewhere)
from dropping the database under a running one.

Run: ``.venv/bin/python bench/link_10k.py`` (needs PostgreSQL and Redis on 127.0.0.1).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import re
import secrets
import signal
import statistics
import sys
import tempfile
import time
from collections import Counter, deque
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import redis  # noqa: E402

from bench.harness import (  # noqa: E402
    bench_database,
    celery_worker,
    exclusive_run,
    production_env,
    redis_server,
)

PG_DATABASE = "bench_link"
LOCK_KEY = 0x6C696E6B31306B  # pg advisory lock of this bench ("link10k")
DEMO_PASSWORD = "Demo#Loket2026"
SIZES = (1_000, 10_000)
PAGE = "/account/werkgevers/"
PAGE_RUNS = 5
WORKER_CONCURRENCY = 2
CHUNKS = {1_000: (200,), 10_000: (200, 2_000)}  # in-process linking runs after each N
LINK_TIMEOUT = 900.0  # seconds a run may take before the bench gives up
BENCH_TIMEOUT = 2_400  # seconds for everything before cleanup (SIGALRM)


class BenchTimeout(Exception):
    pass


def _give_up(signum: int, frame: FrameType | None) -> None:
    raise BenchTimeout(f"signal {signum}: de benchmark stopt")


# --- data ----------------------------------------------------------------------------------


def fetch_groot_employers(endpoint: str) -> list[Any]:
    from locket_client.client import LoketClient
    from locket_client.types import Credentials

    client = LoketClient(endpoint=endpoint, timeout=60)
    credentials = Credentials(
        omgevingscode="DEMO001", gebruikersnaam="ws-groot", wachtwoord=DEMO_PASSWORD
    )
    employers = client.employers(credentials)
    if len(employers) != 10_000:
        raise RuntimeError(f"ws-groot ziet {len(employers)} werkgevers, niet 10.000")
    return employers


def make_processor(*, encrypted_password: str):
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from onboarding.models import PayrollProcessor, Status

    user = get_user_model().objects.create_user(
        username=f"bench-{secrets.token_hex(4)}@bench.example.nl"
    )
    now = timezone.now()
    return PayrollProcessor.objects.create(
        company_name="Salarisbureau Groot B.V.",
        email=user.username,
        omgevingscode="DEMO001",
        loket_username="ws-groot",
        loket_password_encrypted=encrypted_password,
        status=Status.ACTIVE,
        consent_at=now,
        confirmed_at=now,
        activated_at=now,
        checked_at=now,
        user=user,
    )


def create_requests(processor, employers: list[Any]) -> None:
    """One open request per employer, with its loonheffingennummer(s), bulk-inserted; then
    ANALYZE, as PostgreSQL advises after a bulk load: in production these requests arrive over
    days and autovacuum keeps the planner's statistics current, whereas right after this insert
    the planner would still believe the tables empty."""
    from django.db import connection
    from django.utils import timezone

    from employers.models import EmployerRequest, RequestTaxNumber

    now = timezone.now()
    requests = EmployerRequest.objects.bulk_create(
        [
            EmployerRequest(
                company_name=employer.name,
                kvk_number=employer.kvk_number,
                contact_name=f"Contact {employer.number}",
                contact_email=f"contact{employer.number}@werkgever.example.nl",
                processor=processor,
                consent_at=now,
                verified_at=now,
                status="open",
                created_at=now,
            )
            for employer in employers
        ],
        batch_size=2_000,
    )
    RequestTaxNumber.objects.bulk_create(
        [
            RequestTaxNumber(request=request, number=number, is_open=True)
            for request, employer in zip(requests, employers, strict=True)
            for number in employer.payroll_tax_numbers
        ],
        batch_size=2_000,
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def delete_run(processor) -> None:
    from django.db import connection, transaction

    from employers.models import EmployerEvent, EmployerLink, EmployerRequest

    user = processor.user
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # The history is append-only (migration 0012); a benchmark's own rows may go.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL employers.history_delete = 'allowed'")
        EmployerEvent.objects.filter(link__processor=processor).delete()
        EmployerEvent.objects.filter(request__processor=processor).delete()
        EmployerLink.objects.filter(processor=processor).delete()
        EmployerRequest.objects.filter(processor=processor).delete()
        processor.delete()
    user.delete()


# --- measuring -----------------------------------------------------------------------------


@contextmanager
def captured_queries() -> Iterator[Any]:
    """``CaptureQueriesContext`` on the default connection, with room for every query: Django
    keeps only the last 9,000, which a run of 2,000 links exceeds."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    connection.queries_log = deque(maxlen=1_000_000)
    with CaptureQueriesContext(connection) as queries:
        yield queries


@dataclass(frozen=True, slots=True)
class RegisterRun:
    size: int
    register_s: float
    link_s: float
    queries: int

    @property
    def per_employer(self) -> float:
        return self.queries / self.size


def link_counts(processor) -> dict[str, int]:
    from django.db.models import Count

    from employers.models import EmployerLink

    return dict(
        EmployerLink.objects.filter(processor=processor)
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )


def register_and_wait(processor, employers: list[Any], worker_log: Path) -> RegisterRun:

    from employers import services
    from employers.models import LinkStatus

    size = len(employers)
    start = time.monotonic()
    with captured_queries() as queries:
        result = services.links_register(
            processor=processor, employer_ids=[e.id for e in employers], by=processor.user
        )
    registered = time.monotonic()
    if (result.created, result.pending) != (size, size):
        raise RuntimeError(f"links_register: {result}, verwacht {size} nieuw en wachtend")
    deadline = start + LINK_TIMEOUT
    while True:
        counts = link_counts(processor)
        if counts.get(LinkStatus.ACTIVE, 0) == size:
            break
        others = {k: v for k, v in counts.items() if k not in (LinkStatus.ACTIVE, "pending")}
        if others or time.monotonic() > deadline:
            raise RuntimeError(
                f"N={size}: koppelingen {counts} na {time.monotonic() - start:.0f} s\n"
                + worker_log.read_text(errors="replace")[-3_000:]
            )
        time.sleep(0.2)
    done = time.monotonic()
    return RegisterRun(
        size=size, register_s=registered - start, link_s=done - start, queries=len(queries)
    )


_TABLE = re.compile(r'(?:FROM|INTO|UPDATE)\s+"(\w+)"')


def _query_kind(sql: str) -> str:
    """``SELECT employers_employerlink FOR UPDATE``: verb, first table, and what stands out."""
    verb = sql.split(maxsplit=1)[0].upper() if sql.strip() else "?"
    table = _TABLE.search(sql)
    kind = f"{verb} {table.group(1)}" if table else verb
    if verb == "SELECT" and "DISTINCT" in sql:
        kind += " DISTINCT"
    if "FOR UPDATE" in sql:
        kind += " FOR UPDATE"
    return kind


def wait_until_worker_idle(redis_url: str) -> float:
    """Seconds until the worker has nothing running and nothing queued (the mail tasks that
    follow the links), so that what is measured next does not share the CPU with it. The
    processor digest is the beat's (not run here)."""
    from config.celery import app

    queue = redis.Redis.from_url(redis_url, socket_timeout=5)
    start = time.monotonic()
    deadline = start + LINK_TIMEOUT
    while time.monotonic() < deadline:
        if queue.llen("portal") == 0:
            active = app.control.inspect(timeout=1.0).active() or {}
            if active and not any(active.values()):
                return time.monotonic() - start
        time.sleep(0.5)
    raise RuntimeError("de worker wordt niet stil")


@dataclass(frozen=True, slots=True)
class ActivateRun:
    size: int
    seconds: float
    queries: int


def activate_in_process(processor, chunks: tuple[int, ...], *, profile: bool) -> list[ActivateRun]:
    """The worker's service in this process, on chunks of links put back to pending, with Celery
    eager (the mail tasks it enqueues run inside the measured call)."""
    from django.utils import timezone

    from config.celery import app
    from employers import services
    from employers.loket_snapshot import snapshot
    from employers.models import (
        EmployerLink,
        EmployerRequest,
        LinkStatus,
        RequestStatus,
        RequestTaxNumber,
    )

    ids = list(
        EmployerLink.objects.filter(processor=processor, status=LinkStatus.ACTIVE)
        .order_by("pk")
        .values_list("pk", flat=True)[: sum(chunks)]
    )
    request_ids = EmployerLink.objects.filter(pk__in=ids).values("request_id")
    EmployerLink.objects.filter(pk__in=ids).update(
        status=LinkStatus.PENDING, activated_at=None, link_requested_at=timezone.now()
    )
    EmployerRequest.objects.filter(pk__in=request_ids).update(status=RequestStatus.OPEN)
    RequestTaxNumber.objects.filter(request_id__in=request_ids).update(is_open=True)
    snapshot(processor)  # in the cache, as the worker mostly finds it

    app.conf.task_always_eager = True
    runs = []
    try:
        offset = 0
        for size in chunks:
            chunk = ids[offset : offset + size]
            offset += size
            profiler = cProfile.Profile() if profile and size == chunks[0] else None
            start = time.monotonic()
            with captured_queries() as queries:
                if profiler is not None:
                    profiler.enable()
                result = services.links_activate(link_ids=chunk, trigger="bench")
                if profiler is not None:
                    profiler.disable()
            seconds = time.monotonic() - start
            if len(result.activated) != size:
                raise RuntimeError(f"links_activate activeerde {len(result.activated)} van {size}")
            runs.append(ActivateRun(size=size, seconds=seconds, queries=len(queries)))
            if profiler is not None:
                print(f"Profiel van links_activate op {size} koppelingen (cumulatief, top 12):")
                stats = pstats.Stats(profiler, stream=sys.stdout)
                stats.sort_stats("cumulative").print_stats(12)
                print(f"Queries van links_activate op {size} koppelingen, naar soort (top 10):")
                kinds = Counter(_query_kind(q["sql"]) for q in queries)
                for kind, count in kinds.most_common(10):
                    print(f"  {count:>6}  {kind}")
    finally:
        app.conf.task_always_eager = False
    return runs


@dataclass(frozen=True, slots=True)
class PageRun:
    status: int
    cold_ms: float
    warm_ms: list[float]
    queries: int


def render_page(processor, *, profile: bool) -> PageRun:
    from django.core.cache import cache
    from django.test import Client

    from employers.loket_snapshot import _key

    client = Client()
    client.force_login(processor.user)
    cache.delete(_key(processor))
    start = time.monotonic()
    response = client.get(PAGE, secure=True)
    cold_ms = (time.monotonic() - start) * 1000
    if response.status_code != 200:
        return PageRun(status=response.status_code, cold_ms=cold_ms, warm_ms=[], queries=0)
    warm = []
    for _ in range(PAGE_RUNS):
        with captured_queries() as queries:
            start = time.monotonic()
            response = client.get(PAGE, secure=True)
            warm.append((time.monotonic() - start) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"{PAGE} gaf HTTP {response.status_code}")
    query_count = len(queries)  # now: every request empties the connection's query log
    if profile:
        profiler = cProfile.Profile()
        profiler.enable()
        client.get(PAGE, secure=True)
        profiler.disable()
        print(f"Profiel van een warme {PAGE} (cumulatief, top 25):")
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(25)
    return PageRun(status=200, cold_ms=cold_ms, warm_ms=warm, queries=query_count)


# --- the run -------------------------------------------------------------------------------


@dataclass
class Figures:
    runs: dict[int, RegisterRun] = field(default_factory=dict)
    linking: dict[int, list[ActivateRun]] = field(default_factory=dict)
    page: PageRun | None = None


def set_up(stack: ExitStack) -> tuple[list[Any], Path, str]:
    """Database, Redis, sandbox, environment, Django, the 10,000 employers, the worker."""
    stack.enter_context(exclusive_run(LOCK_KEY, "bench/link_10k.py"))
    workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-link-")))
    database_url = stack.enter_context(bench_database(PG_DATABASE))
    redis_url = stack.enter_context(redis_server(workdir)).url

    from locket_client.sandbox import start_sandbox

    sandbox = stack.enter_context(start_sandbox(host="127.0.0.1", port=0))
    env = production_env(
        database_url=database_url,
        redis_url=redis_url,
        loket_endpoint=sandbox.url,
        static_root=workdir / "static",
    )
    for key in list(os.environ):
        if key not in env:
            del os.environ[key]
    os.environ.update(env)

    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    call_command("collectstatic", verbosity=0, interactive=False)

    employers = fetch_groot_employers(sandbox.url)
    worker_log = workdir / "worker.log"
    stack.enter_context(
        celery_worker(env, worker_log, name="bench-link", concurrency=WORKER_CONCURRENCY)
    )
    print(f"Database: PostgreSQL 127.0.0.1:5432/{PG_DATABASE}; Redis {redis_url}")
    print(
        f"Worker: celery -A config worker --concurrency={WORKER_CONCURRENCY} "
        f"(DEBUG=off, mails dummymail); sandbox {sandbox.url} (ws-groot, 10.000 werkgevers)"
    )
    return employers, worker_log, redis_url


def measure(employers: list[Any], worker_log: Path, redis_url: str, *, profile: bool) -> Figures:
    from onboarding.crypto import encrypt_secret

    encrypted_password = encrypt_secret(DEMO_PASSWORD)  # once, shared by the processors
    figures = Figures()
    processor = None
    for size in SIZES:
        if processor is not None:
            delete_run(processor)
        processor = make_processor(encrypted_password=encrypted_password)
        create_requests(processor, employers[:size])
        run = figures.runs[size] = register_and_wait(processor, employers[:size], worker_log)
        print(
            f"N={size:>6}: links_register {run.register_s:5.2f} s, {run.queries} queries "
            f"({run.per_employer:.4f} per werkgever); alle {size} actief na "
            f"{run.link_s:6.2f} s ({size / run.link_s:.0f} koppelingen/s); worker daarna nog "
            f"{wait_until_worker_idle(redis_url):.1f} s bezig (mails)"
        )
        if size == SIZES[-1]:
            page = figures.page = render_page(processor, profile=profile)
            if page.status == 200:
                print(
                    f"N={size:>6}: Werkgeverspagina {PAGE}: koud (live ophalen) "
                    f"{page.cold_ms:.0f} ms; warm "
                    f"{', '.join(f'{ms:.0f}' for ms in page.warm_ms)} ms (mediaan "
                    f"{statistics.median(page.warm_ms):.0f}); {page.queries} queries"
                )
            else:
                print(f"N={size:>6}: Werkgeverspagina {PAGE}: HTTP {page.status}")
        figures.linking[size] = activate_in_process(processor, CHUNKS[size], profile=profile)
        for activate in figures.linking[size]:
            print(
                f"N={size:>6}: links_activate in-process op {activate.size:>5} koppelingen: "
                f"{activate.queries} queries ({activate.queries / activate.size:.2f} per "
                f"koppeling), {activate.seconds:6.2f} s "
                f"({activate.seconds / activate.size * 1000:.1f} ms per koppeling)"
            )
    return figures


def report(figures: Figures) -> None:
    def per_employer(size: int) -> float:
        """Registration (this process) plus linking (the worker's service on a chunk of
        TASK_CHUNK = 200 links, the size every linking task gets)."""
        linking = figures.linking[size][0]
        return figures.runs[size].per_employer + linking.queries / linking.size

    small, large = SIZES
    print(
        "Queries per werkgever (aanmelden + koppelen per 200): "
        f"N={small}: {per_employer(small):.3f}, N={large}: {per_employer(large):.3f}; "
        "koppelen, per koppeling, bij 200 en 2.000 per taak: "
        + ", ".join(f"{a.queries / a.size:.2f}" for a in figures.linking[large])
    )
    page = figures.page
    page_ms = (
        f"{statistics.median(page.warm_ms):.0f}" if page is not None and page.warm_ms else "nan"
    )
    print(
        f"RESULT link_10k_s={figures.runs[large].link_s:.1f} "
        f"queries_per_employer_1k={per_employer(small):.3f} "
        f"queries_per_employer_10k={per_employer(large):.3f} "
        f"werkgevers_page_ms={page_ms}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--profile", action="store_true", help="cProfile the in-process linking of 200 links"
    )
    arguments = parser.parse_args()
    signal.signal(signal.SIGALRM, _give_up)
    signal.signal(signal.SIGTERM, _give_up)
    signal.alarm(BENCH_TIMEOUT)
    try:
        with ExitStack() as stack:
            employers, worker_log, redis_url = set_up(stack)
            figures = measure(employers, worker_log, redis_url, profile=arguments.profile)
    finally:
        signal.alarm(0)
    report(figures)


if __name__ == "__main__":
    main()
