"""Registration checks run by a real Celery worker on Redis and PostgreSQL against the sandbox."""

from __future__ import annotations

import datetime as dt

import pytest
import redis

from onboarding import services
from onboarding.models import PayrollProcessor, Status
from onboarding.ratelimit import reset_memory_counters
from tests.onboarding.conftest import flush_rate_limits
from tests.workers import SILENT_BROKER_DB, use_broker, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

DEMO_PASSWORD = "Demo#Loket2026"


@pytest.fixture(autouse=True)
def _clean_limits():
    reset_memory_counters()
    flush_rate_limits()


def _submit(username: str, *, password: str = DEMO_PASSWORD, n: int = 0) -> PayrollProcessor:
    return services.registration_submit(
        company_name=f"Salarisbureau {username}",
        email=f"{username}-{n}@example.nl",
        omgevingscode="DEMO001",
        loket_username=username,
        loket_password=password,
        client_ip="192.0.2.20",
    )


def _status(processor: PayrollProcessor) -> str:
    processor.refresh_from_db()
    return processor.status


def test_a_worker_takes_ws_benefits_to_check_passed(celery_worker_process):
    processor = _submit("ws-benefits")

    wait_for(lambda: _status(processor) == Status.CHECK_PASSED)
    assert processor.check_employer_count == 3
    assert processor.status_changes.last().actor_label.startswith("taak check_credentials")


@pytest.mark.parametrize(
    ("username", "code"),
    [
        ("ws-andere-partij", "VERKEERDE_WEBSERVICEPARTIJ"),
        ("ws-zonder-loon", "AUTORISATIE_ONTBREEKT"),
        ("ws-zonder-team", "GEEN_WERKGEVERS"),
        ("ak-standaard", "GEEN_WEBSERVICEGEBRUIKER"),
        ("ws-geblokkeerd", "GEBRUIKER_GEBLOKKEERD"),
    ],
)
def test_a_worker_takes_each_failing_sandbox_user_to_its_finding(
    celery_worker_process, username, code
):
    processor = _submit(username)

    wait_for(lambda: _status(processor) == Status.CHECK_FAILED)
    assert [f["code"] for f in processor.check_findings] == [code]


def test_a_wrong_password_is_checked_once_by_the_worker(celery_worker_process):
    processor = _submit("ws-benefits", password="niet-het-wachtwoord")

    wait_for(lambda: _status(processor) == Status.CHECK_FAILED)
    assert [f["code"] for f in processor.check_findings] == ["INLOG_ONGELDIG"]
    assert processor.check_attempts.count() == 1


def test_nothing_is_lost_when_the_broker_is_down_at_submit(celery_worker_process):
    use_broker("redis://127.0.0.1:1/0")  # nothing listens on port 1
    try:
        processor = _submit("ws-benefits")
    finally:
        use_broker(celery_worker_process)

    assert _status(processor) == Status.SUBMITTED
    assert processor.check_requested_at is not None
    assert processor.check_attempts.count() == 0

    assert services.pending_checks_enqueue(older_than=dt.timedelta(0)) == 1
    wait_for(lambda: _status(processor) == Status.CHECK_PASSED)


def test_no_password_travels_through_the_queue(integration_services, celery_worker_process):
    canary = "Kanarie-Wachtrij-93b1!"
    silent = f"{integration_services}/{SILENT_BROKER_DB}"
    queue = redis.Redis.from_url(silent)
    queue.flushdb()
    use_broker(silent)  # no worker listens here: the messages stay for us to read
    try:
        processor = _submit("ws-benefits", password=canary)
    finally:
        use_broker(celery_worker_process)

    messages = queue.lrange("portal", 0, -1)
    assert messages, "the check was not enqueued"
    everything = b"".join(messages) + b"".join(
        str(queue.hgetall(key)).encode() for key in queue.scan_iter() if queue.type(key) == b"hash"
    )
    assert canary.encode() not in everything
    assert str(processor.pk).encode() in b"".join(messages)
    queue.flushdb()
