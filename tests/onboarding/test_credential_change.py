"""Issue 13, point 2: a confirmed processor cannot point its account at another Loket.nl account
without a.s.r.; and (point 3) a.s.r. changes a processor's e-mail address only through a service,
with the confirm permission, recorded and mailed to the old address.

Against the real sandbox over HTTP, tasks in-process after commit. The processors start on
``ws-zonder-team`` (its check fails: no employers), so a check that passes proves the new account
``ws-benefits`` was used, and one that fails proves the old one still is.
"""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.contrib.messages import get_messages
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from employers.loket_snapshot import _cache_get
from employers.loket_snapshot import _key as snapshot_key
from onboarding import services
from onboarding.crypto import decrypt_secret, encrypt_secret, is_current
from onboarding.models import CheckOutcome, PayrollProcessor, Status
from tests.onboarding.factories import (
    DEMO_PASSWORD,
    PORTAL_PASSWORD,
    PayrollProcessorFactory,
    StaffUserFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("onboarding:dashboard")
UPDATE = reverse("onboarding:update_credentials")
CHANGELIST = reverse("admin:onboarding_payrollprocessor_changelist")
CANARY = "Kanarie-Wacht-9c41!"


def _active(**kwargs) -> PayrollProcessor:
    defaults = {
        "loket_username": "ws-zonder-team",
        "email": "bureau@example.nl",
        "confirmed": True,
        "status": Status.ACTIVE,
        "activated_at": timezone.now(),
        "user": UserFactory(password=PORTAL_PASSWORD),
    }
    return PayrollProcessorFactory(**(defaults | kwargs))


def _staff(*extra: str):
    return StaffUserFactory(
        permissions=[
            "onboarding.view_payrollprocessor",
            "onboarding.change_payrollprocessor",
            *extra,
        ]
    )


def _ask_for(client, capture, username="ws-benefits", password=DEMO_PASSWORD):
    with capture(execute=True):
        return client.post(
            UPDATE,
            {
                "omgevingscode": "DEMO001",
                "loket_username": username,
                "loket_password": password,
                "portal_password": PORTAL_PASSWORD,
            },
        )


def _waiting(client, capture, **kwargs) -> PayrollProcessor:
    processor = _active(**kwargs)
    client.force_login(processor.user)
    response = _ask_for(client, capture)
    assert response.status_code == 302
    processor.refresh_from_db()
    return processor


def _action(client, name, processor, **extra):
    data = {"action": name, "_selected_action": [processor.pk], "index": 0} | extra
    return client.post(CHANGELIST, data, follow=True)


def _mails_to(address: str) -> list:
    return [m for m in mail.outbox if address in m.to]


# --- point 2: another Loket.nl account waits for a.s.r. ---------------------------------------


def test_a_password_only_change_of_an_active_processor_is_checked_live_and_applied(
    client, loket_settings, django_capture_on_commit_callbacks
):
    processor = _active(
        loket_username="ws-benefits", loket_password_encrypted=encrypt_secret("verlopen")
    )
    client.force_login(processor.user)

    _ask_for(client, django_capture_on_commit_callbacks)

    processor.refresh_from_db()
    assert decrypt_secret(processor.loket_password_encrypted) == DEMO_PASSWORD
    assert not processor.has_pending_credentials
    assert processor.check_attempts.get().outcome == CheckOutcome.PASSED
    assert processor.status == Status.ACTIVE


def test_a_new_gebruikersnaam_of_an_active_processor_waits_for_asr_and_the_old_stays_in_use(
    client, loket_settings, django_capture_on_commit_callbacks
):
    processor = _active()
    old_ciphertext = processor.loket_password_encrypted
    client.force_login(processor.user)

    response = _ask_for(client, django_capture_on_commit_callbacks)

    assert response.status_code == 302
    processor.refresh_from_db()
    # Nothing of the current account changed ...
    assert (processor.omgevingscode, processor.loket_username) == ("DEMO001", "ws-zonder-team")
    assert processor.loket_password_encrypted == old_ciphertext
    assert processor.status == Status.ACTIVE
    # ... the new one waits, encrypted, and its live check passed.
    assert (processor.pending_omgevingscode, processor.pending_loket_username) == (
        "DEMO001",
        "ws-benefits",
    )
    assert DEMO_PASSWORD not in processor.pending_loket_password_encrypted
    assert decrypt_secret(processor.pending_loket_password_encrypted) == DEMO_PASSWORD
    assert processor.pending_check_outcome == CheckOutcome.PASSED
    assert processor.status_changes.filter(
        note__startswith="nieuwe omgevingscode of gebruikersnaam aangevraagd",
        actor=processor.user,
    ).exists()
    message = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("wachten op bevestiging door a.s.r." in m for m in message)


def test_the_processor_is_mailed_that_the_change_waits_and_asr_is_notified_in_dutch(
    client, loket_settings, django_capture_on_commit_callbacks
):
    processor = _waiting(client, django_capture_on_commit_callbacks, language="en")

    (to_processor,) = _mails_to(processor.email)
    assert "a.s.r." in to_processor.subject
    assert "ws-benefits" in to_processor.body
    assert "current details stay in use" in to_processor.body.lower() or (
        "remain in use" in to_processor.body.lower()
    )
    (to_asr,) = _mails_to(settings.ASR_NOTIFY_EMAIL)
    assert to_asr.subject.startswith("Nieuwe Loket.nl-gegevens ter bevestiging")
    assert "ws-zonder-team" in to_asr.body
    assert "ws-benefits" in to_asr.body
    assert f"/onboarding/payrollprocessor/{processor.pk}/change/" in to_asr.body


def test_until_asr_confirms_the_recheck_uses_the_old_credentials(
    client, loket_settings, django_capture_on_commit_callbacks
):
    processor = _waiting(client, django_capture_on_commit_callbacks)

    with django_capture_on_commit_callbacks(execute=True):
        services.daily_recheck_request(processor_id=processor.pk)

    processor.refresh_from_db()
    assert processor.status == Status.NEEDS_ATTENTION  # ws-zonder-team sees no employers
    assert [f["code"] for f in processor.check_findings] == ["GEEN_WERKGEVERS"]
    assert processor.has_pending_credentials


def test_the_dashboard_shows_the_change_that_waits_for_asr(
    client, loket_settings, django_capture_on_commit_callbacks
):
    _waiting(client, django_capture_on_commit_callbacks)

    page = client.get(DASHBOARD).text

    assert "Wijziging wacht op bevestiging door a.s.r." in page
    assert "ws-benefits" in page
    assert "Geslaagd; a.s.r. beoordeelt de wijziging." in page


def test_asr_confirms_the_waiting_credentials_which_replace_the_current_ones_and_are_rechecked(
    client, loket_settings, django_capture_on_commit_callbacks
):
    processor = _waiting(client, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    client.force_login(_staff("onboarding.confirm_payrollprocessor"))

    with django_capture_on_commit_callbacks(execute=True):
        response = _action(client, "confirm_credential_change", processor)

    assert response.status_code == 200
    processor.refresh_from_db()
    assert processor.loket_username == "ws-benefits"
    assert decrypt_secret(processor.loket_password_encrypted) == DEMO_PASSWORD
    assert not processor.has_pending_credentials
    assert processor.pending_loket_password_encrypted == ""
    # Checked again with the new account (ws-benefits passes), still active.
    assert processor.status == Status.ACTIVE
    assert processor.check_employer_count == 3
    assert processor.status_changes.filter(
        note__startswith="nieuwe omgevingscode of gebruikersnaam bevestigd",
        actor__is_staff=True,
    ).exists()
    # The employer side re-checked the links with the new account (its fresh snapshot).
    assert _cache_get(snapshot_key(processor)) is not None
    (decision,) = _mails_to(processor.email)
    assert "bevestigd" in decision.subject


def test_confirming_the_waiting_credentials_needs_the_confirm_permission(
    client, loket_settings, django_capture_on_commit_callbacks
):
    processor = _waiting(client, django_capture_on_commit_callbacks)
    clerk = _staff()

    with pytest.raises(PermissionDenied):
        services.credential_change_confirm(processor=processor, by=clerk)
    client.force_login(clerk)
    changelist = client.get(CHANGELIST).text
    assert "confirm_credential_change" not in changelist
    processor.refresh_from_db()
    assert processor.loket_username == "ws-zonder-team"


def test_waiting_credentials_whose_check_failed_cannot_be_confirmed(
    client, loket_settings, django_capture_on_commit_callbacks
):
    processor = _active()
    client.force_login(processor.user)
    _ask_for(client, django_capture_on_commit_callbacks, username="ws-andere-partij")
    processor.refresh_from_db()
    assert processor.pending_check_outcome == CheckOutcome.FAILED
    assert not _mails_to(settings.ASR_NOTIFY_EMAIL)  # a.s.r. hears of passed changes only

    with pytest.raises(ValidationError):
        services.credential_change_confirm(
            processor=processor, by=_staff("onboarding.confirm_payrollprocessor")
        )
    processor.refresh_from_db()
    assert processor.loket_username == "ws-zonder-team"


def test_asr_rejects_the_waiting_credentials_with_a_reason_that_is_mailed(
    client, loket_settings, django_capture_on_commit_callbacks
):
    processor = _waiting(client, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    client.force_login(_staff("onboarding.confirm_payrollprocessor"))

    with django_capture_on_commit_callbacks(execute=True):
        form = _action(client, "reject_credential_change", processor)
        assert 'name="reason"' in form.text
        _action(
            client,
            "reject_credential_change",
            processor,
            apply="yes",
            reason="Deze webservicegebruiker hoort niet bij uw kantoor.",
        )

    processor.refresh_from_db()
    assert processor.loket_username == "ws-zonder-team"
    assert not processor.has_pending_credentials
    assert processor.status_changes.filter(note__startswith="nieuwe Loket.nl-gegevens afgewezen")
    (decision,) = _mails_to(processor.email)
    assert "afgewezen" in decision.subject
    assert "hoort niet bij uw kantoor" in decision.body


def test_a_staff_member_without_the_confirm_permission_cannot_switch_the_account_in_the_admin(
    client, loket_settings, django_capture_on_commit_callbacks
):
    processor = _active()
    clerk = _staff()

    with django_capture_on_commit_callbacks(execute=True):
        services.processor_edit(
            processor=processor,
            company_name=processor.company_name,
            email=processor.email,
            omgevingscode="DEMO001",
            loket_username="ws-benefits",
            loket_password=None,
            by=clerk,
            actor_label=f"medewerker {clerk}",
        )

    processor.refresh_from_db()
    assert processor.loket_username == "ws-zonder-team"
    assert processor.pending_loket_username == "ws-benefits"


def test_a_new_gebruikersnaam_before_confirmation_is_applied_at_once(
    loket_settings, django_capture_on_commit_callbacks
):
    processor = PayrollProcessorFactory(check_failed=True, loket_username="ws-zonder-team")

    with django_capture_on_commit_callbacks(execute=True):
        services.credentials_update(
            processor=processor,
            omgevingscode="DEMO001",
            loket_username="ws-benefits",
            loket_password=None,
            client_ip="192.0.2.7",
        )

    processor.refresh_from_db()
    assert processor.loket_username == "ws-benefits"
    assert processor.status == Status.CHECK_PASSED
    assert not processor.has_pending_credentials


def test_a_check_of_waiting_credentials_replaced_meanwhile_is_thrown_away(client, loket_settings):
    from locket_client.diagnose import diagnose
    from onboarding.models import CheckAttempt
    from onboarding.services import credential_change
    from tests.conftest import demo_credentials

    processor = _active()
    client.force_login(processor.user)
    _ask_for(client, _noop_capture)
    claimed = credential_change._claim(processor.pk)
    attempt = CheckAttempt.objects.create(processor=processor, trigger="test")
    # The processor types yet another account while the first one is being checked.
    PayrollProcessor.objects.filter(pk=processor.pk).update(
        pending_requested_at=timezone.now() + dt.timedelta(seconds=1)
    )
    stale = diagnose(demo_credentials("ws-benefits"))

    result = credential_change._store_pending(
        processor.pk, claimed.pending_requested_at, attempt, stale, "test"
    )

    assert result.outcome is None
    processor.refresh_from_db()
    assert processor.pending_check_outcome == ""
    assert processor.pending_check_claimed_until is None


def test_the_sweep_enqueues_checks_of_waiting_credentials_that_never_ran(
    client, loket_settings, django_capture_on_commit_callbacks
):
    processor = _active()
    client.force_login(processor.user)
    _ask_for(client, _noop_capture)  # the check's task never reached the broker
    PayrollProcessor.objects.filter(pk=processor.pk).update(
        pending_check_requested_at=timezone.now() - dt.timedelta(minutes=5)
    )

    assert services.pending_credential_checks_enqueue() == 1

    processor.refresh_from_db()
    assert processor.pending_check_outcome == CheckOutcome.PASSED


def test_rotation_re_encrypts_the_waiting_password_too(settings):
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.CREDENTIALS_KEYS = [old_key]
    processor = PayrollProcessorFactory(
        confirmed=True,
        pending_loket_username="ws-benefits",
        pending_omgevingscode="DEMO001",
        pending_loket_password_encrypted=encrypt_secret(DEMO_PASSWORD),
        pending_requested_at=timezone.now(),
    )
    settings.CREDENTIALS_KEYS = [new_key, old_key]

    call_command("rotate_credentials", stdout=StringIO())

    settings.CREDENTIALS_KEYS = [new_key]
    processor.refresh_from_db()
    assert is_current(processor.loket_password_encrypted)
    assert is_current(processor.pending_loket_password_encrypted)
    assert decrypt_secret(processor.pending_loket_password_encrypted) == DEMO_PASSWORD


def test_the_waiting_password_is_in_no_log_mail_or_page(
    everything_at_debug, client, loket_settings, django_capture_on_commit_callbacks
):
    processor = _active()
    client.force_login(processor.user)
    _ask_for(client, django_capture_on_commit_callbacks, password=CANARY)
    dashboard = client.get(DASHBOARD).text
    staff = _staff("onboarding.confirm_payrollprocessor")
    client.force_login(staff)
    admin_page = client.get(
        reverse("admin:onboarding_payrollprocessor_change", args=[processor.pk])
    ).text

    logs = "\n".join(f"{r.name} {r.getMessage()}" for r in everything_at_debug.records)
    mails = "\n".join(
        f"{m.subject}\n{m.body}\n" + "".join(str(a[0]) for a in m.alternatives) for m in mail.outbox
    )
    assert len(mail.outbox) >= 1
    for text in (logs, mails, dashboard, admin_page):
        assert CANARY not in text
    processor.refresh_from_db()
    assert "ws-benefits" in admin_page  # the waiting account is shown, its password is not
    assert processor.pending_loket_password_encrypted not in admin_page


# --- point 3: a.s.r. changes the e-mail address -----------------------------------------------


def test_the_email_field_is_read_only_in_the_admin_without_the_confirm_permission(client):
    processor = _active()
    client.force_login(_staff())

    page = client.get(reverse("admin:onboarding_payrollprocessor_change", args=[processor.pk]))

    assert 'name="email"' not in page.text
    assert processor.email in page.text
    client.force_login(_staff("onboarding.confirm_payrollprocessor"))
    page = client.get(reverse("admin:onboarding_payrollprocessor_change", args=[processor.pk]))
    assert 'name="email"' in page.text


def test_changing_the_email_needs_the_confirm_permission(client):
    processor = _active()

    with pytest.raises(PermissionDenied):
        services.processor_change_email(
            processor=processor, new_email="ander@example.nl", actor=_staff()
        )
    processor.refresh_from_db()
    assert processor.email == "bureau@example.nl"


def test_an_admin_change_of_the_email_updates_the_account_the_history_and_mails_both_addresses(
    client, django_capture_on_commit_callbacks
):
    processor = _active()
    staff = _staff("onboarding.confirm_payrollprocessor")

    with django_capture_on_commit_callbacks(execute=True):
        changed = services.processor_change_email(
            processor=processor, new_email="nieuw@example.nl", actor=staff
        )

    assert changed
    processor.refresh_from_db()
    assert processor.email == "nieuw@example.nl"
    assert processor.user.email == "nieuw@example.nl"
    change = processor.status_changes.get()
    assert change.note == "e-mailadres gewijzigd van bureau@example.nl naar nieuw@example.nl"
    assert change.actor == staff
    (notice,) = mail.outbox
    assert set(notice.to) == {"bureau@example.nl", "nieuw@example.nl"}
    assert "gewijzigd" in notice.subject
    # The processor logs in with the new address.
    client.logout()
    response = client.post(
        reverse("onboarding:login"), {"email": "nieuw@example.nl", "password": PORTAL_PASSWORD}
    )
    assert response.status_code == 302


def test_the_admin_change_form_changes_the_email_through_the_service(
    client, django_capture_on_commit_callbacks
):
    from tests.onboarding.test_admin import _change_form_data

    processor = _active(loket_username="ws-benefits")
    client.force_login(_staff("onboarding.confirm_payrollprocessor"))
    data = _change_form_data(client, processor)
    data["email"] = "nieuw@example.nl"

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:onboarding_payrollprocessor_change", args=[processor.pk]), data
        )

    assert response.status_code == 302
    processor.refresh_from_db()
    assert processor.user.email == processor.email == "nieuw@example.nl"
    assert _mails_to("bureau@example.nl")
    assert processor.status_changes.filter(note__startswith="e-mailadres gewijzigd van").exists()


class _NoopCapture:
    """Stands in for django_capture_on_commit_callbacks when the tasks must NOT run (a broker
    that lost them): the callbacks are captured and dropped."""

    def __call__(self, execute=False):
        from django.test import TestCase

        return TestCase.captureOnCommitCallbacks(execute=False)


_noop_capture = _NoopCapture()


def test_the_admin_list_filters_the_changes_waiting_for_asr(
    client, loket_settings, django_capture_on_commit_callbacks
):
    waiting = _waiting(client, django_capture_on_commit_callbacks)
    other = _active(email="ander@example.nl", loket_username="ws-benefits")
    client.force_login(_staff("onboarding.confirm_payrollprocessor"))

    page = client.get(CHANGELIST, {"wijziging": "wacht"})

    shown = list(page.context["cl"].result_list)
    assert shown == [waiting]
    assert other not in shown
