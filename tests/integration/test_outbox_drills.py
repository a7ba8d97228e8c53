"""The fault drills of the production shape, with a real worker on Redis and PostgreSQL: nothing
the portal promises is lost or sent twice when Redis loses its queue, a mail's row is held, the
broker is down when the beat sweeps, or the timeouts do not hold together. (A worker killed
mid-chunk is in test_linking_worker.py; bench/drill.py runs all of them against gunicorn, two
workers and a beat, and measures how late.)"""

from __future__ import annotations

import datetime as dt
import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest
import redis
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from config.celery import app
from employers import services as employer_services
from employers import task_names as employer_tasks
from employers.models import EmployerLink, EmployerRequest, LinkStatus
from employers.services import sweeps
from onboarding import services as onboarding_services
from onboarding import task_names as onboarding_tasks
from onboarding.models import PayrollProcessor, Status
from onboarding.services import outbox as registration_outbox
from tests.employers.conftest import E1, E2, E3, make_processor, submit_verified
from tests.onboarding.conftest import flush_rate_limits
from tests.workers import (
    SILENT_BROKER_DB,
    WORKER_LOG,
    start_worker,
    use_broker,
    wait_for,
    worker_environment,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

DEMO_PASSWORD = "Demo#Loket2026"
NOW = dt.timedelta(0)  # the sweeps without their grace period, as the beat's run after it
DEAD_BROKER = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@pytest.fixture(autouse=True)
def _fresh_state(loket_settings):
    flush_rate_limits()
    cache.clear()
    yield
    cache.clear()


@contextmanager
def _queue_lost_on_restart(redis_base: str, main_broker: str) -> Iterator[None]:
    """Tasks enqueued inside go to a Redis database no worker reads, which is then emptied, as a
    Redis restarted without persistence loses what was waiting in it."""
    silent = f"{redis_base}/{SILENT_BROKER_DB}"
    queue = redis.Redis.from_url(silent)
    queue.flushdb()
    use_broker(silent)
    try:
        yield
        assert queue.llen(app.conf.task_default_queue) > 0  # tasks were waiting...
    finally:
        queue.flushdb()  # ... and are gone
        use_broker(main_broker)


def _mails_to(address: str) -> int:
    """How many mails the session worker sent to ``address`` (its console mail backend prints
    every message into its log)."""
    return WORKER_LOG.read_text(errors="replace").count(f"To: {address}")


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}@example.nl"


def _register(email: str) -> PayrollProcessor:
    return onboarding_services.registration_submit(
        company_name=f"Salarisbureau Drill {uuid.uuid4().hex[:8]}",
        email=email,
        omgevingscode="DEMO001",
        loket_username=f"ws-benefits-{uuid.uuid4().hex[:6]}",
        loket_password=DEMO_PASSWORD,
        client_ip="192.0.2.30",
    )


def _employer_request(processor: PayrollProcessor, contact: str) -> EmployerRequest:
    return submit_verified(
        company_name="Bakkerij Van Dijk B.V.",
        kvk_number="12345678",
        tax_numbers=["144068989L01"],
        contact_name="Jan van Dijk",
        contact_email=contact,
        processor=processor,
    )


# --- Redis restarted empty with tasks waiting ----------------------------------------------------


def test_registration_mails_lost_with_the_queue_arrive_once_after_the_sweep(
    integration_services, celery_worker_process, settings
):
    email = _unique("lost-registration")
    with _queue_lost_on_restart(integration_services, celery_worker_process):
        processor = _register(email)
    processor.refresh_from_db()
    assert processor.received_mail_due_at is not None
    assert processor.asr_notice_due_at is not None

    sent = registration_outbox.unsent_mails_enqueue(older_than=NOW)

    assert sent == {"registration_mails": 1, "status_mails": 0}
    wait_for(
        lambda: (
            not PayrollProcessor.objects.filter(pk=processor.pk)
            .exclude(received_mail_due_at=None, asr_notice_due_at=None)
            .exists()
        )
    )
    # The sweep again (a copy of each task): nothing more is sent.
    assert registration_outbox.unsent_mails_enqueue(older_than=NOW) == {
        "registration_mails": 0,
        "status_mails": 0,
    }
    wait_for(lambda: _mails_to(email) == 1)
    notice = f"Subject: Nieuwe aanmelding salarisverwerker: {processor.company_name}"
    wait_for(lambda: WORKER_LOG.read_text(errors="replace").count(notice) == 1)


