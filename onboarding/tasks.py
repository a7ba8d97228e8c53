"""Celery tasks: thin wrappers around services. They take ids, never model instances or
credentials; they retry only temporary trouble, with backoff and a cap.

Each is registered under its constant in :mod:`onboarding.task_names`, the name services
enqueue by (:mod:`common.dispatch`).
"""

from __future__ import annotations

from celery import shared_task

from onboarding import emails, services, task_names
from onboarding.models import CheckOutcome

MAX_CHECK_RETRIES = 6
MAIL_RETRY = {"autoretry_for": (OSError,), "retry_backoff": True, "max_retries": 5}


@shared_task(
    name=task_names.CHECK_CREDENTIALS, bind=True, max_retries=MAX_CHECK_RETRIES, acks_late=True
)
def check_credentials(self, processor_id: int) -> str | None:
    trigger = "taak check_credentials" + (
        f" (poging {self.request.retries + 1})" if self.request.retries else ""
    )
    result = services.check_run(processor_id=processor_id, trigger=trigger)
    if result.outcome is CheckOutcome.TEMPORARY and self.request.retries < self.max_retries:
        # Backoff: 1, 2, 4, ... minutes, capped at 30. After the cap, the sweep carries on.
        countdown = min(result.retry_in or 60, 60) * (2**self.request.retries)
        raise self.retry(countdown=min(countdown, 1800))
    return result.outcome


@shared_task(name=task_names.RECHECK_PROCESSOR)
def recheck_processor(processor_id: int) -> None:
    """Daily re-check of a confirmed processor's credentials (a failure flags it and mails)."""
    services.daily_recheck_request(processor_id=processor_id)


@shared_task(name=task_names.SWEEP_PENDING_CHECKS)
def sweep_pending_checks() -> int:
    return services.pending_checks_enqueue()


@shared_task(name=task_names.NOTIFY_ASR_NEW_REGISTRATION, **MAIL_RETRY)
def notify_asr_new_registration(processor_id: int) -> None:
    emails.send_asr_notification(processor_id=processor_id)


@shared_task(name=task_names.SEND_RECEIVED_MAIL, **MAIL_RETRY)
def send_received_mail(processor_id: int) -> None:
    emails.send_received(processor_id=processor_id)


@shared_task(name=task_names.SEND_CONFIRMATION_MAIL, **MAIL_RETRY)
def send_confirmation_mail(processor_id: int) -> None:
    emails.send_confirmation(processor_id=processor_id)


@shared_task(name=task_names.SEND_REJECTION_MAIL, **MAIL_RETRY)
def send_rejection_mail(processor_id: int) -> None:
    emails.send_rejection(processor_id=processor_id)


@shared_task(name=task_names.SEND_NEEDS_ATTENTION_MAIL, **MAIL_RETRY)
def send_needs_attention_mail(processor_id: int) -> None:
    emails.send_needs_attention(processor_id=processor_id)
