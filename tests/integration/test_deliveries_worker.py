"""Deliveries by a real Celery worker on Redis and PostgreSQL, calling the Loket.nl sandbox over
HTTP: the planned period arrives once; a worker killed with SIGKILL in the middle of a delivery
delays it by its lease, and then the sweep hands it to another worker, which completes it once.

The slow delivery uses the sandbox's ``TRAAG`` environment (same data as ``DEMO001``, every call
answered after ``TRAAG_DELAY`` seconds), so that the worker is surely waiting for Loket.nl when
it is killed.
"""

from __future__ import annotations

import logging
import time

import pytest
import redis
from django.core.cache import cache
from django.utils import timezone

from deliveries import task_names
from deliveries.models import Delivery, DeliveryStatus, DeliveryVersion, EmployeeRecord, WageRecord
from deliveries.services import deliveries_hand_out, deliveries_plan
from onboarding.models import PayrollProcessor
from tests.deliveries.conftest import E1, E2, make_links
from tests.employers.conftest import make_processor
from tests.onboarding.conftest import flush_rate_limits
from tests.workers import (
    SPARE_BROKER_DB,
    start_worker,
    use_broker,
    wait_for,
    worker_environment,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

LEASE_SECONDS = 20
"""The doomed worker's lease: above its three TRAAG calls (3 x 3 s), short enough to wait for."""


@pytest.fixture(autouse=True)
def _fresh_state(loket_settings):
    flush_rate_limits()
    cache.clear()
    yield
    cache.clear()


def _delivered(delivery: Delivery) -> bool:
    delivery.refresh_from_db()
    return delivery.status == DeliveryStatus.DELIVERED


def test_a_worker_delivers_the_planned_periods_once(celery_worker_process):
    processor = make_processor()
    make_links(processor, E1, E2)
    deliveries_plan()
    deliveries = list(Delivery.objects.order_by("pk"))
    assert len(deliveries) == 2

    assert deliveries_hand_out() == 2

    for delivery in deliveries:
        wait_for(lambda delivery=delivery: _delivered(delivery))
        assert (delivery.current_version, delivery.attempts) == (1, 1)
    assert DeliveryVersion.objects.count() == 2
    assert EmployeeRecord.objects.count() == 4  # two werknemers each
    assert WageRecord.objects.count() == 4
    assert deliveries_hand_out() == 0  # nothing due any more


def test_a_worker_killed_mid_delivery_leaves_it_to_be_completed_once_after_its_lease(
    integration_services, celery_worker_process, sandbox, tmp_path, caplog
):
    processor = make_processor()
    (link,) = make_links(processor, E1)
    deliveries_plan()
    delivery = Delivery.objects.get(link=link)
    PayrollProcessor.objects.filter(pk=processor.pk).update(omgevingscode="TRAAG")

    spare = f"{integration_services}/{SPARE_BROKER_DB}"
    queue = redis.Redis.from_url(spare)
    queue.flushdb()
    env = worker_environment(
        spare, sandbox.url, LOKET_TIMEOUT="10", DELIVERY_LEASE_SECONDS=str(LEASE_SECONDS)
    )
    caplog.set_level(logging.DEBUG, logger="locket_client.sandbox")
    doomed = start_worker(name="doomed-delivery", env=env, log_path=tmp_path / "doomed.log")
    try:
        use_broker(spare)
        try:
            from common.dispatch import enqueue

            enqueue(task_names.DELIVER, delivery.pk)
        finally:
            use_broker(celery_worker_process)
        caplog.clear()
        # The sandbox logs a request once it answered it: after the first answer (the
        # werknemers, TRAAG_DELAY s) the worker waits for the dienstverbanden.
        wait_for(lambda: any("POST" in r.getMessage() for r in caplog.records), timeout=20)
    finally:
        doomed.kill()  # the SIGKILL under test
    assert "succeeded" not in doomed.log()
    queue.flushdb()  # the unacknowledged message stays with the spare broker: no heir there

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.RETRIEVING
    assert delivery.attempts == 1
    assert delivery.claimed_until > timezone.now()
    assert not DeliveryVersion.objects.exists()
    assert deliveries_hand_out() == 0  # leased: the killed worker might still be alive

    # Loket.nl is quick again; once the lease ran out the sweep hands it to the session worker.
    PayrollProcessor.objects.filter(pk=processor.pk).update(omgevingscode="DEMO001")
    started = time.monotonic()
    wait_for(lambda: deliveries_hand_out() == 1, timeout=LEASE_SECONDS + 10)
    assert time.monotonic() - started > 1  # it did wait for the lease
    wait_for(lambda: _delivered(delivery))

    assert (delivery.attempts, delivery.current_version) == (2, 1)
    assert delivery.claimed_until is None
    assert delivery.due_at is None
    assert DeliveryVersion.objects.count() == 1
    assert EmployeeRecord.objects.count() == 2
    assert WageRecord.objects.count() == 2
