"""Registration services against the real sandbox, with tasks run in-process after commit."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from onboarding import services
from onboarding.crypto import decrypt_secret, encrypt_secret
from onboarding.models import CheckAttempt, CheckOutcome, PayrollProcessor, Status
from onboarding.ratelimit import RateLimited
from onboarding.services import credential_check

pytestmark = pytest.mark.django_db

DEMO_PASSWORD = "Demo#Loket2026"


def _submit(django_capture_on_commit_callbacks, username="ws-benefits", **overrides):
    data = {
        "company_name": "Salarisbureau Test B.V.",
        "email": f"{username}@example.nl",
        "omgevingscode": "DEMO001",
        "loket_username": username,
        "loket_password": DEMO_PASSWORD,
        "client_ip": "192.0.2.10",
    } | overrides
    with django_capture_on_commit_callbacks(execute=True):
        processor = services.registration_submit(**data)
    if processor is not None:
        processor.refresh_from_db()
    return processor


def _history(processor):
    return [(c.from_status, c.to_status) for c in processor.status_changes.all()]


def test_a_registration_of_ws_benefits_ends_with_check_passed(
    loket_settings, django_capture_on_commit_callbacks
):
    processor = _submit(django_capture_on_commit_callbacks)

    assert processor.status == Status.CHECK_PASSED
    assert processor.check_employer_count == 3
    assert processor.check_findings == []
    assert processor.check_requested_at is None
    assert processor.checked_at is not None
    assert _history(processor) == [("", Status.SUBMITTED), (Status.SUBMITTED, Status.CHECK_PASSED)]
    assert processor.check_attempts.get().outcome == CheckOutcome.PASSED


def test_the_password_is_stored_encrypted(loket_settings, django_capture_on_commit_callbacks):
    processor = _submit(django_capture_on_commit_callbacks)

    assert DEMO_PASSWORD not in processor.loket_password_encrypted
    assert decrypt_secret(processor.loket_password_encrypted) == DEMO_PASSWORD


@pytest.mark.parametrize(
    ("username", "code"),
    [
        ("ws-zonder-team", "GEEN_WERKGEVERS"),
        ("ws-andere-partij", "VERKEERDE_WEBSERVICEPARTIJ"),
        ("ws-zonder-loon", "AUTORISATIE_ONTBREEKT"),
        ("ak-standaard", "GEEN_WEBSERVICEGEBRUIKER"),
        ("ws-geblokkeerd", "GEBRUIKER_GEBLOKKEERD"),
    ],
)
def test_a_failing_sandbox_user_ends_with_its_finding(
    loket_settings, django_capture_on_commit_callbacks, username, code
):
    processor = _submit(django_capture_on_commit_callbacks, username=username)

    assert processor.status == Status.CHECK_FAILED
    assert [f["code"] for f in processor.check_findings] == [code]
    assert processor.status_changes.last().findings == processor.check_findings


def test_a_login_failure_is_checked_once_and_never_retried(
    loket_settings, django_capture_on_commit_callbacks
):
    processor = _submit(django_capture_on_commit_callbacks, loket_password="verkeerd-wachtwoord")

    assert processor.status == Status.CHECK_FAILED
    assert [f["code"] for f in processor.check_findings] == ["INLOG_ONGELDIG"]
    assert processor.check_attempts.count() == 1
    assert processor.check_requested_at is None
    assert processor.check_retry_at is None


def test_an_outage_keeps_the_check_pending_with_a_retry_time(
    loket_settings, django_capture_on_commit_callbacks
):
    processor = _submit(django_capture_on_commit_callbacks, omgevingscode="STORING")

    assert processor.status == Status.CHECKING
    assert processor.check_requested_at is not None
    assert processor.check_retry_at > timezone.now()
    assert processor.check_findings[0]["retryable"] is True
    # In-process mode retries at once; the retry time blocks a hammering loop.
    assert processor.check_attempts.count() == 1


def test_check_run_without_a_pending_request_calls_nobody(
    loket_settings, django_capture_on_commit_callbacks
):
    processor = _submit(django_capture_on_commit_callbacks)

    result = services.check_run(processor_id=processor.pk, trigger="test")

    assert result.outcome is None
    assert processor.check_attempts.count() == 1


def test_a_claimed_check_is_not_run_by_a_second_worker(loket_settings):
    processor = PayrollProcessor.objects.create(
        company_name="X",
        email="x@example.nl",
        omgevingscode="DEMO001",
        loket_username="ws-benefits",
        loket_password_encrypted=encrypt_secret(DEMO_PASSWORD),
        consent_at=timezone.now(),
        check_requested_at=timezone.now(),
        check_claimed_until=timezone.now() + dt.timedelta(minutes=5),
    )

    assert services.check_run(processor_id=processor.pk, trigger="test").outcome is None
    assert CheckAttempt.objects.count() == 0


def test_a_result_for_credentials_changed_meanwhile_is_thrown_away(loket_settings):
    processor = PayrollProcessor.objects.create(
        company_name="X",
        email="x@example.nl",
        omgevingscode="DEMO001",
        loket_username="ws-zonder-team",
        loket_password_encrypted=encrypt_secret(DEMO_PASSWORD),
        consent_at=timezone.now(),
        check_requested_at=timezone.now(),
    )
    claimed = credential_check._claim(processor.pk)
    attempt = CheckAttempt.objects.create(processor=processor, trigger="test")
    PayrollProcessor.objects.filter(pk=processor.pk).update(
        check_requested_at=timezone.now() + dt.timedelta(seconds=1)
    )
    from locket_client.diagnose import diagnose
    from tests.conftest import demo_credentials

    stale = diagnose(demo_credentials("ws-zonder-team"))
    result = credential_check._store(
        processor.pk, claimed.check_requested_at, attempt, stale, "test"
    )

    processor.refresh_from_db()
    assert result.outcome is None
    assert processor.status == Status.SUBMITTED
    assert processor.check_requested_at is not None
    assert processor.check_claimed_until is None


@pytest.mark.parametrize("username", ["WS-BENEFITS", " ws-benefits "])
def test_a_second_registration_of_the_same_account_stores_nothing_and_mails_the_first(
    loket_settings, django_capture_on_commit_callbacks, username
):
    first = _submit(django_capture_on_commit_callbacks)
    mail.outbox.clear()

    second = _submit(
        django_capture_on_commit_callbacks,
        username=username,
        omgevingscode="demo001",
        email="ander@example.nl",
    )

    assert second is None
    assert PayrollProcessor.objects.count() == 1
    assert [m.to for m in mail.outbox] == [[first.email]]


def test_checks_per_account_are_limited(
    loket_settings, django_capture_on_commit_callbacks, settings
):
    settings.CHECKS_PER_ACCOUNT_PER_HOUR = 2
    processor = _submit(django_capture_on_commit_callbacks, username="ws-zonder-team")
    services.check_request(
        processor=processor, actor=None, actor_label="test", client_ip="192.0.2.1"
    )

    with pytest.raises(RateLimited) as caught:
        services.check_request(
            processor=processor, actor=None, actor_label="test", client_ip="192.0.2.2"
        )
    assert caught.value.retry_after > 0


def test_calls_to_loket_for_registrations_are_capped_per_minute(
    loket_settings, django_capture_on_commit_callbacks, settings
):
    settings.LOKET_CALLS_PER_MINUTE_PUBLIC = 2  # registrations spend the public's budget
    first = _submit(django_capture_on_commit_callbacks, username="ws-benefits")
    second = _submit(django_capture_on_commit_callbacks, username="ws-zonder-team")

    assert first.status == Status.CHECK_PASSED
    assert second.status == Status.SUBMITTED
    assert second.check_retry_at is not None
    assert second.check_attempts.count() == 0


def _staff(*perms):
    user = get_user_model().objects.create_user("medewerker", "m@asr.nl", "x" * 16, is_staff=True)
    for codename in perms:
        user.user_permissions.add(Permission.objects.get(codename=codename))
    return get_user_model().objects.get(pk=user.pk)


def test_confirm_needs_a_passed_check(loket_settings, django_capture_on_commit_callbacks):
    processor = _submit(django_capture_on_commit_callbacks, username="ws-zonder-team")

    with pytest.raises(services.CheckNotPassed):
        services.registration_confirm(processor=processor, by=_staff("confirm_payrollprocessor"))


def test_confirm_needs_the_permission(loket_settings, django_capture_on_commit_callbacks):
    processor = _submit(django_capture_on_commit_callbacks)

    with pytest.raises(PermissionDenied):
        services.registration_confirm(processor=processor, by=_staff("change_payrollprocessor"))
    processor.refresh_from_db()
    assert processor.status == Status.CHECK_PASSED


def test_confirm_creates_the_account_and_records_who(
    loket_settings, django_capture_on_commit_callbacks
):
    processor = _submit(django_capture_on_commit_callbacks)
    staff = _staff("confirm_payrollprocessor")

    with django_capture_on_commit_callbacks(execute=True):
        confirmed = services.registration_confirm(processor=processor, by=staff)

    assert confirmed.status == Status.CONFIRMED
    assert confirmed.user.email == processor.email
    assert not confirmed.user.has_usable_password()
    change = confirmed.status_changes.last()
    assert (change.to_status, change.actor) == (Status.CONFIRMED, staff)
    assert any(processor.email in m.to for m in mail.outbox)


def test_reject_needs_a_reason(loket_settings, django_capture_on_commit_callbacks):
    processor = _submit(django_capture_on_commit_callbacks, username="ws-zonder-team")

    staff = _staff()
    with pytest.raises(ValidationError):
        services.registration_reject(processor=processor, by=staff, reason="  ")
    rejected = services.registration_reject(
        processor=processor, by=staff, reason="Onbekend kantoor"
    )
    assert rejected.status == Status.REJECTED
    assert rejected.status_changes.last().note == "Onbekend kantoor"


def test_a_confirmed_processor_whose_check_fails_needs_attention_and_recovers(
    loket_settings, django_capture_on_commit_callbacks
):
    processor = _submit(django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        services.registration_confirm(processor=processor, by=_staff("confirm_payrollprocessor"))

    with django_capture_on_commit_callbacks(execute=True):
        services.credentials_update(
            processor=processor,
            omgevingscode="DEMO001",
            loket_username="ws-benefits",
            loket_password="fout-wachtwoord",
            client_ip="192.0.2.3",
        )
    processor.refresh_from_db()
    assert processor.status == Status.NEEDS_ATTENTION

    with django_capture_on_commit_callbacks(execute=True):
        services.credentials_update(
            processor=processor,
            omgevingscode="DEMO001",
            loket_username="ws-benefits",
            loket_password=DEMO_PASSWORD,
            client_ip="192.0.2.3",
        )
    processor.refresh_from_db()
    assert processor.status == Status.CONFIRMED


def test_the_sweep_enqueues_checks_that_never_ran(
    loket_settings, django_capture_on_commit_callbacks
):
    processor = PayrollProcessor.objects.create(
        company_name="X",
        email="x@example.nl",
        omgevingscode="DEMO001",
        loket_username="ws-benefits",
        loket_password_encrypted=encrypt_secret(DEMO_PASSWORD),
        consent_at=timezone.now(),
        check_requested_at=timezone.now() - dt.timedelta(minutes=10),
    )

    assert services.pending_checks_enqueue() == 1

    processor.refresh_from_db()
    assert processor.status == Status.CHECK_PASSED
    assert services.pending_checks_enqueue() == 0