def test_employer_mails_and_link_work_lost_with_the_queue_arrive_once_after_the_sweeps(
    integration_services, celery_worker_process
):
    contact = _unique("lost-request")
    processor = make_processor()
    with _queue_lost_on_restart(integration_services, celery_worker_process):
        employer_request = _employer_request(processor, contact)
        employer_services.links_register(processor=processor, employer_ids=[E1], by=None)
    link = EmployerLink.objects.get(processor=processor)
    assert link.status == LinkStatus.PENDING

    assert sweeps.pending_links_enqueue(older_than=NOW) == 1
    assert sweeps.unsent_mails_enqueue(older_than=NOW)["request_mails"] == 1

    wait_for(lambda: EmployerLink.objects.get(pk=link.pk).employer_notified_at is not None)
    wait_for(lambda: EmployerRequest.objects.get(pk=employer_request.pk).mails_sent_at is not None)
    wait_for(lambda: _mails_to(contact) == 2)  # the confirmation, then "link active"
    assert sweeps.unsent_mails_enqueue(older_than=NOW) == {
        "request_mails": 0,
        "problem_mails": 0,
        "link_active_mails": 0,
    }


def test_link_active_mails_lost_between_commit_and_enqueue_are_sent_by_the_sweep(
    integration_services, celery_worker_process
):
    """The linking task committed its chunk but its worker died before handing the mails to
    Redis: the links are active, their mails due, and the sweep sends them."""
    contact = _unique("lost-active")
    processor = make_processor()
    with _queue_lost_on_restart(integration_services, celery_worker_process):
        _employer_request(processor, contact)
        employer_services.links_register(processor=processor, employer_ids=[E1], by=None)
        link = EmployerLink.objects.get(processor=processor)
        employer_services.links_activate(link_ids=[link.pk], trigger="test")
    link.refresh_from_db()
    assert link.status == LinkStatus.ACTIVE
    assert link.employer_notified_at is None

    assert sweeps.unsent_mails_enqueue(older_than=NOW)["link_active_mails"] == 1

    wait_for(lambda: EmployerLink.objects.get(pk=link.pk).employer_notified_at is not None)


# --- a mail claim that meets a held row -----------------------------------------------------------


@contextmanager
def _row_held(table: str, pk: int) -> Iterator[threading.Event]:
    """Another transaction (its own connection) holds the row ``FOR UPDATE``, as the linking
    task or a visibility check does, until the yielded event is set (or the block ends)."""
    info = connection.settings_dict
    locked, done = threading.Event(), threading.Event()

    def hold() -> None:
        with (
            psycopg.connect(
                host=info["HOST"], port=info["PORT"], user=info["USER"], dbname=info["NAME"]
            ) as other,
            other.transaction(),
        ):
            other.execute(f'SELECT 1 FROM "{table}" WHERE id = %s FOR UPDATE', [pk])
            locked.set()
            done.wait(120)

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    assert locked.wait(10)
    try:
        yield done
    finally:
        done.set()
        thread.join(10)


def test_a_mail_whose_row_is_held_goes_out_once_the_row_is_free_not_at_the_next_sweep(
    celery_worker_process,
):
    contact = _unique("held")
    processor = make_processor()
    use_broker("memory://")  # the request's own tasks are held back: this drill sends the mail
    try:
        employer_request = _employer_request(processor, contact)
    finally:
        use_broker(celery_worker_process)

    with _row_held(EmployerRequest._meta.db_table, employer_request.pk) as release:
        task_id = app.send_task(employer_tasks.SEND_REQUEST_MAILS, args=[employer_request.pk]).id
        # The task met the held row: nothing sent, and it waits a few seconds, not minutes.
        retrying = f"[{task_id}] retry: Retry in 5s"
        wait_for(lambda: retrying in WORKER_LOG.read_text(errors="replace"))
        assert EmployerRequest.objects.get(pk=employer_request.pk).mails_sent_at is None
        release.set()

    wait_for(lambda: EmployerRequest.objects.get(pk=employer_request.pk).mails_sent_at is not None)
    wait_for(lambda: _mails_to(contact) == 1)


