"""The linking worker for real: Celery worker processes on Redis and PostgreSQL, calling the
Loket.nl sandbox over HTTP.

Whichever of request and registration comes second ends linked; each sandbox problem ends in its
finding; two workers racing on one link, and a worker killed with SIGKILL mid-task, leave exactly
one link; a re-check during a Loket.nl outage (``STORING``) flags nothing.

Slow tasks use the sandbox's ``TRAAG`` environment (same data as ``DEMO001``, every call answered
after ``TRAAG_DELAY`` seconds): a processor is set up on ``DEMO001`` and then moved to ``TRAAG`` in
the database, which also changes its cache key, so that the worker really calls Loket.nl.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import redis
from django.core.cache import cache
from django.db.models import Q
from django.utils import timezone

from employers import services
from employers.models import EmployerEvent, EmployerLink, EmployerRequest, LinkStatus, RequestStatus
from employers.services import sweeps
from employers.tasks import link_employers, recheck_everything, recheck_links
from onboarding.models import CheckAttempt, CheckOutcome, PayrollProcessor, Status
from tests.conftest import TRAAG_DELAY
from tests.employers.conftest import E1, E2, E4, make_processor, submit_verified
from tests.onboarding.conftest import flush_rate_limits
from tests.workers import (
    SILENT_BROKER_DB,
    SPARE_BROKER_DB,
    WORKER_LOG,
    start_worker,
    use_broker,
    wait_for,
    worker_environment,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

E1_NUMBER, E1_KVK = "144068989L01", "12345678"
E2_NUMBER, E2_KVK = ("173718528L01", "173718528L02"), "23456789"  # E2 has two
E4_NUMBER, E4_KVK = "211946217L01", "45678901"  # E4 exists in Loket.nl, outside ws-benefits' team

# Dedicated workers of the SIGKILL tests: the smallest visibility timeout the settings allow, and a
# hard time limit below it (the settings refuse anything else); the Loket.nl timeout above the
# sandbox's TRAAG delay.
SHORT_VISIBILITY = {
    "CELERY_VISIBILITY_TIMEOUT": "60",
    "CELERY_TASK_TIME_LIMIT": "20",
    "CELERY_MAX_RETRY_DELAY": "30",
    "LOKET_TIMEOUT": "10",
}

_TASK_LINE = re.compile(
    r"Task (?P<name>[\w.]+)\[(?P<id>[0-9a-f-]+)\] "
    r"(?:(?P<received>received)|succeeded in (?P<seconds>[\d.]+)s: (?P<value>.*))$",
    re.MULTILINE,
)


@pytest.fixture(autouse=True)
def _fresh_state(loket_settings):
    """The sandbox for registrations in this process; no cached Loket.nl views or counters."""
    flush_rate_limits()
    cache.clear()
    yield
    cache.clear()


def _request(
    processor: PayrollProcessor, *, number: str | tuple[str, ...] = E1_NUMBER, kvk: str = E1_KVK
) -> EmployerRequest:
    return submit_verified(
        company_name="Bakkerij Van Dijk B.V.",
        kvk_number=kvk,
        tax_numbers=[number] if isinstance(number, str) else number,
        contact_name="Jan van Dijk",
        contact_email="jan@bakkerij.example",
        processor=processor,
    )


def _register(processor: PayrollProcessor, *ids: str) -> services.RegisterResult:
    return services.links_register(processor=processor, employer_ids=ids, by=None)


def _link(processor: PayrollProcessor, employer_id: str = E1) -> EmployerLink:
    return EmployerLink.objects.get(processor=processor, loket_employer_id=employer_id)


def _status(processor: PayrollProcessor, employer_id: str = E1) -> str:
    return _link(processor, employer_id).status


def _active_events(link: EmployerLink) -> int:
    return EmployerEvent.objects.filter(link=link, to_status=LinkStatus.ACTIVE).count()


def _finished(log: str, name: str) -> dict[str, tuple[float, str]]:
    """Task id -> (seconds, return value) of every ``name`` task the log says succeeded."""
    return {
        m["id"]: (float(m["seconds"]), m["value"])
        for m in _TASK_LINE.finditer(log)
        if m["name"] == name and m["seconds"] is not None
    }


def _received(log: str, task_id: str) -> bool:
    return any(m["id"] == task_id and m["received"] for m in _TASK_LINE.finditer(log))


@contextmanager
def _silent_broker(redis_base: str, main_broker: str) -> Iterator[None]:
    """Enqueue into a broker nobody consumes, and throw those messages away afterwards: sets up
    a pending link without a worker finishing it first."""
    silent = f"{redis_base}/{SILENT_BROKER_DB}"
    redis.Redis.from_url(silent).flushdb()
    use_broker(silent)
    try:
        yield
    finally:
        use_broker(main_broker)
        redis.Redis.from_url(silent).flushdb()


def _pending_slow_link(
    redis_base: str, main_broker: str
) -> tuple[PayrollProcessor, EmployerRequest, EmployerLink]:
    """A pending link (request + registration of E1 through the services) whose processor is on
    the sandbox's TRAAG environment, with no linking task on its way."""
    processor = make_processor()
    with _silent_broker(redis_base, main_broker):
        request = _request(processor)
        result = _register(processor, E1)
    assert result.pending == 1
    PayrollProcessor.objects.filter(pk=processor.pk).update(omgevingscode="TRAAG")
    processor.refresh_from_db()
    link = _link(processor)
    assert link.status == LinkStatus.PENDING
    return processor, request, link


