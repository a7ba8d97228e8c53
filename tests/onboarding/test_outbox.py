"""The registration's mails go through the outbox (onboarding.services.outbox), tasks
in-process: each is sent once however often its task runs, a refused mail stays due until the
sweep sends it, and a status mail that no longer fits is not sent. (Redis emptied with the tasks
in it, and a held row, with a real worker: tests/integration/test_outbox_drills.py.)"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone

from onboarding import services, tasks
from onboarding.models import PayrollProcessor, Status
from onboarding.services import outbox
from tests.onboarding.factories import DEMO_PASSWORD, PayrollProcessorFactory, UserFactory

pytestmark = pytest.mark.django_db

NOW = dt.timedelta(0)


class RefusingBackend(BaseEmailBackend):
    """A mail server that is down."""

    def send_messages(self, email_messages):
        raise ConnectionRefusedError("mail server down")


def _submit(capture, *, execute: bool) -> PayrollProcessor:
    with capture(execute=execute):
        return services.registration_submit(
            company_name="Salarisbureau Outbox B.V.",
            email="outbox@salarisbureau.example.nl",
            omgevingscode="DEMO001",
            loket_username="ws-outbox",
            loket_password=DEMO_PASSWORD,
            client_ip="192.0.2.40",
        )


def _to(address: str) -> list[mail.EmailMessage]:
    return [message for message in mail.outbox if address in message.to]


def test_a_registration_is_due_its_receipt_and_the_asr_notice_until_they_are_sent(
    django_capture_on_commit_callbacks, settings
):
    processor = _submit(django_capture_on_commit_callbacks, execute=False)  # tasks lost

    processor.refresh_from_db()
    assert processor.received_mail_due_at is not None
    assert processor.asr_notice_due_at is not None
    assert mail.outbox == []

    with django_capture_on_commit_callbacks(execute=True):
        assert outbox.unsent_mails_enqueue(older_than=NOW) == {
            "registration_mails": 1,
            "status_mails": 0,
        }

    assert len(_to(processor.email)) == 1
    assert len(_to(settings.ASR_NOTIFY_EMAIL)) == 1
    processor.refresh_from_db()
    assert (processor.received_mail_due_at, processor.asr_notice_due_at) == (None, None)


def test_a_mail_task_delivered_twice_mails_once(django_capture_on_commit_callbacks, settings):
    processor = _submit(django_capture_on_commit_callbacks, execute=True)
    mail.outbox.clear()

    tasks.send_received_mail.delay(processor.pk)
    tasks.notify_asr_new_registration.delay(processor.pk)

    assert mail.outbox == []


def test_the_sweep_leaves_a_mail_alone_during_its_grace(django_capture_on_commit_callbacks):
    _submit(django_capture_on_commit_callbacks, execute=False)

    assert outbox.unsent_mails_enqueue() == {"registration_mails": 0, "status_mails": 0}


def test_a_mail_the_mail_server_refused_stays_due_and_the_sweep_sends_it(
    django_capture_on_commit_callbacks, settings
):
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"
    processor = _submit(django_capture_on_commit_callbacks, execute=True)  # refused (retried)
    processor.refresh_from_db()
    assert processor.received_mail_due_at is not None

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        outbox.unsent_mails_enqueue(older_than=NOW)

    assert len(_to(processor.email)) == 1
    processor.refresh_from_db()
    assert processor.received_mail_due_at is None


def test_a_confirmation_lost_with_the_broker_is_sent_by_the_sweep(
    django_capture_on_commit_callbacks,
):
    staff = UserFactory(is_superuser=True, is_staff=True)
    processor = PayrollProcessorFactory(check_passed=True)
    with django_capture_on_commit_callbacks(execute=False):
        services.registration_confirm(processor=processor, by=staff)

    processor.refresh_from_db()
    assert processor.status_mail_due_at is not None
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox.unsent_mails_enqueue(older_than=NOW)["status_mails"] == 1

    [confirmation] = _to(processor.email)
    assert "/account/activeren/" in confirmation.body


def test_a_confirmation_due_after_the_account_was_activated_is_not_sent_but_done(
    django_capture_on_commit_callbacks,
):
    user = UserFactory()
    processor = PayrollProcessorFactory(
        confirmed=True,
        user=user,
        status=Status.ACTIVE,
        activated_at=timezone.now(),
        status_mail_due_at=timezone.now() - dt.timedelta(minutes=5),
    )

    with django_capture_on_commit_callbacks(execute=True):
        outbox.unsent_mails_enqueue(older_than=NOW)

    assert mail.outbox == []
    processor.refresh_from_db()
    assert processor.status_mail_due_at is None


def test_staff_sending_a_mail_again_goes_through_the_outbox(django_capture_on_commit_callbacks):
    processor = PayrollProcessorFactory(confirmed=True, user=UserFactory(), status=Status.CONFIRMED)

    with django_capture_on_commit_callbacks(execute=False):
        services.mail_resend(processor=processor)

    processor.refresh_from_db()
    assert processor.status_mail_due_at is not None  # due until sent, even if the task is lost


def test_the_sweep_hands_a_due_mail_out_once_per_rearm_not_on_every_run(
    django_capture_on_commit_callbacks, settings
):
    """A mail server down for an hour must not gather a copy of the task every 20 seconds."""
    processor = _submit(django_capture_on_commit_callbacks, execute=False)
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"
    assert outbox.unsent_mails_enqueue(older_than=NOW)["registration_mails"] == 1  # refused
    assert outbox.unsent_mails_enqueue(older_than=NOW)["registration_mails"] == 0  # re-armed
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

    PayrollProcessor.objects.filter(pk=processor.pk).update(
        mail_retry_at=timezone.now() - dt.timedelta(seconds=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox.unsent_mails_enqueue(older_than=NOW)["registration_mails"] == 1
    assert len(_to(processor.email)) == 1


def _submit_real(capture) -> PayrollProcessor:
    with capture(execute=True):
        return services.registration_submit(
            company_name="Salarisbureau Echt B.V.",
            email="echt@salarisbureau.example.nl",
            omgevingscode="DEMO001",
            loket_username="ws-benefits",
            loket_password=DEMO_PASSWORD,
            client_ip="192.0.2.41",
        )


def _credentials(processor, capture, *, password: str) -> None:
    with capture(execute=True):
        services.credentials_update(
            processor=processor,
            omgevingscode="DEMO001",
            loket_username="ws-benefits",
            loket_password=password,
            client_ip="192.0.2.41",
        )


def test_a_confirmation_overtaken_by_a_needs_attention_mail_goes_out_once_confirmed_again(
    loket_settings, django_capture_on_commit_callbacks
):
    """One column holds the mail of the current status: a confirmation still due when a
    re-check fails is replaced by the needs-attention mail, so the activation link goes out
    when the processor is confirmed again (it never activated its account)."""
    processor = _submit_real(django_capture_on_commit_callbacks)
    staff = UserFactory(is_superuser=True, is_staff=True)
    with django_capture_on_commit_callbacks(execute=False):  # the confirmation's task is lost
        services.registration_confirm(processor=processor, by=staff)
    mail.outbox.clear()

    _credentials(processor, django_capture_on_commit_callbacks, password="fout-wachtwoord")
    processor.refresh_from_db()
    assert processor.status == Status.NEEDS_ATTENTION
    [attention] = _to(processor.email)
    assert "/account/activeren/" not in attention.body

    _credentials(processor, django_capture_on_commit_callbacks, password=DEMO_PASSWORD)

    processor.refresh_from_db()
    assert processor.status == Status.CONFIRMED
    assert processor.status_mail_due_at is None
    assert "/account/activeren/" in _to(processor.email)[-1].body


def test_a_needs_attention_mail_the_mail_server_refused_stays_due_for_the_sweep(
    loket_settings, django_capture_on_commit_callbacks, settings
):
    processor = _submit_real(django_capture_on_commit_callbacks)
    staff = UserFactory(is_superuser=True, is_staff=True)
    with django_capture_on_commit_callbacks(execute=True):
        services.registration_confirm(processor=processor, by=staff)
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"

    _credentials(processor, django_capture_on_commit_callbacks, password="fout-wachtwoord")

    processor.refresh_from_db()
    assert processor.status == Status.NEEDS_ATTENTION
    assert processor.status_mail_due_at is not None
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox.unsent_mails_enqueue(older_than=NOW)["status_mails"] == 1
    [attention] = _to(processor.email)
    assert "Handleiding" in attention.body
