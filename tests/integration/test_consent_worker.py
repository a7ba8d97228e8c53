"""Employer consent for real (issue 12): a Celery worker on Redis and PostgreSQL, the Loket.nl
sandbox over HTTP, mails on the worker's console (its log). From the employer's request to the
confirmation by the address a.s.r. holds on file, to the active link, to its revocation, after
which no re-check, sweep or linking task brings it back."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.cache import cache
from django.urls import reverse

from customers.models import Customer, Policy
from employers import services
from employers.models import (
    EmployerEvent,
    EmployerLink,
    EmployerRequest,
    LinkStatus,
    RequestStatus,
)
from employers.services import sweeps
from employers.tasks import link_employers, recheck_links
from employers.tokens import verify_token
from tests.employers.conftest import E1, make_processor
from tests.onboarding.conftest import flush_rate_limits
from tests.workers import WORKER_LOG, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

ON_FILE = "j.vandijk@bakkerij-vandijk.example"
TYPED = "iemand@elders.example"


@pytest.fixture(autouse=True)
def _fresh_state(loket_settings):
    flush_rate_limits()
    cache.clear()
    yield
    cache.clear()


def _worker_log() -> str:
    return WORKER_LOG.read_text(errors="replace") if WORKER_LOG.exists() else ""


def test_requested_verified_active_revoked_with_a_real_worker(celery_worker_process, client):
    customer = Customer.objects.create(kvk_number="12345678", name="Bakkerij Van Dijk B.V.")
    Policy.objects.create(number="ASR-100001", customer=customer, contact_email=ON_FILE)
    processor = make_processor()
    assert services.links_register(processor=processor, employer_ids=[E1], by=None).created == 1
    link = EmployerLink.objects.get(processor=processor, loket_employer_id=E1)

    # Requested: unverified, nothing reserved, the link still waits.
    request = services.request_submit(
        company_name="Bakkerij Van Dijk B.V.",
        kvk_number="12345678",
        policy_number="ASR-100001",
        tax_numbers=["144068989L01"],
        contact_name="Jan van Dijk",
        contact_email=TYPED,
        processor=processor,
    )
    assert request.status == RequestStatus.UNVERIFIED
    assert not request.tax_numbers.filter(is_open=True).exists()
    # The worker mails the confirmation link to the address on file, never to the typed one.
    wait_for(lambda: EmployerRequest.objects.get(pk=request.pk).verification_mailed_at is not None)
    log = _worker_log()
    assert f"To: {ON_FILE}" in log
    assert f"To: {TYPED}" not in log
    link.refresh_from_db()
    assert link.status == LinkStatus.AWAITING_REQUEST

    # Verified: the employer uses the confirmation link (GET shows, POST confirms); the worker
    # links it.
    confirm = reverse("employers:verify", args=[verify_token(request.pk)])
    assert client.get(confirm).status_code == 200
    assert EmployerRequest.objects.get(pk=request.pk).status == RequestStatus.UNVERIFIED
    response = client.post(confirm)
    assert response.status_code == 302
    assert response["Location"] == reverse("employers:status", args=[request.status_token])
    wait_for(lambda: EmployerLink.objects.get(pk=link.pk).status == LinkStatus.ACTIVE)
    wait_for(lambda: EmployerLink.objects.get(pk=link.pk).employer_notified_at is not None)
    request.refresh_from_db()
    assert request.status == RequestStatus.LINKED
    assert request.verified_email == ON_FILE

    # Revoked on the status page: ended at once, with reason and time; processor and a.s.r.
    # mailed by the worker.
    response = client.post(
        reverse("employers:status_revoke", args=[request.status_token]),
        {"reason": "Geen toestemming meer", "confirm": "yes"},
    )
    assert response.status_code == 302
    link.refresh_from_db()
    assert link.status == LinkStatus.ENDED
    assert link.ended_at is not None
    assert link.end_reason == "Geen toestemming meer"
    wait_for(lambda: EmployerLink.objects.get(pk=link.pk).end_mailed_at is not None)
    log = _worker_log()
    assert f"To: {settings.ASR_NOTIFY_EMAIL}" in log
    request.refresh_from_db()
    assert request.status == RequestStatus.ENDED

    # Never back: a daily re-check and a linking task on the worker, and the sweeps.
    recheck_links.delay(processor.pk).get(timeout=30)
    link_employers.delay([link.pk]).get(timeout=30)
    sweeps.pending_links_enqueue()
    link.refresh_from_db()
    assert link.status == LinkStatus.ENDED
    assert not EmployerEvent.objects.filter(
        link=link, at__gt=link.ended_at, to_status=LinkStatus.ACTIVE
    ).exists()