# --- both orders end linked --------------------------------------------------------------------


def test_request_then_register_ends_linked_by_the_worker(celery_worker_process):
    processor = make_processor()
    request = _request(processor)

    result = _register(processor, E1)

    assert (result.created, result.pending) == (1, 1)
    wait_for(lambda: _status(processor) == LinkStatus.ACTIVE)
    link = _link(processor)
    request.refresh_from_db()
    assert link.request == request
    assert link.activated_at is not None
    assert request.status == RequestStatus.LINKED
    assert not request.tax_numbers.filter(is_open=True).exists()
    assert [(e.to_status, e.actor_label) for e in link.events.all()] == [
        (LinkStatus.AWAITING_REQUEST, "aanmelding door salarisverwerker"),
        (LinkStatus.PENDING, "aanvraag en aanmelding compleet"),
        (LinkStatus.ACTIVE, "taak link_employers (poging 1)"),
    ]


def test_register_then_request_ends_linked_by_the_worker(celery_worker_process):
    processor = make_processor()
    result = _register(processor, E2)
    assert (result.created, result.pending) == (1, 0)
    assert _status(processor, E2) == LinkStatus.AWAITING_REQUEST

    request = _request(processor, number=E2_NUMBER, kvk=E2_KVK)

    wait_for(lambda: _status(processor, E2) == LinkStatus.ACTIVE)
    request.refresh_from_db()
    assert request.status == RequestStatus.LINKED
    assert _active_events(_link(processor, E2)) == 1


# --- the broker down at the moment of enqueueing --------------------------------------------------


def test_nothing_is_lost_when_the_broker_is_down_as_the_employer_asks_and_the_processor_registers(
    celery_worker_process,
):
    processor = make_processor()
    use_broker("redis://127.0.0.1:1/0")  # nothing listens on port 1
    try:
        request = _request(processor)
        outside = _request(processor, number=E4_NUMBER, kvk=E4_KVK)
        assert _register(processor, E1).pending == 1  # the request came first: E1 is complete
    finally:
        use_broker(celery_worker_process)

    link = _link(processor)
    request.refresh_from_db()
    outside.refresh_from_db()
    assert link.status == LinkStatus.PENDING
    assert link.link_requested_at is not None
    assert (request.mails_sent_at, outside.mails_sent_at) == (None, None)
    assert outside.visibility_due_at is not None
    assert outside.problem_code == ""

    # The sweeps of the beat (here without their grace period) hand everything to the worker.
    assert sweeps.pending_links_enqueue(older_than=dt.timedelta(0)) == 1
    assert sweeps.visibility_checks_enqueue(older_than=dt.timedelta(0)) >= 1
    assert sweeps.unsent_mails_enqueue(older_than=dt.timedelta(0))["request_mails"] == 2

    wait_for(lambda: _status(processor) == LinkStatus.ACTIVE)
    wait_for(lambda: EmployerRequest.objects.get(pk=outside.pk).problem_code == "NIET_ZICHTBAAR")
    wait_for(
        lambda: (
            not EmployerRequest.objects.filter(
                Q(mails_sent_at__isnull=True)
                | Q(problem_code="NIET_ZICHTBAAR", problem_mailed_at=None)
            ).exists()
        )
    )
    wait_for(lambda: _link(processor).employer_notified_at is not None)
    assert _active_events(_link(processor)) == 1
    # The processor's digest waits for the beat's minute (no countdown task held by a worker).
    assert _link(processor).processor_notified_at is None
    assert sweeps.due_digests_enqueue() == 1
    wait_for(lambda: _link(processor).processor_notified_at is not None)
    assert EmployerRequest.objects.get(pk=request.pk).status == RequestStatus.LINKED


