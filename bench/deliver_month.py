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

For N = 100 and then N = 1,000: a confirmed processor on the sandbox user ``ws-groot`` gets N
active links, each with its verified request (werkgevers 1001-1100, then 1-1000: 19,939
dienstverbanden, four werkgevers of 500; werkgever 7 is paid 4-weekly), activated today, so the
planner creates one delivery per link: the month that closed last (for werkgever 7 that delivery
stops when its answer shows 4-weekly pay, and its last closed 4-weekly period is delivered
instead). Measured:

- ``deliver_s``: wall time from handing the due deliveries to Celery (the sweep, in this
  process) until all N are delivered (polled every 0.2 s), and ``rows_per_s``: the employee,
  employment and wage rows stored in that time;
- ``queries_per_link``: the planner's and the sweep's queries divided by N, plus the queries of
  one delivery (the median of a sample of 10 delivered in this process before the worker starts
  on the rest; ``CaptureQueriesContext``) — it must not grow from N = 100 to N = 1,000;
- ``worker_peak_rss_mb``: the highest total resident memory of the worker's processes (the main
  process and its two children, from ``/proc``), sampled every 0.2 s during the run; the
  N = 1,000 figure against the N = 100 one shows whether it grows with the number of links;
- ``api_page_ms``: a page of 500 wage records through the API (``GET
  /api/v1/wages/?period=<the month>&page_size=500``, Django's test client in this process, with
  an OAuth2 token of scope ``read`` taken at the token endpoint), the median of 5 warm
  requests; the largest single delivery's page (430 records) is printed too.

Last line: ``RESULT deliver_s=… rows_per_s=… queries_per_link_100=… queries_per_link_1000=…
api_page_ms=… worker_peak_rss_mb=…`` (deliver_s, rows_per_s and worker_peak_rss_mb of
N = 1,000). Targets: deliver_s <= 60, queries per link flat, api_page_ms <= 150, worker memory
not growing with N.

