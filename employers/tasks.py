"""Celery tasks of the employer side: thin wrappers around ``employers.services``. They take ids
only; temporary trouble at Loket.nl retries with backoff and a cap, then the sweep carries on.
Each task is registered under its name in :mod:`employers.task_names`."""

from __future__ import annotations

from celery import Task, shared_task
from django.conf import settings

from common.dispatch import retry_delay
from common.outbox import HELD_RETRY_SECONDS, RowsHeld
from employers import services, task_names
from employers.services import linking, outbox, requests, sweeps, verification
from onboarding.models import PayrollProcessor

MAX_LINK_RETRIES = 6

# A refused or unreachable mail server (smtplib's errors are OSErrors): retried with backoff,
# then the sweep carries on. Rows another transaction held: tried again in a few seconds.
MAIL_RETRY = {
    "autoretry_for": (OSError,),
    "retry_backoff": True,
    "retry_backoff_max": settings.CELERY_MAX_RETRY_DELAY,
    "max_retries": 5,
}


def _backoff(retries: int) -> int:
    """1, 2, 4, ... minutes, capped at ``CELERY_MAX_RETRY_DELAY``."""
    return retry_delay(60 * 2**retries)


def _retry_held(task: Task, held: RowsHeld, *, args: tuple[object, ...] | None = None) -> Exception:
    # Within the task's own max_retries (never an override: Celery keeps that on the shared task
    # object); when they run out the sweep sends the mail within a minute.
    return task.retry(args=args, countdown=HELD_RETRY_SECONDS, exc=held)


@shared_task(
    name=task_names.LINK_EMPLOYERS, bind=True, max_retries=MAX_LINK_RETRIES, acks_late=True
)
def link_employers(self, link_ids: list[int]) -> int:
    attempt = self.request.retries + 1
    result = services.links_activate(
        link_ids=link_ids, trigger=f"taak link_employers (poging {attempt})"
    )
    if result.retry:
        if self.request.retries < self.max_retries:
            countdown = _backoff(self.request.retries)
            linking.links_defer(link_ids=link_ids, seconds=countdown, lease=result.lease)
            raise self.retry(countdown=countdown)
        linking.links_release(link_ids=link_ids, lease=result.lease)  # over to the sweep
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
        requests.visibility_defer(request_id=request_id, seconds=countdown)
        raise self.retry(countdown=countdown)
    return result.value


@shared_task(name=task_names.SWEEP_PENDING_LINKS)
def sweep_pending_links() -> dict[str, int]:
    """Every 20 seconds: linking tasks and visibility checks that were lost, gave up, or whose
    worker was killed (its lease ran out)."""
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
    """Every 20 seconds: mails still due a while after their moment."""
    return {
        **sweeps.unsent_mails_enqueue(),
        **sweeps.ended_mails_enqueue(),
        **sweeps.employer_notices_enqueue(),
        **verification.unsent_verification_mails_enqueue(),
    }


@shared_task(name=task_names.RECHECK_EVERYTHING)
def recheck_everything(after_pk: int = 0) -> int:
    """Daily: every confirmed processor's credentials and every active link, spread out."""
    return services.recheck_everything_schedule(after_pk=after_pk)


@shared_task(name=task_names.RECHECK_LINKS, acks_late=True)
def recheck_links(processor_id: int) -> int | None:
    processor = PayrollProcessor.objects.filter(pk=processor_id).first()
    if processor is None:
        return None
    return services.links_recheck(processor=processor, trigger="dagelijkse hercontrole")


@shared_task(name=task_names.SEND_REQUEST_MAILS, bind=True, **MAIL_RETRY)
def send_request_mails(self: Task, request_id: int) -> bool:
    try:
        return outbox.request_mails_send(request_id=request_id)
    except RowsHeld as held:
        raise _retry_held(self, held) from None


@shared_task(name=task_names.SEND_REQUEST_PROBLEM_MAIL, bind=True, **MAIL_RETRY)
def send_request_problem_mail(self: Task, request_id: int) -> bool:
    try:
        return outbox.request_problem_mail_send(request_id=request_id)
    except RowsHeld as held:
        raise _retry_held(self, held) from None


@shared_task(name=task_names.SEND_LINK_ACTIVE_MAILS, bind=True, **MAIL_RETRY)
def send_link_active_mails(self: Task, link_ids: list[int]) -> int:
    try:
        return outbox.link_active_mails_send(link_ids=link_ids)
    except RowsHeld as held:
        # The others went out; only the held links are tried again.
        raise _retry_held(self, held, args=(held.ids,)) from None


@shared_task(name=task_names.SEND_PROCESSOR_DIGEST, **MAIL_RETRY)
def send_processor_digest(processor_id: int) -> int:
    # Links another transaction held stay untold; the beat's next digest (a minute) takes them.
    return outbox.processor_digest_send(processor_id=processor_id)


@shared_task(name=task_names.SEND_REQUEST_WITHDRAWN_MAIL, bind=True, **MAIL_RETRY)
def send_request_withdrawn_mail(self: Task, request_id: int) -> bool:
    try:
        return outbox.request_withdrawn_mail_send(request_id=request_id)
    except RowsHeld as held:
        raise _retry_held(self, held) from None


@shared_task(name=task_names.SEND_VERIFICATION_MAIL, bind=True, **MAIL_RETRY)
def send_verification_mail(self: Task, request_id: int) -> bool:
    try:
        return verification.verification_mail_send(request_id=request_id)
    except RowsHeld as held:
        raise _retry_held(self, held) from None


@shared_task(name=task_names.SEND_LINK_EMPLOYER_PROBLEM_MAIL, bind=True, **MAIL_RETRY)
def send_link_employer_problem_mail(self: Task, link_id: int) -> bool:
    try:
        return outbox.link_employer_problem_mail_send(link_id=link_id)
    except RowsHeld as held:
        raise _retry_held(self, held) from None


@shared_task(name=task_names.SEND_REQUEST_REJECTED_MAIL, bind=True, **MAIL_RETRY)
def send_request_rejected_mail(self: Task, request_id: int) -> bool:
    try:
        return verification.rejection_mail_send(request_id=request_id)
    except RowsHeld as held:
        raise _retry_held(self, held) from None


@shared_task(name=task_names.SEND_LINK_ENDED_MAIL, bind=True, **MAIL_RETRY)
def send_link_ended_mail(self: Task, link_id: int) -> bool:
    try:
        return outbox.link_ended_mail_send(link_id=link_id)
    except RowsHeld as held:
        raise _retry_held(self, held) from None


@shared_task(name=task_names.SEND_REQUEST_DECLINED_MAIL, bind=True, **MAIL_RETRY)
def send_request_declined_mail(self: Task, request_id: int) -> bool:
    try:
        return outbox.request_declined_mail_send(request_id=request_id)
    except RowsHeld as held:
        raise _retry_held(self, held) from None


@shared_task(name=task_names.EXPIRE_REQUESTS)
def expire_requests() -> int:
    """Hourly: requests not verified within their days are deleted."""
    return verification.requests_expire()