def test_the_sweep_hands_out_a_lost_link_once_not_on_every_run(
    integration_services, celery_worker_process
):
    """A copy the sweep sent may wait behind a long queue: the next sweeps leave it alone."""
    *_, link = _pending_slow_link(integration_services, celery_worker_process)
    with _silent_broker(integration_services, celery_worker_process):
        assert sweeps.pending_links_enqueue(older_than=dt.timedelta(0)) == 1
        assert sweeps.pending_links_enqueue() == 0
        assert sweeps.pending_links_enqueue(older_than=dt.timedelta(0)) == 0
    link.refresh_from_db()
    assert link.status == LinkStatus.PENDING
    assert link.link_requested_at > timezone.now() + sweeps.REARM - dt.timedelta(seconds=30)


# --- each sandbox problem ends in its finding --------------------------------------------------


def test_ws_zonder_loon_ends_with_the_missing_rights(celery_worker_process):
    processor = make_processor("ws-zonder-loon")
    request = _request(processor)
    _register(processor, E1)

    wait_for(lambda: _status(processor) == LinkStatus.PROBLEM)
    link = _link(processor)
    request.refresh_from_db()
    assert link.problem_code == "AUTORISATIE_ONTBREEKT"
    assert "WERKNEMERS" in link.problem_detail
    assert link.activated_at is None
    assert request.status == RequestStatus.OPEN
    assert _active_events(link) == 0


def test_a_request_to_ws_zonder_team_ends_not_visible(celery_worker_process):
    processor = make_processor("ws-zonder-team")

    request = _request(processor)

    wait_for(lambda: EmployerRequest.objects.get(pk=request.pk).problem_code == "NIET_ZICHTBAAR")
    request.refresh_from_db()
    assert request.status == RequestStatus.OPEN
    assert request.checked_at is not None
    event = request.events.get(note="NIET_ZICHTBAAR")
    assert event.actor_label == "taak check_request_visibility"
    # The web-service user sees no employer at all, so it cannot register E1 either.
    assert _register(processor, E1).unknown == 1
    assert not EmployerLink.objects.exists()


def test_a_request_for_an_employer_outside_the_team_ends_not_visible(celery_worker_process):
    processor = make_processor("ws-benefits")

    request = _request(processor, number=E4_NUMBER, kvk=E4_KVK)

    wait_for(lambda: EmployerRequest.objects.get(pk=request.pk).problem_code == "NIET_ZICHTBAAR")
    request.refresh_from_db()
    assert request.status == RequestStatus.OPEN
    assert request.events.get(note="NIET_ZICHTBAAR").actor_label == "taak check_request_visibility"
    assert _register(processor, E4).unknown == 1
    assert not EmployerLink.objects.exists()


# --- exactly once --------------------------------------------------------------------------------


def test_two_workers_racing_on_one_link_make_one_link(
    integration_services, celery_worker_process, second_celery_worker
):
    """20 deliveries of the task for one link, consumed by two worker processes of two pool
    processes each. On TRAAG every task that still sees the link pending spends two sandbox delays
    fetching the view, so several pass the "still pending?" test at once and meet at the row
    claim: the test checks that this really happened, then that it produced one link."""
    processor, request, link = _pending_slow_link(integration_services, celery_worker_process)

    task_ids = [link_employers.delay([link.pk]).id for _ in range(20)]

    wait_for(lambda: _status(processor) == LinkStatus.ACTIVE, timeout=60)

    def every_task_finished() -> bool:
        done = _finished(WORKER_LOG.read_text(), "employers.tasks.link_employers")
        done |= _finished(second_celery_worker.log(), "employers.tasks.link_employers")
        return set(task_ids) <= set(done)

    # Generous: a loaded 2-core CI machine runs four pool processes through TRAAG's delays.
    wait_for(every_task_finished, timeout=180)
    first = _finished(WORKER_LOG.read_text(), "employers.tasks.link_employers")
    second = _finished(second_celery_worker.log(), "employers.tasks.link_employers")
    ours = {i: v for i, v in (first | second).items() if i in task_ids}
    # Both worker processes took part, and more than one task got past the pending test and
    # called Loket.nl (a task that saw the link done returns at once).
    assert set(task_ids) & set(first)
    assert set(task_ids) & set(second)
    raced = [i for i, (seconds, _) in ours.items() if seconds >= TRAAG_DELAY]
    assert len(raced) >= 2, ours
    assert sorted(value for _, value in ours.values()) == ["0"] * 19 + ["1"]

    link.refresh_from_db()
    request.refresh_from_db()
    assert link.status == LinkStatus.ACTIVE
    assert _active_events(link) == 1
    assert EmployerLink.objects.filter(processor=processor).count() == 1
    assert request.status == RequestStatus.LINKED
    assert request.events.filter(to_status=RequestStatus.LINKED).count() == 1