Run: ``.venv/bin/python bench/deliver_month.py`` (needs PostgreSQL and Redis on 127.0.0.1).
"""

from __future__ import annotations

import os
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
    """An active link per employer, each with the verified (linked) request it came from."""
    from django.db import connection
    from django.utils import timezone

    from employers.models import EmployerLink, EmployerRequest, LinkStatus

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
                status="linked",
                created_at=now,
            )
            for employer in employers
        ],
        batch_size=2_000,
    )
    EmployerLink.objects.bulk_create(
        [
            EmployerLink(
                processor=processor,
                loket_employer_id=employer.id,
                employer_name=employer.name,
                kvk_number=employer.kvk_number or "",
                request=request,
                status=LinkStatus.ACTIVE,
                registered_by=processor.user,
                registered_at=now,
                checked_at=now,
                activated_at=now,
            )
            for employer, request in zip(employers, requests, strict=True)
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
    counts: dict[str, int]


def run_counts(links: list[int]) -> dict[str, int]:
    from django.db.models import Count, Q

    from deliveries.models import Delivery

    return Delivery.objects.filter(link_id__in=links).aggregate(
        delivered=Count("id", filter=Q(status="delivered")),
        stopped=Count("id", filter=Q(status="stopped")),
        failed=Count("id", filter=Q(status="failed", will_retry=False)),
        open=Count("id", filter=Q(status__in=("pending", "retrieving")) | Q(will_retry=True)),
    )


def stored_rows(links: list[int]) -> int:
    from django.db.models import Sum

    from deliveries.models import DeliveryVersion

    totals = DeliveryVersion.objects.filter(delivery__link_id__in=links).aggregate(
        e=Sum("employee_count"), d=Sum("employment_count"), w=Sum("wage_count")
    )
    return sum(v or 0 for v in totals.values())


def run_month(processor, employers: list[Any], worker, worker_log: Path) -> Run:
    from deliveries import services
    from deliveries.models import Delivery
    from employers.models import EmployerLink

    size = len(employers)
    before = set(Delivery.objects.filter(processor=processor).values_list("id", flat=True))
    known_links = set(EmployerLink.objects.filter(processor=processor).values_list("id", flat=True))
    create_links(processor, employers)
    links = sorted(
        set(EmployerLink.objects.filter(processor=processor).values_list("id", flat=True))
        - known_links
    )
    with captured_queries() as planned:
        services.deliveries_plan()
    ids = sorted(
        set(Delivery.objects.filter(processor=processor).values_list("id", flat=True)) - before
    )
    if len(ids) != size:
        raise RuntimeError(f"{len(ids)} leveringen gepland voor {size} koppelingen")
    sample_queries = []
    for delivery_id in ids[:SAMPLE]:
        with captured_queries() as one:
            services.deliver(delivery_id=delivery_id)
        sample_queries.append(len(one))
    start = time.monotonic()
    with captured_queries() as handed:
        services.deliveries_hand_out()
    peak = 0.0
    while True:
        peak = max(peak, rss_mb(worker.pid))
        counts = run_counts(links)
        # Done when nothing of the run waits: every delivery delivered, or stopped because its
        # werkgever pays in another period type (werkgever 7: its 4-weekly delivery replaces it).
        if not counts["open"]:
            break
        if time.monotonic() - start > RUN_TIMEOUT:
            raise RuntimeError(
                f"na {RUN_TIMEOUT:.0f} s: {counts}\n"
                + worker_log.read_text(errors="replace")[-3_000:]
            )
        time.sleep(0.2)
    seconds = time.monotonic() - start
    if counts["failed"] or counts["delivered"] < size - counts["stopped"]:
        raise RuntimeError(f"niet alles geleverd: {counts}")
    per_link = (len(planned) + len(handed)) / size + statistics.median(sample_queries)
    return Run(size, seconds, stored_rows(links), per_link, peak, counts)


def api_page_ms(processor) -> dict[str, tuple[float, int]]:
    """Median ms of 5 warm requests, and the rows, for a page of 500 wage records of the month
    (``/api/v1/wages/?period=…``, across the deliveries) and for the wages of the largest
    delivery (``/api/v1/deliveries/<id>/wages/``: 430 records, its paid werknemers).

    The client is made as a.s.r.'s staff make one (``manage.py api_client``), its token taken
    at the token endpoint with client credentials, as a.s.r.'s systems take it."""
    import io

    from django.core.management import call_command
    from django.test import Client

    from deliveries.models import Delivery

    delivery = (
        Delivery.objects.filter(processor=processor, status="delivered")
        .order_by("-versions__wage_count")
        .first()
    )
    out = io.StringIO()
    call_command("api_client", "bench", stdout=out)
    credentials = dict(line.split("=", 1) for line in out.getvalue().split())
    client = Client()
    answer = client.post(
        "/api/oauth/token/",
        {"grant_type": "client_credentials", "scope": "read"},
        HTTP_AUTHORIZATION=basic_auth(credentials["client_id"], credentials["client_secret"]),
    )
    if answer.status_code != 200:
        raise RuntimeError(f"token: HTTP {answer.status_code} {answer.content[:300]!r}")
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {answer.json()['access_token']}"}
    figures = {}
    for name, url in (
        ("period", f"/api/v1/wages/?period={delivery.period_obj.label()}&page_size=500"),
        ("delivery", f"/api/v1/deliveries/{delivery.pk}/wages/?page_size=500"),
    ):
        timings = []
        rows = 0
        for _ in range(API_RUNS + 1):
            started = time.perf_counter()
            answer = client.get(url, **bearer)
            timings.append((time.perf_counter() - started) * 1000)
            if answer.status_code != 200:
                raise RuntimeError(f"API {url}: HTTP {answer.status_code} {answer.content[:300]!r}")
            rows = len(answer.json()["results"])
        figures[name] = (statistics.median(timings[1:]), rows)
    return figures


def basic_auth(user: str, password: str) -> str:
    import base64
    from urllib.parse import quote

    raw = f"{quote(user, safe='')}:{quote(password, safe='')}".encode()
    return "Basic " + base64.b64encode(raw).decode("ascii")


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
            processor = make_processor(encrypted_password=encrypt_secret(DEMO_PASSWORD))
            # N = 100: werkgevers 1001-1100; N = 1,000: werkgevers 1-1000 (19,939 dienstverbanden:
            # the sandbox's sizes repeat per 1,000 werkgevers), both for the one processor.
            for size, chosen in ((100, employers[1000:1100]), (1_000, employers[:1000])):
                run = runs[size] = run_month(processor, chosen, worker, worker_log)
                print(
                    f"N={size:>5}: {run.counts['delivered']} geleverd, {run.counts['stopped']} "
                    "gestopt (andere verloningsperiode, opnieuw als 4-wekelijks geleverd); "
                    f"{size} koppelingen in {run.deliver_s:6.2f} s "
                    f"({size / run.deliver_s:.0f}/s), {run.rows} rijen "
                    f"({run.rows / run.deliver_s:.0f}/s), {run.queries_per_link:.2f} queries "
                    f"per koppeling, worker piek {run.peak_rss_mb:.0f} MB"
                )
            pages = api_page_ms(processor)
            for name, (ms, rows) in pages.items():
                print(f"API ({name}): {rows} loonregels per pagina in {ms:.1f} ms (mediaan, warm)")
            page_ms, rows = pages["period"]
            if rows != 500:
                raise RuntimeError(f"de pagina van de periode heeft {rows} loonregels, niet 500")
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