# --- the beat's sweeps while Redis is down --------------------------------------------------------


def test_a_sweep_that_cannot_reach_the_broker_leaves_everything_due_for_the_next_run(
    integration_services, celery_worker_process
):
    """The beat skips its runs while Redis is down, or a run fails to enqueue: every sweep is
    idempotent, so the first run after Redis is back catches up on everything."""
    contact = _unique("beat-down")
    processor = make_processor()
    with _queue_lost_on_restart(integration_services, celery_worker_process):
        employer_request = _employer_request(processor, contact)
        registration = _register(_unique("beat-down-registration"))
        employer_services.links_register(processor=processor, employer_ids=[E1], by=None)
    link = EmployerLink.objects.get(processor=processor)

    use_broker(DEAD_BROKER)
    try:
        for sweep in (
            lambda: sweeps.pending_links_enqueue(older_than=NOW),
            lambda: sweeps.unsent_mails_enqueue(older_than=NOW),
            lambda: registration_outbox.unsent_mails_enqueue(older_than=NOW),
            lambda: onboarding_services.pending_checks_enqueue(older_than=NOW),
        ):
            with pytest.raises(Exception):  # noqa: B017, PT011 - whatever kombu raises
                sweep()
    finally:
        use_broker(celery_worker_process)

    link.refresh_from_db()
    assert link.status == LinkStatus.PENDING
    assert link.link_requested_at <= timezone.now()  # not re-armed into the future
    assert sweeps.pending_links_enqueue(older_than=NOW) == 1
    assert sweeps.unsent_mails_enqueue(older_than=NOW)["request_mails"] == 1
    assert registration_outbox.unsent_mails_enqueue(older_than=NOW)["registration_mails"] == 1
    assert onboarding_services.pending_checks_enqueue(older_than=NOW) == 1

    wait_for(lambda: EmployerLink.objects.get(pk=link.pk).status == LinkStatus.ACTIVE)
    wait_for(lambda: EmployerRequest.objects.get(pk=employer_request.pk).mails_sent_at is not None)
    # (a made-up web-service user: the check runs and fails, as it should)
    wait_for(lambda: PayrollProcessor.objects.get(pk=registration.pk).status == Status.CHECK_FAILED)
    wait_for(lambda: PayrollProcessor.objects.get(pk=registration.pk).received_mail_due_at is None)


# --- timeouts that do not hold together -----------------------------------------------------------


def test_a_worker_refuses_to_start_with_a_visibility_timeout_below_the_longest_retry(
    celery_worker_process, sandbox, tmp_path
):
    env = worker_environment(
        celery_worker_process,
        sandbox.url,
        CELERY_VISIBILITY_TIMEOUT="60",
        CELERY_TASK_TIME_LIMIT="30",  # within it; the retries (1,800 s by default) are not
    )

    with pytest.raises(RuntimeError, match="did not start") as refused:
        start_worker(name="inconsistent", env=env, log_path=tmp_path / "inconsistent.log")

    message = str(refused.value)
    assert "CELERY_VISIBILITY_TIMEOUT (60 s) moet groter zijn dan" in message
    assert "CELERY_MAX_RETRY_DELAY (1800 s) plus CELERY_TASK_TIME_LIMIT (30 s)" in message


