"""Fault drills of the production shape: nothing lost, nothing twice, nothing late.

In one run, on loopback only: PostgreSQL (a database ``bench_drill``, dropped at the end), a
private ``redis-server`` on a free port (the cache and the broker; restarted empty in drill A),
the Loket.nl sandbox (``TRAAG`` answers after 3 s), gunicorn (2 workers), two Celery workers
(``--concurrency=2``) and one beat, in a production-like environment (``DEBUG=off``) with
``CELERY_TASK_TIME_LIMIT=30``, ``CELERY_VISIBILITY_TIMEOUT=60`` and ``CELERY_MAX_RETRY_DELAY=20``
(start-up refuses a visibility timeout not above the two together); drill C's workers run with
the production default of 3,600 s. Mails go over SMTP to a sink in this process that notes when
each arrives.

- **A. Redis restarted empty with tasks waiting.** Both workers stopped; 5 registrations and 10
  employer requests submitted over HTTP (the processor registered those employers already, so
  each request makes a link pending); Redis killed and started again, empty, while the pages are
  polled; the workers started again. Expected: each registration's receipt and a.s.r.'s notice,
  each request's confirmation, the processor's notice and the "link active" mail. Late: from the
  moment the workers are back.
- **B. A mail claim that meets a held row.** Five requests with their mails due; another
  transaction holds their rows (as the linking task or a visibility check does) while their mail
  tasks run, for 10 s. Late: from the moment the rows are free.
- **C. A worker killed mid-chunk.** 400 requests and registrations of a processor on ``TRAAG``;
  the linking tasks (two chunks of 200) start, and both workers are killed (SIGKILL to the
  process group) while the tasks wait for Loket.nl, then started again at once, as a supervisor
  would. Recovery: from the kill until all 400 links are active. Each link must become active
  once, and each employer get one "link active" mail (late: from its activation).
- **D.** Every page answer of the drills is counted; a 5xx is a failure.

Last line: ``RESULT lost=… duplicated=… late_mail_max_s=… recovery_after_kill_s=… http_5xx=…``
(targets 0, 0, ≤ 60, ≤ 60, 0). Bounded: 15 minutes at most (SIGALRM), then everything is killed
and dropped. Run: ``.venv/bin/python bench/drill.py`` (or ``make drill``).
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import os
import re
import signal
import socketserver
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
import requests  # noqa: E402

from bench.harness import (  # noqa: E402
    RedisServer,
    bench_database,
    exclusive_run,
    free_port,
    gunicorn,
    kill,
    production_env,
    redis_server,
    start_beat,
    start_worker,
    stop,
)

DATABASE = "bench_drill"
LOCK_KEY = 0x6472696C6C  # pg advisory lock of this bench ("drill")
DEMO_PASSWORD = "Demo#Loket2026"
TRAAG_DELAY = 3.0
REGISTRATIONS = 5
REQUESTS_A = 10
REQUESTS_B = 5
LINKS_C = 400
HOLD_SECONDS = 10.0
WAIT_SECONDS = 240.0  # how long a drill waits for what it expects before counting it lost
BENCH_TIMEOUT = 900
TIMEOUTS = {
    "CELERY_TASK_TIME_LIMIT": "30",
    "CELERY_VISIBILITY_TIMEOUT": "60",
    "CELERY_MAX_RETRY_DELAY": "20",
    "LOKET_TIMEOUT": "5",
    "CHECKS_PER_IP_PER_HOUR": "10000",
    "CHECK_FAILURES_PER_OMGEVINGSCODE_PER_DAY": "10000",  # drill A's failing users, every run
}


class BenchTimeout(Exception):
    pass


def _give_up(signum: int, frame: FrameType | None) -> None:
    raise BenchTimeout(f"signal {signum}: de drill stopt")


# --- the mail sink -------------------------------------------------------------------------------


@dataclass
class Mailbox:
    """Every mail the portal sent: (recipient, subject) -> arrival times."""

    arrivals: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, recipients: list[str], data: bytes) -> None:
        message = email.message_from_bytes(data, policy=email.policy.default)
        subject = " ".join(str(message["Subject"] or "").split())
        now = time.monotonic()
        with self.lock:
            for recipient in recipients:
                self.arrivals.setdefault((recipient.lower(), subject), []).append(now)

    def count(self, key: tuple[str, str]) -> int:
        with self.lock:
            return len(self.arrivals.get(key, ()))

    def first(self, key: tuple[str, str]) -> float | None:
        with self.lock:
            times = self.arrivals.get(key)
            return times[0] if times else None


class _SMTPHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP for Django's backend: EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT."""

    def _reply(self, line: str) -> None:
        self.wfile.write(line.encode("ascii") + b"\r\n")

    def handle(self) -> None:
        mailbox: Mailbox = self.server.mailbox  # type: ignore[attr-defined]
        self._reply("220 drill ESMTP")
        recipients: list[str] = []
        while True:
            raw = self.rfile.readline()
            if not raw:
                return
            verb = raw.decode("ascii", "replace").strip().upper()
            if verb.startswith(("EHLO", "HELO")):
                self._reply("250 drill")
            elif verb.startswith("MAIL FROM"):
                recipients = []
                self._reply("250 OK")
            elif verb.startswith("RCPT TO"):
                address = re.search(r"<([^>]*)>", raw.decode("ascii", "replace"))
                recipients.append(address.group(1) if address else "")
                self._reply("250 OK")
            elif verb == "DATA":
                self._reply("354 go ahead")
                lines = []
                while (line := self.rfile.readline()) not in (b".\r\n", b".\n", b""):
                    lines.append(line[1:] if line.startswith(b"..") else line)
                mailbox.add(recipients, b"".join(lines))
                self._reply("250 OK")
            elif verb in ("RSET", "NOOP"):
                recipients = [] if verb == "RSET" else recipients
                self._reply("250 OK")
            elif verb == "QUIT":
                self._reply("221 bye")
                return
            else:
                self._reply("502 not implemented")