def _kill_mid_task(
    *, spare: str, env: dict[str, str], tmp_path, link: EmployerLink, caplog, main_broker: str
):
    """Start a worker on the spare broker, hand it the link's task, and SIGKILL its whole process
    group while the task waits for Loket.nl's second answer. Returns (task id, delivery time)."""
    queue = redis.Redis.from_url(spare)
    caplog.set_level(logging.DEBUG, logger="locket_client.sandbox")
    doomed = start_worker(name="doomed", env=env, log_path=tmp_path / "doomed.log")
    try:
        use_broker(spare)
        try:
            task_id = link_employers.delay([link.pk]).id
        finally:
            use_broker(main_broker)
        wait_for(lambda: _received(doomed.log(), task_id))
        caplog.clear()
        # The sandbox logs a request once it has answered it: after the first answer
        # (ControleerToegang, TRAAG_DELAY s) the task waits for GeefWerkgevers.
        wait_for(lambda: any("POST" in r.getMessage() for r in caplog.records), timeout=15)
    finally:
        doomed.kill()  # the SIGKILL under test (and the cleanup when something above failed)
    assert "succeeded" not in doomed.log()
    # The message was handed out but never acknowledged: Redis still holds it.
    tags = queue.zrange("unacked_index", 0, -1, withscores=True)
    assert len(tags) == 1
    assert queue.hlen("unacked") == 1
    return task_id, tags[0][1]


def _assert_nothing_half_done(link: EmployerLink, request: EmployerRequest) -> None:
    link.refresh_from_db()
    request.refresh_from_db()
    assert link.status == LinkStatus.PENDING
    assert link.activated_at is None
    assert link.checked_at is None
    assert link.link_requested_at is not None  # still in the outbox for the sweep
    assert _active_events(link) == 0
    assert request.status == RequestStatus.OPEN
    assert request.tax_numbers.filter(is_open=True).count() == 1


def test_a_worker_killed_mid_task_gives_one_link_after_redelivery(
    integration_services, celery_worker_process, sandbox, tmp_path, caplog
):
    """Redelivery proper: ``acks_late`` leaves the message unacknowledged in Redis; once the
    visibility timeout (60 s, the settings' minimum) has passed since it was handed out, a new
    worker restores it (kombu scans for such messages when its consumer starts and every so
    often after) and runs it. The publishing process's own visibility timeout plays no part:
    only the consuming worker restores."""
    processor, request, link = _pending_slow_link(integration_services, celery_worker_process)
    spare = f"{integration_services}/{SPARE_BROKER_DB}"
    queue = redis.Redis.from_url(spare)
    queue.flushdb()
    env = worker_environment(spare, sandbox.url, **SHORT_VISIBILITY)
    try:
        task_id, handed_out_at = _kill_mid_task(
            spare=spare,
            env=env,
            tmp_path=tmp_path,
            link=link,
            caplog=caplog,
            main_broker=celery_worker_process,
        )
        _assert_nothing_half_done(link, request)

        # Start the heir once the message is older than the visibility timeout.
        time.sleep(max(0.0, handed_out_at + 60 + 1 - time.time()))
        heir = start_worker(name="heir", env=env, log_path=tmp_path / "heir.log")
        try:
            wait_for(lambda: _status(processor) == LinkStatus.ACTIVE, timeout=40)
            wait_for(lambda: task_id in _finished(heir.log(), "employers.tasks.link_employers"))
        finally:
            heir.stop()
        assert _received(heir.log(), task_id)  # the same message, delivered again
        assert _finished(heir.log(), "employers.tasks.link_employers")[task_id][1] == "1"
        assert queue.hlen("unacked") == 0
    finally:
        queue.flushdb()

    link.refresh_from_db()
    request.refresh_from_db()
    assert link.status == LinkStatus.ACTIVE
    assert _active_events(link) == 1
    assert [e.to_status for e in link.events.all()] == [
        LinkStatus.AWAITING_REQUEST,
        LinkStatus.PENDING,
        LinkStatus.ACTIVE,
    ]
    assert request.status == RequestStatus.LINKED


