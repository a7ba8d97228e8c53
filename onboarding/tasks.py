"""Celery tasks: thin wrappers around services. They take ids, never model instances or
credentials; they retry only temporary trouble, with backoff and a cap."""

from __future__ import annotations

from celery import shared_task

from onboarding import emails, services
from onboarding.models import CheckOutcome

MAX_CHECK_RETRIES = 6


@shared_task(bind=True, max_retries=MAX_CHECK_RETRIES, acks_late=True)
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


@shared_task
def recheck_processor(processor_id: int) -> None:
    """Daily re-check of a confirmed processor's credentials (a failure flags it and mails)."""
    from onboarding.models import PayrollProcessor

    processor = PayrollProcessor.objects.filter(pk=processor_id).first()
    if processor is not None:
        services.check_request(
            processor=processor, actor=None, actor_label="dagelijkse hercontrole"
        )


@shared_task
def sweep_pending_checks() -> int:
    return services.pending_checks_enqueue()


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def notify_asr_new_registration(processor_id: int) -> None:
    emails.send_asr_notification(processor_id=processor_id)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_received_mail(processor_id: int) -> None:
    emails.send_received(processor_id=processor_id)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_confirmation_mail(processor_id: int) -> None:
    emails.send_confirmation(processor_id=processor_id)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_rejection_mail(processor_id: int) -> None:
    emails.send_rejection(processor_id=processor_id)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_needs_attention_mail(processor_id: int) -> None:
    emails.send_needs_attention(processor_id=processor_id)