class _SMTPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


@contextmanager
def mail_sink() -> Iterator[tuple[Mailbox, int]]:
    server = _SMTPServer(("127.0.0.1", free_port()), _SMTPHandler)
    server.mailbox = Mailbox()  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.mailbox, server.server_address[1]  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()


# --- the portal over HTTP ------------------------------------------------------------------------


@dataclass
class Browser:
    """Plain HTTP to gunicorn; every answer's status is counted (5xx is what the drills count)."""

    base: str
    statuses: Counter[int] = field(default_factory=Counter)

    def get(self, path: str) -> requests.Response:
        response = requests.get(self.base + path, timeout=30, allow_redirects=False)
        self.statuses[response.status_code] += 1
        return response

    def post_form(self, path: str, data: dict[str, str]) -> requests.Response:
        """GET the form for its CSRF cookie and token, then POST it (the cookie is ``Secure``
        with ``DEBUG=off``, so it is sent by hand over this plain-HTTP loopback)."""
        form = self.get(path)
        token = form.cookies.get("csrftoken", "")
        hidden = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
        response = requests.post(
            self.base + path,
            data={**data, "csrfmiddlewaretoken": hidden.group(1) if hidden else ""},
            headers={"Cookie": f"csrftoken={token}", "Origin": self.base},
            timeout=60,
            allow_redirects=False,
        )
        self.statuses[response.status_code] += 1
        if response.status_code != 302:
            raise RuntimeError(f"POST {path} gaf {response.status_code}, geen doorverwijzing")
        return response

    @property
    def server_errors(self) -> int:
        return sum(count for status, count in self.statuses.items() if status >= 500)


# --- the production shape ------------------------------------------------------------------------


@dataclass
class Shape:
    env: dict[str, str]
    workdir: Path
    redis: RedisServer
    browser: Browser
    mailbox: Mailbox
    sandbox_url: str
    workers: list[Any] = field(default_factory=list)

    def start_workers(self, **extra: str) -> None:
        env = {**self.env, **extra}
        self.workers = [
            start_worker(env, self.workdir / f"worker-{n}.log", name=f"drill-{n}") for n in (1, 2)
        ]

    def stop_workers(self, *, hard: bool = False) -> None:
        for worker in self.workers:
            (kill if hard else stop)(worker)
        self.workers = []


