"""Celery tasks: thin wrappers around services. They take ids, never model instances or
credentials; they retry only temporary trouble, with backoff and a cap.

Each is registered under its constant in :mod:`onboarding.task_names`, the name services
enqueue by (:mod:`common.dispatch`).
"""

from __future__ import annotations

from collections.abc import Callable

from celery import Task, shared_task
from django.conf import settings

from common.dispatch import retry_delay
from common.outbox import HELD_RETRY_SECONDS, RowsHeld
from onboarding import services, task_names
from onboarding.models import CheckOutcome
from onboarding.services import outbox

MAX_CHECK_RETRIES = 6
# A refused or unreachable mail server (smtplib's errors are OSErrors): retried with backoff,
# then the sweep carries on.
MAIL_RETRY = {
    "autoretry_for": (OSError,),
    "retry_backoff": True,
    "retry_backoff_max": settings.CELERY_MAX_RETRY_DELAY,
    "max_retries": 5,
}


@shared_task(
    name=task_names.CHECK_CREDENTIALS, bind=True, max_retries=MAX_CHECK_RETRIES, acks_late=True
)
def check_credentials(self, processor_id: int) -> str | None:
    trigger = "taak check_credentials" + (
        f" (poging {self.request.retries + 1})" if self.request.retries else ""
    )
    result = services.check_run(processor_id=processor_id, trigger=trigger)
    if result.outcome is CheckOutcome.TEMPORARY and self.request.retries < self.max_retries:
        # Backoff: 1, 2, 4, ... minutes, capped at CELERY_MAX_RETRY_DELAY. Then the sweep.
        countdown = retry_delay(min(result.retry_in or 60, 60) * (2**self.request.retries))
        services.check_defer(processor_id=processor_id, seconds=countdown)
        raise self.retry(countdown=countdown)
    return result.outcome


@shared_task(name=task_names.RECHECK_PROCESSOR)
def recheck_processor(processor_id: int) -> None:
    """Daily re-check of a confirmed processor's credentials (a failure flags it and mails)."""
    services.daily_recheck_request(processor_id=processor_id)


@shared_task(name=task_names.SWEEP_PENDING_CHECKS)
def sweep_pending_checks() -> int:
    return services.pending_checks_enqueue() + services.pending_credential_checks_enqueue()


@shared_task(name=task_names.SWEEP_UNSENT_MAILS)
def sweep_unsent_mails() -> dict[str, int]:
    """Every 20 seconds (the beat): registration mails still due a while after their moment."""
    return {
        **outbox.unsent_mails_enqueue(),
        "credential_change_mails": outbox.credential_change_mails_enqueue(),
        **outbox.unsent_account_mails_enqueue(),
    }


def _send_or_retry(task: Task, send: Callable[..., bool], processor_id: int) -> bool:
    try:
        return send(processor_id=processor_id)
    except RowsHeld as held:
        # Within the task's own max_retries (never an override: Celery keeps that on the shared
        # task object); when they run out the sweep sends the mail within a minute.
        raise task.retry(countdown=HELD_RETRY_SECONDS, exc=held) from None


# Two names for one sender: the registration's receipt and a.s.r.'s notice go out together (they
# would otherwise wait for each other's hold on the row). The second name stays registered for
# messages queued under it.
@shared_task(name=task_names.SEND_RECEIVED_MAIL, bind=True, **MAIL_RETRY)
def send_received_mail(self: Task, processor_id: int) -> bool:
    return _send_or_retry(self, outbox.registration_mails_send, processor_id)


@shared_task(name=task_names.NOTIFY_ASR_NEW_REGISTRATION, bind=True, **MAIL_RETRY)
def notify_asr_new_registration(self: Task, processor_id: int) -> bool:
    return _send_or_retry(self, outbox.registration_mails_send, processor_id)


# Three names for one sender: the mail of the current status. The names stay apart so that the
# worker's log says which mail was meant, and messages queued under them are still understood.
@shared_task(name=task_names.SEND_CONFIRMATION_MAIL, bind=True, **MAIL_RETRY)
def send_confirmation_mail(self: Task, processor_id: int) -> bool:
    return _send_or_retry(self, outbox.status_mail_send, processor_id)


@shared_task(name=task_names.SEND_REJECTION_MAIL, bind=True, **MAIL_RETRY)
def send_rejection_mail(self: Task, processor_id: int) -> bool:
    return _send_or_retry(self, outbox.status_mail_send, processor_id)


@shared_task(name=task_names.SEND_NEEDS_ATTENTION_MAIL, bind=True, **MAIL_RETRY)
def send_needs_attention_mail(self: Task, processor_id: int) -> bool:
    return _send_or_retry(self, outbox.status_mail_send, processor_id)


# Issue 13: new Loket.nl credentials of a confirmed processor wait for a.s.r.
@shared_task(
    name=task_names.CHECK_PENDING_CREDENTIALS,
    bind=True,
    max_retries=MAX_CHECK_RETRIES,
    acks_late=True,
)
def check_pending_credentials(self, processor_id: int) -> str | None:
    trigger = "taak check_pending_credentials" + (
        f" (poging {self.request.retries + 1})" if self.request.retries else ""
    )
    result = services.pending_check_run(processor_id=processor_id, trigger=trigger)
    if result.outcome is CheckOutcome.TEMPORARY and self.request.retries < self.max_retries:
        countdown = retry_delay(min(result.retry_in or 60, 60) * (2**self.request.retries))
        services.pending_check_defer(processor_id=processor_id, seconds=countdown)
        raise self.retry(countdown=countdown)
    return result.outcome


@shared_task(name=task_names.SEND_CREDENTIAL_CHANGE_MAILS, bind=True, **MAIL_RETRY)
def send_credential_change_mails(self: Task, processor_id: int) -> bool:
    return _send_or_retry(self, outbox.credential_change_mails_send, processor_id)


# issue 13: the accounts' mails.
@shared_task(name=task_names.SEND_PASSWORD_RESET_MAIL, bind=True, **MAIL_RETRY)
def send_password_reset_mail(self: Task, processor_id: int) -> bool:
    return _send_or_retry(self, outbox.password_reset_mail_send, processor_id)


@shared_task(name=task_names.SEND_DUPLICATE_NOTICE_MAIL, bind=True, **MAIL_RETRY)
def send_duplicate_notice_mail(self: Task, processor_id: int) -> bool:
    return _send_or_retry(self, outbox.duplicate_notice_send, processor_id)