def test_a_link_left_pending_by_a_killed_worker_is_taken_over_once_its_lease_ends(
    integration_services, celery_worker_process, sandbox, tmp_path, caplog
):
    """The other way back, with the production visibility timeout (an hour): the task's lease on
    the link (two Loket.nl timeouts, here 2 x 10 s) ends, and the sweep (the beat's, every 20 s;
    here called in a loop) hands the link to the session worker. Until the lease ends the sweep
    leaves the link alone: the killed worker might still have been alive."""
    processor, request, link = _pending_slow_link(integration_services, celery_worker_process)
    spare = f"{integration_services}/{SPARE_BROKER_DB}"
    queue = redis.Redis.from_url(spare)
    queue.flushdb()
    env = worker_environment(spare, sandbox.url, LOKET_TIMEOUT="10")
    assert "CELERY_VISIBILITY_TIMEOUT" not in env  # the default, 3,600 s
    try:
        _kill_mid_task(
            spare=spare,
            env=env,
            tmp_path=tmp_path,
            link=link,
            caplog=caplog,
            main_broker=celery_worker_process,
        )
        _assert_nothing_half_done(link, request)
        link.refresh_from_db()
        assert link.link_claimed_until is not None
        assert link.link_claimed_until > timezone.now()
        assert sweeps.pending_links_enqueue(older_than=dt.timedelta(0)) == 0  # leased

        # The lease ends 20 s after the task started; how soon the link is active again after a
        # kill is measured by bench/drill.py (recovery_after_kill_s).
        wait_for(lambda: sweeps.pending_links_enqueue() == 1, timeout=30)
        wait_for(lambda: _status(processor) == LinkStatus.ACTIVE)
    finally:
        queue.flushdb()

    request.refresh_from_db()
    assert _active_events(link) == 1
    assert request.status == RequestStatus.LINKED


# --- re-checks -----------------------------------------------------------------------------------


def test_a_recheck_during_a_storing_outage_flags_nothing(celery_worker_process):
    processor = make_processor()
    _request(processor)
    _request(processor, number=E2_NUMBER, kvk=E2_KVK)
    _register(processor, E1, E2)
    wait_for(
        lambda: set(EmployerLink.objects.values_list("status", flat=True)) == {LinkStatus.ACTIVE}
    )
    events_before = EmployerEvent.objects.count()
    PayrollProcessor.objects.filter(pk=processor.pk).update(omgevingscode="STORING")

    task_id = recheck_links.delay(processor.pk).id
    wait_for(lambda: task_id in _finished(WORKER_LOG.read_text(), "employers.tasks.recheck_links"))

    assert _finished(WORKER_LOG.read_text(), "employers.tasks.recheck_links")[task_id][1] == "None"
    assert set(EmployerLink.objects.values_list("status", flat=True)) == {LinkStatus.ACTIVE}
    assert EmployerEvent.objects.count() == events_before

    # The whole daily run: the credentials re-check and the links re-check, both during the
    # outage. The credentials check ends "temporary" (and retries later); nothing is flagged.
    rechecks_before = set(_finished(WORKER_LOG.read_text(), "employers.tasks.recheck_links"))
    recheck_everything.delay()
    wait_for(
        lambda: CheckAttempt.objects.filter(
            processor=processor, finished_at__isnull=False
        ).exists(),
        timeout=30,
    )
    wait_for(
        lambda: (
            set(_finished(WORKER_LOG.read_text(), "employers.tasks.recheck_links"))
            - rechecks_before
            - {task_id}
        ),
        timeout=30,
    )

    attempt = CheckAttempt.objects.get(processor=processor)
    assert attempt.outcome == CheckOutcome.TEMPORARY
    processor.refresh_from_db()
    assert processor.status == Status.ACTIVE
    assert not processor.status_changes.filter(to_status=Status.NEEDS_ATTENTION).exists()
    assert set(EmployerLink.objects.values_list("status", flat=True)) == {LinkStatus.ACTIVE}
    assert not EmployerEvent.objects.filter(to_status=LinkStatus.NEEDS_ATTENTION).exists()
    assert EmployerEvent.objects.count() == events_before