def set_up(stack: ExitStack) -> Shape:
    stack.enter_context(exclusive_run(LOCK_KEY, "bench/drill.py"))
    workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-drill-")))
    database_url = stack.enter_context(bench_database(DATABASE))
    server = stack.enter_context(redis_server(workdir))
    mailbox, smtp_port = stack.enter_context(mail_sink())

    from locket_client.sandbox import start_sandbox

    sandbox = stack.enter_context(start_sandbox(host="127.0.0.1", port=0, slow_delay=TRAAG_DELAY))
    env = production_env(
        database_url=database_url,
        redis_url=server.url,
        loket_endpoint=sandbox.url,
        static_root=workdir / "static",
        EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}",
        **TIMEOUTS,
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

    base = stack.enter_context(gunicorn(env, workdir / "gunicorn.log"))
    shape = Shape(
        env=env,
        workdir=workdir,
        redis=server,
        browser=Browser(base),
        mailbox=mailbox,
        sandbox_url=sandbox.url,
    )
    shape.start_workers()
    stack.callback(shape.stop_workers, hard=True)
    beat = start_beat(env, workdir)
    stack.callback(kill, beat)
    print(
        f"Productievorm: gunicorn {base}, 2 workers (--concurrency=2), 1 beat, PostgreSQL "
        f"{DATABASE}, Redis {server.url}, sandbox {sandbox.url} (TRAAG {TRAAG_DELAY:g} s), "
        f"SMTP 127.0.0.1:{smtp_port}; " + ", ".join(f"{k}={v}" for k, v in TIMEOUTS.items())
    )
    return shape


# --- data ----------------------------------------------------------------------------------------


def groot_employers(endpoint: str) -> list[Any]:
    from locket_client.client import LoketClient
    from locket_client.types import Credentials

    client = LoketClient(endpoint=endpoint, timeout=60)
    return client.employers(
        Credentials(omgevingscode="DEMO001", gebruikersnaam="ws-groot", wachtwoord=DEMO_PASSWORD)
    )


def make_processor(name: str, *, omgevingscode: str = "DEMO001", username: str = "ws-groot"):
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from onboarding.crypto import encrypt_secret
    from onboarding.models import PayrollProcessor, Status

    user = get_user_model().objects.create_user(username=f"{name}@drill.example.nl")
    now = timezone.now()
    return PayrollProcessor.objects.create(
        company_name=f"Salarisbureau {name}",
        email=user.username,
        omgevingscode=omgevingscode,
        loket_username=username,
        loket_password_encrypted=encrypt_secret(DEMO_PASSWORD),
        status=Status.ACTIVE,
        consent_at=now,
        confirmed_at=now,
        activated_at=now,
        checked_at=now,
        user=user,
    )


def create_requests(processor, employers: list[Any], *, prefix: str, mailed: bool) -> list[Any]:
    """Requests for ``employers`` straight in the database (no task): ``mailed`` says whether
    their confirmation mails count as sent already."""
    from django.utils import timezone

    from employers.models import EmployerRequest, RequestTaxNumber

    now = timezone.now()
    created = EmployerRequest.objects.bulk_create(
        [
            EmployerRequest(
                company_name=f"{prefix} {employer.name}",
                kvk_number=employer.kvk_number,
                contact_name=f"Contact {employer.number}",
                contact_email=f"{prefix}-{employer.number}@werkgever.example.nl",
                processor=processor,
                consent_at=now,
                verified_at=now,
                status="open",
                created_at=now,
                mails_sent_at=now if mailed else None,
            )
            for employer in employers
        ]
    )
    RequestTaxNumber.objects.bulk_create(
        [
            RequestTaxNumber(request=employer_request, number=number, is_open=True)
            for employer_request, employer in zip(created, employers, strict=True)
            for number in employer.payroll_tax_numbers
        ]
    )
    return created


