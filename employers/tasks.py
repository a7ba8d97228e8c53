"""Celery tasks of the employer side: thin wrappers around ``employers.services``. They take ids
only; temporary trouble at Loket.nl retries with backoff and a cap, then the sweep carries on.
Each task is registered under its name in :mod:`employers.task_names`."""

from __future__ import annotations

from celery import shared_task

from employers import services, task_names
from employers.services import outbox, sweeps
from onboarding.models import PayrollProcessor

MAX_LINK_RETRIES = 6


def _backoff(retries: int) -> int:
    return min(60 * 2**retries, 1800)


@shared_task(
    name=task_names.LINK_EMPLOYERS, bind=True, max_retries=MAX_LINK_RETRIES, acks_late=True
)
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


@shared_task(
    name=task_names.CHECK_REQUEST_VISIBILITY,
    bind=True,
    max_retries=MAX_LINK_RETRIES,
    acks_late=True,
)
def check_request_visibility(self, request_id: int) -> str:
    result = services.request_visibility_check(
        request_id=request_id, trigger="taak check_request_visibility"
    )
    if result is services.Visibility.RETRY and self.request.retries < self.max_retries:
        countdown = _backoff(self.request.retries)
        outbox.visibility_defer(request_id=request_id, seconds=countdown)
        raise self.retry(countdown=countdown)
    return result.value


@shared_task(name=task_names.SWEEP_PENDING_LINKS)
def sweep_pending_links() -> dict[str, int]:
    """Every minute: linking tasks and visibility checks that were lost or gave up."""
    return {
        "links": sweeps.pending_links_enqueue(),
        "visibility_checks": sweeps.visibility_checks_enqueue(),
    }


@shared_task(name=task_names.SEND_DUE_DIGESTS)
def send_due_digests() -> int:
    """Every minute: each processor's one mail about its links' new outcomes."""
    return sweeps.due_digests_enqueue()


@shared_task(name=task_names.SWEEP_UNSENT_MAILS)
def sweep_unsent_mails() -> dict[str, int]:
    """Every ten minutes: mails still due long after their moment."""
    return sweeps.unsent_mails_enqueue()


@shared_task(name=task_names.RECHECK_EVERYTHING)
def recheck_everything() -> int:
    """Daily: every confirmed processor's credentials and every active link, spread out."""
    return services.recheck_everything_schedule()


@shared_task(name=task_names.RECHECK_LINKS, acks_late=True)
def recheck_links(processor_id: int) -> int | None:
    processor = PayrollProcessor.objects.filter(pk=processor_id).first()
    if processor is None:
        return None
    return services.links_recheck(processor=processor, trigger="dagelijkse hercontrole")


@shared_task(
    name=task_names.SEND_REQUEST_MAILS, autoretry_for=(OSError,), retry_backoff=True, max_retries=5
)
def send_request_mails(request_id: int) -> bool:
    return outbox.request_mails_send(request_id=request_id)


@shared_task(
    name=task_names.SEND_REQUEST_PROBLEM_MAIL,
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
)
def send_request_problem_mail(request_id: int) -> bool:
    return outbox.request_problem_mail_send(request_id=request_id)


@shared_task(
    name=task_names.SEND_LINK_ACTIVE_MAILS,
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
)
def send_link_active_mails(link_ids: list[int]) -> int:
    return outbox.link_active_mails_send(link_ids=link_ids)


@shared_task(
    name=task_names.SEND_PROCESSOR_DIGEST,
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
)
def send_processor_digest(processor_id: int) -> int:
    return outbox.processor_digest_send(processor_id=processor_id)
