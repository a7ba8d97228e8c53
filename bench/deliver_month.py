"""Benchmark: one month of salary data for 1,000 active links, delivered by a real Celery worker.

In one run, on loopback:

- a bench database, PostgreSQL ``bench_deliver`` on 127.0.0.1:5432 (created, migrated, dropped at
  the end); a private ``redis-server`` for cache and broker (``bench/harness.py``); the Loket.nl
  sandbox in its own process (``manage.py loket_sandbox``), so that serving the answers does
  not share this process's interpreter lock with the measuring;
- a production-like environment (``DEBUG=off``, fresh secrets), the call budget raised for the
  run (``LOKET_CALLS_PER_MINUTE`` and ``DELIVERY_CALLS_PER_MINUTE_PER_ENVIRONMENT``: the
  budget is a deployment's choice, the bench measures the portal, not the budget);
- a real worker: ``celery -A config worker --concurrency=2``.

For N = 100 and N = 1,000: a confirmed processor on the sandbox user ``ws-groot`` with N active
links (the first N ws-groot werkgevers, about 20 dienstverbanden each on average, one of 500),
activated today, so the planner creates exactly one delivery per link: the month that closed
last. Measured:

- ``deliver_s``: wall time from handing the due deliveries to Celery (the sweep, in this
  process) until all N are delivered (polled every 0.2 s), and ``rows_per_s``: the employee,
  employment and wage rows stored in that time;
- ``queries_per_link``: the planner's and the sweep's queries divided by N, plus the queries of
  one delivery (the median of a sample of 10 delivered in this process before the worker starts
  on the rest; ``CaptureQueriesContext``) — it must not grow from N = 100 to N = 1,000;
- ``worker_peak_rss_mb``: the highest total resident memory of the worker's processes (the main
  process and its two children, from ``/proc``), sampled every 0.2 s during the run; the
  N = 1,000 figure against the N = 100 one shows whether it grows with the number of links;
- ``api_page_ms``: a page of 500 wage records of the largest delivery through the API
  (``GET /api/v1/deliveries/<id>/wages/?page_size=500``, Django's test client in this process
  with an OAuth2 token of scope ``read``), the median of 5 warm requests.

Last line: ``RESULT deliver_s=… rows_per_s=… queries_per_link_100=… queries_per_link_1000=…
api_page_ms=… worker_peak_rss_mb=…`` (deliver_s, rows_per_s and worker_peak_rss_mb of
N = 1,000). Targets: deliver_s <= 60, queries per link flat, api_page_ms <= 150, worker memory
not growing with N.

Run: ``.venv/bin/python bench/deliver_month.py`` (needs PostgreSQL and Redis on 127.0.0.1).
"""

from __future__ import annotations

import os
import secrets
import signal
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import (  # noqa: E402
    _start,
    bench_database,
    celery_worker,
    exclusive_run,
    free_port,
    kill,
    production_env,
    redis_server,
)
from bench.link_10k import captured_queries, fetch_groot_employers, make_processor  # noqa: E402

PG_DATABASE = "bench_deliver"
LOCK_KEY = 0x64656C6976657231  # pg advisory lock of this bench ("deliver1")
DEMO_PASSWORD = "Demo#Loket2026"
SIZES = (100, 1_000)
SAMPLE = 10
WORKER_CONCURRENCY = 2
RUN_TIMEOUT = 600.0
BENCH_TIMEOUT = 1_800
API_RUNS = 5


class BenchTimeout(Exception):
    pass


def _give_up(signum: int, frame: FrameType | None) -> None:
    raise BenchTimeout(f"signal {signum}: de benchmark stopt")