# --- waiting and counting ------------------------------------------------------------------------


@dataclass
class Tally:
    lost: int = 0
    duplicated: int = 0
    late: list[float] = field(default_factory=list)

    def add(self, other: Tally) -> None:
        self.lost += other.lost
        self.duplicated += other.duplicated
        self.late += other.late


def wait_for_mails(
    mailbox: Mailbox, expected: dict[tuple[str, str], float], *, settle: float = 20.0
) -> Tally:
    """Wait until each expected mail arrived (or ``WAIT_SECONDS``), then a little longer for
    duplicates. ``expected`` maps each mail to the moment lateness counts from."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline and any(mailbox.count(key) == 0 for key in expected):
        time.sleep(0.25)
    time.sleep(settle)
    tally = Tally()
    for key, since in expected.items():
        arrived = mailbox.first(key)
        if arrived is None:
            tally.lost += 1
            print(f"  kwijt: {key}")
            continue
        tally.late.append(arrived - since)
        tally.duplicated += mailbox.count(key) - 1
    return tally


def poll(probe: Callable[[], None], until: threading.Event) -> threading.Thread:
    def run() -> None:
        while not until.is_set():
            # A refused connection is not an answer (gunicorn itself stays up).
            with contextlib.suppress(requests.RequestException):
                probe()
            time.sleep(0.2)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def subject(template: str, **context: Any) -> str:
    from django.template.loader import render_to_string
    from django.utils import translation

    with translation.override("nl"):
        return " ".join(render_to_string(f"{template}_subject.txt", context).split())


# --- the drills ----------------------------------------------------------------------------------


def drill_a(shape: Shape, employers: list[Any]) -> Tally:
    """Redis restarted empty while tasks waited in it."""
    from django.conf import settings

    from employers import services

    processor = make_processor("drill-a")
    services.links_register(
        processor=processor, employer_ids=[e.id for e in employers], by=None
    )  # awaiting the requests: nothing is enqueued
    shape.stop_workers()
    status_paths = []
    expected: dict[tuple[str, str], Any] = {}
    for n in range(REGISTRATIONS):
        address, company = f"drill-a-{n}@salarisbureau.example.nl", f"Drill A {n}"
        answer = shape.browser.post_form(
            "/aanmelden/",
            {
                "company_name": company,
                "email": address,
                "omgevingscode": "DEMO001",
                "loket_username": f"ws-drill-{n}",  # no such user: the check fails, as it may
                "loket_password": DEMO_PASSWORD,
                "consent": "on",
            },
        )
        status_paths.append(answer.headers["Location"])
        expected[(address, subject("onboarding/emails/received"))] = None
        expected[
            (
                settings.ASR_NOTIFY_EMAIL,
                subject("onboarding/emails/asr_notification", processor={"company_name": company}),
            )
        ] = None
    for employer in employers:
        contact, company = f"drill-a-{employer.number}@werkgever.example.nl", employer.name
        shape.browser.post_form(
            "/salariskoppeling/aanvragen/",
            {
                "company_name": company,
                "kvk_number": employer.kvk_number,
                "tax_numbers": "\n".join(employer.payroll_tax_numbers),
                "contact_name": f"Contact {employer.number}",
                "contact_email": contact,
                "contact_phone": "",
                "processor": str(processor.pk),
                "consent": "on",
            },
        )
        about = {"company_name": company, "kvk_number": employer.kvk_number}
        expected[
            (contact, subject("employers/emails/request_received", employer_request=about))
        ] = None
        expected[
            (processor.email, subject("employers/emails/request_new", employer_request=about))
        ] = None
        expected[(contact, subject("employers/emails/link_active", employer_request=about))] = None

    done = threading.Event()
    pollers = [
        poll(lambda: shape.browser.get(status_paths[0]), done),
        poll(lambda: shape.browser.get("/"), done),
    ]
    shape.redis.kill()
    time.sleep(2)  # Redis is down: pages and the beat meet a refused connection
    shape.redis.start()  # empty: the tasks that waited are gone
    time.sleep(2)
    done.set()
    for thread in pollers:
        thread.join(5)
    shape.start_workers()
    recovered = time.monotonic()
    tally = wait_for_mails(shape.mailbox, dict.fromkeys(expected, recovered))
    print(
        f"A. Redis leeg herstart met {REGISTRATIONS} aanmeldingen en {REQUESTS_A} aanvragen in de "
        f"wachtrij: {len(expected) - tally.lost}/{len(expected)} mails aangekomen, "
        f"{tally.duplicated} dubbel, laatste {max(tally.late, default=0):.1f} s na herstel"
    )
    return tally


def drill_b(shape: Shape, employers: list[Any]) -> Tally:
    """Mail tasks that meet rows another transaction holds."""
    from celery import current_app
    from django.conf import settings

    from employers import task_names
    from employers.models import EmployerRequest

    processor = make_processor("drill-b", username="ws-drill-b")  # never asks Loket.nl
    held = create_requests(processor, employers, prefix="drill-b", mailed=False)
    info = settings.DATABASES["default"]
    expected: dict[tuple[str, str], Any] = {}
    with psycopg.connect(
        host=info["HOST"], port=info["PORT"], user=info["USER"], dbname=info["NAME"]
    ) as other:
        with other.transaction():
            other.execute(
                f'SELECT 1 FROM "{EmployerRequest._meta.db_table}" WHERE id = ANY(%s) FOR UPDATE',
                [[r.pk for r in held]],
            )
            for employer_request in held:
                current_app.send_task(task_names.SEND_REQUEST_MAILS, args=[employer_request.pk])
            time.sleep(HOLD_SECONDS)
        released = time.monotonic()
    for employer_request in held:
        about = {
            "company_name": employer_request.company_name,
            "kvk_number": employer_request.kvk_number,
        }
        expected[
            (
                employer_request.contact_email,
                subject("employers/emails/request_received", employer_request=about),
            )
        ] = released
        expected[
            (processor.email, subject("employers/emails/request_new", employer_request=about))
        ] = released
    tally = wait_for_mails(shape.mailbox, expected)
    print(
        f"B. {REQUESTS_B} mailtaken op rijen die {HOLD_SECONDS:g} s vastgehouden werden: "
        f"{len(expected) - tally.lost}/{len(expected)} mails, {tally.duplicated} dubbel, "
        f"laatste {max(tally.late, default=0):.1f} s na het vrijgeven"
    )
    return tally


@dataclass
class Recovery:
    tally: Tally
    seconds: float


def drill_c(shape: Shape, employers: list[Any]) -> Recovery:
    """Both workers killed while the linking tasks wait for Loket.nl."""
    from celery import current_app
    from django.core.cache import cache
    from django.db.models import Count, Q
    from django.utils import timezone

    from employers import services, task_names
    from employers.models import EmployerLink, LinkStatus, LinkTaxNumber

    processor = make_processor("drill-c", omgevingscode="TRAAG")
    created = create_requests(processor, employers, prefix="drill-c", mailed=True)
    # Registered and requested: pending links, written here so that this drill hands their
    # chunks to the workers itself (as links_register would after commit).
    now = timezone.now()
    links = EmployerLink.objects.bulk_create(
        [
            EmployerLink(
                processor=processor,
                loket_employer_id=employer.id,
                employer_name=employer.name[:200],
                kvk_number=employer.kvk_number or "",
                request=employer_request,
                status=LinkStatus.PENDING,
                link_requested_at=now,
            )
            for employer, employer_request in zip(employers, created, strict=True)
        ]
    )
    LinkTaxNumber.objects.bulk_create(
        [
            LinkTaxNumber(link=link, number=number)
            for link, employer in zip(links, employers, strict=True)
            for number in employer.payroll_tax_numbers
        ]
    )
    cache.clear()  # no snapshot in the cache: each task asks TRAAG (2 x 3 s)
    # The production default visibility timeout (an hour): recovery must not wait for Redis to
    # hand the killed tasks out again.
    production_visibility = {"CELERY_VISIBILITY_TIMEOUT": "3600"}
    shape.stop_workers()
    shape.start_workers(**production_visibility)
    links = EmployerLink.objects.filter(processor=processor)
    ids = list(links.order_by("pk").values_list("pk", flat=True))
    assert links.filter(status=LinkStatus.PENDING).count() == len(employers)
    for start in range(0, len(ids), services.TASK_CHUNK):
        current_app.send_task(task_names.LINK_EMPLOYERS, args=[ids[start : start + 200]])
    deadline = time.monotonic() + 30
    while links.filter(link_claimed_until__isnull=False).count() < len(ids):
        if time.monotonic() > deadline:
            raise RuntimeError("de koppeltaken zijn niet begonnen")
        time.sleep(0.1)
    time.sleep(1)  # inside the Loket.nl calls
    shape.stop_workers(hard=True)
    killed = time.monotonic()
    shape.start_workers(**production_visibility)
    deadline = killed + WAIT_SECONDS
    while links.filter(status=LinkStatus.ACTIVE).count() < len(ids):
        if time.monotonic() > deadline:
            break
        time.sleep(0.25)
    recovered = time.monotonic() - killed
    active = links.filter(status=LinkStatus.ACTIVE).count()

    activated_at = dict(links.values_list("pk", "activated_at"))
    twice = (
        links.annotate(active_events=Count("events", filter=Q(events__to_status="active")))
        .filter(active_events__gt=1)
        .count()
    )
    # The "link active" mail of each employer, late from its activation.
    now_wall, now_mono = timezone.now(), time.monotonic()
    expected: dict[tuple[str, str], Any] = {}
    for link in links.select_related("request"):
        about = {
            "company_name": link.request.company_name,
            "kvk_number": link.request.kvk_number,
        }
        moment = activated_at.get(link.pk)
        since = now_mono - (now_wall - moment).total_seconds() if moment else now_mono
        expected[
            (
                link.request.contact_email,
                subject("employers/emails/link_active", employer_request=about),
            )
        ] = since
    tally = wait_for_mails(shape.mailbox, expected)
    tally.lost += len(ids) - active
    tally.duplicated += twice
    print(
        f"C. beide workers gekild midden in {len(ids) // services.TASK_CHUNK} koppeltaken "
        f"({len(ids)} koppelingen, TRAAG, CELERY_VISIBILITY_TIMEOUT=3600): {active}/{len(ids)} "
        f"actief na {recovered:.1f} s, "
        f"{twice} twee keer geactiveerd; 'koppeling actief'-mails "
        f"{len(expected) - (tally.lost - (len(ids) - active))}/{len(expected)}, "
        f"laatste {max(tally.late, default=0):.1f} s na activering"
    )
    return Recovery(tally=tally, seconds=recovered)


def main() -> None:
    signal.signal(signal.SIGALRM, _give_up)
    signal.signal(signal.SIGTERM, _give_up)
    signal.alarm(BENCH_TIMEOUT)
    try:
        with ExitStack() as stack:
            shape = set_up(stack)
            employers = groot_employers(shape.sandbox_url)
            tally = drill_a(shape, employers[:REQUESTS_A])
            tally.add(drill_b(shape, employers[REQUESTS_A : REQUESTS_A + REQUESTS_B]))
            recovery = drill_c(shape, employers[1_000 : 1_000 + LINKS_C])
            tally.add(recovery.tally)
            http_5xx = shape.browser.server_errors
            statuses = shape.browser.statuses
            print(
                f"D. {sum(statuses.values())} pagina-antwoorden: {dict(sorted(statuses.items()))}"
            )
    finally:
        signal.alarm(0)
    print(
        f"RESULT lost={tally.lost} duplicated={tally.duplicated} "
        f"late_mail_max_s={max(tally.late, default=0):.1f} "
        f"recovery_after_kill_s={recovery.seconds:.1f} http_5xx={http_5xx}"
    )


if __name__ == "__main__":
    main()