def test_the_daily_recheck_never_schedules_a_task_further_out_than_the_longest_retry(
    integration_services, celery_worker_process, settings
):
    """With many processors the spread would reach past Redis's visibility timeout; what does
    not fit in the window is left to a continuation of the schedule."""
    settings.CELERY_MAX_RETRY_DELAY = 120
    # The re-checks' part: 6 - 2 = 4 calls, one processor a minute: two fit in the window.
    settings.LOKET_CALLS_PER_MINUTE = 6
    settings.LOKET_CALLS_PER_MINUTE_PUBLIC = 2
    processors = [make_processor(f"ws-drill-{n}", n=n) for n in range(5)]
    silent = f"{integration_services}/{SILENT_BROKER_DB}"
    queue = redis.Redis.from_url(silent)
    queue.flushdb()
    use_broker(silent)
    try:
        scheduled = employer_services.recheck_everything_schedule()
        messages = [
            json.loads(raw)["headers"] for raw in queue.lrange(app.conf.task_default_queue, 0, -1)
        ]
    finally:
        queue.flushdb()
        use_broker(celery_worker_process)

    assert scheduled == 2
    tasks = sorted((headers["task"], headers["argsrepr"]) for headers in messages)
    assert tasks == sorted(
        [
            (onboarding_tasks.RECHECK_PROCESSOR, f"({processors[0].pk},)"),
            (employer_tasks.RECHECK_LINKS, f"({processors[0].pk},)"),
            (onboarding_tasks.RECHECK_PROCESSOR, f"({processors[1].pk},)"),
            (employer_tasks.RECHECK_LINKS, f"({processors[1].pk},)"),
            (employer_tasks.RECHECK_EVERYTHING, f"({processors[1].pk},)"),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    for headers in messages:
        if headers["eta"]:
            eta = dt.datetime.fromisoformat(headers["eta"])
            assert eta - now < dt.timedelta(seconds=settings.CELERY_MAX_RETRY_DELAY)


def test_link_active_mails_go_out_for_the_free_links_and_after_release_for_the_held_one(
    integration_services, celery_worker_process
):
    """One "link active" task for three links, one of whose rows another transaction holds: the
    two free ones are mailed at once, the held one a few seconds after it is free, each once."""
    processor = make_processor()
    contacts = [_unique(f"active-{n}") for n in range(3)]
    employers = [  # E1-E3 of ws-benefits: (id, KvK number, its loonheffingennummers)
        (E1, "12345678", ("144068989L01",)),
        (E2, "23456789", ("173718528L01", "173718528L02")),
        (E3, "34567890", ("177756184L01",)),
    ]
    with _queue_lost_on_restart(integration_services, celery_worker_process):
        for (_id, kvk, numbers), contact in zip(employers, contacts, strict=True):
            submit_verified(
                company_name=f"Werkgever {kvk}",
                kvk_number=kvk,
                tax_numbers=numbers,
                contact_name="Contact",
                contact_email=contact,
                processor=processor,
            )
        employer_services.links_register(
            processor=processor, employer_ids=[e[0] for e in employers], by=None
        )
        links = list(EmployerLink.objects.filter(processor=processor).order_by("pk"))
        employer_services.links_activate(link_ids=[link.pk for link in links], trigger="test")
    active = list(
        EmployerLink.objects.filter(processor=processor).select_related("request").order_by("pk")
    )
    assert [link.status for link in active] == [LinkStatus.ACTIVE] * 3
    held = active[0]

    with _row_held(EmployerLink._meta.db_table, held.pk) as release:
        task_id = app.send_task(
            employer_tasks.SEND_LINK_ACTIVE_MAILS, args=[[link.pk for link in active]]
        ).id
        wait_for(
            lambda: (
                EmployerLink.objects.filter(pk__in=[a.pk for a in active[1:]])
                .filter(employer_notified_at__isnull=False)
                .count()
                == 2
            )
        )
        retrying = f"[{task_id}] retry: Retry in 5s"
        wait_for(lambda: retrying in WORKER_LOG.read_text(errors="replace"))
        assert EmployerLink.objects.get(pk=held.pk).employer_notified_at is None
        release.set()

    wait_for(lambda: EmployerLink.objects.get(pk=held.pk).employer_notified_at is not None)
    for link in active:
        wait_for(lambda link=link: _mails_to(link.request.contact_email) >= 1)
    # Each once (their confirmations were lost with the queue and are not swept here).
    assert [_mails_to(link.request.contact_email) for link in active] == [1, 1, 1]