@contextmanager
def sandbox_process(workdir: Path, env: dict[str, str]):
    port = free_port()
    log = workdir / "sandbox.log"
    process = _start(
        [sys.executable, "manage.py", "loket_sandbox", "--host", "127.0.0.1", "--port", str(port)],
        {**env, "DEBUG": "on", "DJANGO_SETTINGS_MODULE": "config.settings"},
        log,
    )
    url = f"http://127.0.0.1:{port}/loket/soap"
    import requests

    deadline = time.monotonic() + 60
    while True:
        try:
            if requests.get(url + "?wsdl", timeout=2).status_code == 200:
                break
        except requests.RequestException:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            kill(process)
            raise RuntimeError("de sandbox start niet:\n" + log.read_text(errors="replace"))
        time.sleep(0.2)
    try:
        yield url
    finally:
        kill(process)


def rss_mb(pgid: int) -> float:
    """Total resident memory of the processes in group ``pgid`` (the worker and its children)."""
    total_kb = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) != pgid:  # field 5 of stat: the process group
                continue
            for line in (entry / "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kb += int(line.split()[1])
        except (OSError, IndexError, ValueError):
            continue
    return total_kb / 1024


def create_links(processor, employers: list[Any]) -> None:
    from django.db import connection
    from django.utils import timezone

    from employers.models import EmployerLink, LinkStatus

    now = timezone.now()
    EmployerLink.objects.bulk_create(
        [
            EmployerLink(
                processor=processor,
                loket_employer_id=employer.id,
                employer_name=employer.name,
                kvk_number=employer.kvk_number or "",
                status=LinkStatus.ACTIVE,
                registered_by=processor.user,
                registered_at=now,
                checked_at=now,
                activated_at=now,
            )
            for employer in employers
        ],
        batch_size=2_000,
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


@dataclass
class Run:
    size: int
    deliver_s: float
    rows: int
    queries_per_link: float
    peak_rss_mb: float


def delivered_counts(processor) -> dict[str, int]:
    from django.db.models import Count

    from deliveries.models import Delivery

    return dict(
        Delivery.objects.filter(processor=processor)
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )


def stored_rows(processor) -> int:
    from django.db.models import Sum

    from deliveries.models import DeliveryVersion

    totals = DeliveryVersion.objects.filter(delivery__processor=processor).aggregate(
        e=Sum("employee_count"), d=Sum("employment_count"), w=Sum("wage_count")
    )
    return sum(v or 0 for v in totals.values())


def run_month(processor, employers: list[Any], worker, worker_log: Path) -> Run:
    from deliveries.models import Delivery, DeliveryStatus
    from deliveries.services import delivery as delivery_service
    from deliveries.services import planning, sweeps

    size = len(employers)
    create_links(processor, employers)
    with captured_queries() as planned:
        planning.plan_deliveries()
    ids = list(
        Delivery.objects.filter(processor=processor).order_by("id").values_list("id", flat=True)
    )
    if len(ids) != size:
        raise RuntimeError(f"{len(ids)} leveringen gepland voor {size} koppelingen")
    sample_queries = []
    for delivery_id in ids[:SAMPLE]:
        with captured_queries() as one:
            delivery_service.deliver(delivery_id)
        sample_queries.append(len(one))
    start = time.monotonic()
    with captured_queries() as handed:
        sweeps.hand_out_deliveries()
    peak = 0.0
    while True:
        peak = max(peak, rss_mb(worker.pid))
        counts = delivered_counts(processor)
        if counts.get(DeliveryStatus.DELIVERED, 0) >= size:
            break
        if time.monotonic() - start > RUN_TIMEOUT:
            raise RuntimeError(
                f"na {RUN_TIMEOUT:.0f} s: {counts}\n"
                + worker_log.read_text(errors="replace")[-3_000:]
            )
        time.sleep(0.2)
    seconds = time.monotonic() - start
    per_link = (len(planned) + len(handed)) / size + statistics.median(sample_queries)
    return Run(size, seconds, stored_rows(processor), per_link, peak)


def api_page_ms(processor) -> tuple[float, int]:
    """Median ms of 5 warm requests for 500 wage records of the largest delivery; the rows."""
    import datetime

    from django.test import Client
    from django.utils import timezone
    from oauth2_provider.models import AccessToken, Application

    from deliveries.models import Delivery

    delivery = (
        Delivery.objects.filter(processor=processor).order_by("-versions__wage_count").first()
    )
    application = Application.objects.create(
        name="bench",
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
    )
    token = AccessToken.objects.create(
        application=application,
        token=secrets.token_urlsafe(32),
        scope="read",
        expires=timezone.now() + datetime.timedelta(hours=1),
    )
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token.token}")
    url = f"/api/v1/deliveries/{delivery.pk}/wages/?page_size=500"
    timings = []
    rows = 0
    for _ in range(API_RUNS + 1):
        started = time.perf_counter()
        answer = client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
        if answer.status_code != 200:
            raise RuntimeError(f"API {url}: HTTP {answer.status_code} {answer.content[:300]!r}")
        rows = len(answer.json()["results"])
    return statistics.median(timings[1:]), rows


def main() -> None:
    signal.signal(signal.SIGALRM, _give_up)
    signal.signal(signal.SIGTERM, _give_up)
    signal.alarm(BENCH_TIMEOUT)
    runs: dict[int, Run] = {}
    try:
        with ExitStack() as stack:
            stack.enter_context(exclusive_run(LOCK_KEY, "bench/deliver_month.py"))
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-dlv-")))
            database_url = stack.enter_context(bench_database(PG_DATABASE))
            redis_url = stack.enter_context(redis_server(workdir)).url
            base_env = production_env(
                database_url=database_url,
                redis_url=redis_url,
                loket_endpoint="http://127.0.0.1:1/loket/soap",
                static_root=workdir / "static",
            )
            endpoint = stack.enter_context(sandbox_process(workdir, base_env))
            env = {
                **base_env,
                "LOKET_ENDPOINT": endpoint,
                "LOKET_CALLS_PER_MINUTE": "100000",
                "DELIVERY_CALLS_PER_MINUTE_PER_ENVIRONMENT": "100000",
            }
            for key in list(os.environ):
                if key not in env:
                    del os.environ[key]
            os.environ.update(env)

            import django
            from django.core.management import call_command

            django.setup()
            call_command("migrate", verbosity=0, interactive=False)
            from onboarding.crypto import encrypt_secret

            employers = fetch_groot_employers(endpoint)
            worker_log = workdir / "worker.log"
            worker = stack.enter_context(
                celery_worker(env, worker_log, name="bench-deliver", concurrency=WORKER_CONCURRENCY)
            )
            print(f"Database: PostgreSQL 127.0.0.1:5432/{PG_DATABASE}; Redis {redis_url}")
            print(
                f"Worker: celery -A config worker --concurrency={WORKER_CONCURRENCY} "
                f"(DEBUG=off); sandbox {endpoint} (ws-groot) in its own process"
            )
            encrypted = encrypt_secret(DEMO_PASSWORD)
            for size in SIZES:
                processor = make_processor(encrypted_password=encrypted)
                run = runs[size] = run_month(processor, employers[:size], worker, worker_log)
                print(
                    f"N={size:>5}: {size} leveringen in {run.deliver_s:6.2f} s "
                    f"({size / run.deliver_s:.0f}/s), {run.rows} rijen "
                    f"({run.rows / run.deliver_s:.0f}/s), {run.queries_per_link:.2f} queries "
                    f"per koppeling, worker piek {run.peak_rss_mb:.0f} MB"
                )
            page_ms, rows = api_page_ms(processor)
            print(f"API: {rows} loonregels per pagina in {page_ms:.1f} ms (mediaan, warm)")
    finally:
        signal.alarm(0)
    big = runs[SIZES[-1]]
    print(
        f"RESULT deliver_s={big.deliver_s:.1f} rows_per_s={big.rows / big.deliver_s:.0f} "
        f"queries_per_link_100={runs[100].queries_per_link:.2f} "
        f"queries_per_link_1000={runs[1000].queries_per_link:.2f} "
        f"api_page_ms={page_ms:.1f} worker_peak_rss_mb={big.peak_rss_mb:.0f}"
    )


if __name__ == "__main__":
    main()
