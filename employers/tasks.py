"""Celery tasks of the employer side: thin wrappers around ``employers.services``. They take ids
only; temporary trouble at Loket.nl retries with backoff and a cap, then the sweep carries on."""

from __future__ import annotations

from celery import shared_task

from employers import outbox, services
from onboarding.models import CONFIRMED_STATES, PayrollProcessor

MAX_LINK_RETRIES = 6


@shared_task(bind=True, max_retries=MAX_LINK_RETRIES, acks_late=True)
def link_employers(self, link_ids: list[int]) -> int:
    attempt = self.request.retries + 1
    result = services.links_activate(
        link_ids=link_ids, trigger=f"taak link_employers (poging {attempt})"
    )
    if result.retry and self.request.retries < self.max_retries:
        countdown = _backoff(self.request.retries)
        outbox.links_defer(link_ids=link_ids, seconds=countdown)
        raise self.retry(countdown=countdown)
    return len(result.activated)


@shared_task(bind=True, max_retries=MAX_LINK_RETRIES, acks_late=True)
def check_request_visibility(self, request_id: int) -> bool | None:
    visible = services.request_visibility_check(
        request_id=request_id, trigger="taak check_request_visibility"
    )
    if visible is None and self.request.retries < self.max_retries:
        from employers.models import EmployerRequest, RequestStatus

        if EmployerRequest.objects.filter(pk=request_id, status=RequestStatus.OPEN).exists():
            countdown = _backoff(self.request.retries)
            outbox.visibility_defer(request_id=request_id, seconds=countdown)
            raise self.retry(countdown=countdown)
    return visible


def _backoff(retries: int) -> int:
    return min(60 * 2**retries, 1800)


@shared_task
def sweep_pending_links() -> dict[str, int]:
    """Every minute: linking tasks and visibility checks that were lost or gave up."""
    return {
        "links": outbox.pending_links_enqueue(),
        "visibility_checks": outbox.visibility_checks_enqueue(),
    }


@shared_task
def send_due_digests() -> int:
    """Every minute: each processor's one mail about its links' new outcomes."""
    return outbox.due_digests_enqueue()


@shared_task
def sweep_unsent_mails() -> dict[str, int]:
    """Every ten minutes: mails still due long after their moment."""
    return outbox.unsent_mails_enqueue()


@shared_task
def recheck_everything() -> int:
    """Daily: every confirmed processor's credentials and every active link, spread out.

    The calls go out as separate tasks with increasing countdowns so that the run stays under
    ``LOKET_CALLS_PER_MINUTE`` (the limiter enforces it too: an over-budget check just retries).
    """
    from django.conf import settings

    from onboarding.tasks import recheck_processor

    ids = list(
        PayrollProcessor.objects.filter(status__in=CONFIRMED_STATES).values_list("pk", flat=True)
    )
    # Each processor costs about four calls (credentials check twice, link re-check twice).
    per_second = max(settings.LOKET_CALLS_PER_MINUTE / 60 / 4, 0.01)
    for position, processor_id in enumerate(ids):
        countdown = int(position / per_second)
        recheck_processor.apply_async((processor_id,), countdown=countdown)
        recheck_links.apply_async((processor_id,), countdown=countdown + 1)
    return len(ids)


@shared_task(acks_late=True)
def recheck_links(processor_id: int) -> int | None:
    processor = PayrollProcessor.objects.filter(pk=processor_id).first()
    if processor is None:
        return None
    return services.links_recheck(processor=processor, trigger="dagelijkse hercontrole")


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_request_mails(request_id: int) -> bool:
    return outbox.request_mails_send(request_id=request_id)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_request_problem_mail(request_id: int) -> bool:
    return outbox.request_problem_mail_send(request_id=request_id)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_link_active_mails(link_ids: list[int]) -> int:
    return outbox.link_active_mails_send(link_ids=link_ids)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_processor_digest(processor_id: int) -> int:
    return outbox.processor_digest_send(processor_id=processor_id)
