"""What must still happen after an employer-side state change was committed, and the sweeps that
hand it to Celery again when it was lost: the broker down at the moment of enqueueing, a task
that used up its retries, a mail server that refused.

There is no queue of our own: each piece of due work is a column on the row it is about.

- ``EmployerLink.link_requested_at`` on a pending link: the linking task is due (or, after a
  retry's backoff, next due at that time).
- ``EmployerRequest.visibility_due_at``: can the processor's web-service user see the employer?
- ``EmployerRequest.mails_sent_at`` empty: the employer's confirmation and the processor's notice.
- ``EmployerRequest.problem_mailed_at`` empty on a request with a problem: the processor's mail.
- ``EmployerLink.employer_notified_at`` empty on an active link: the employer's "link active" mail.
- ``EmployerLink.processor_notified_at`` empty on an active or failed link: the processor's digest
  (sent by the beat every minute, which is what gathers a bulk of outcomes into one mail).

Every mail is sent inside a transaction that holds its row (``SELECT ... FOR UPDATE SKIP
LOCKED``) and marks it sent: a task delivered twice, or the sweep's copy of a task still on its
way, finds nothing due; a send that fails rolls back and the mail stays due. A worker killed
after the mail server accepted a mail but before the commit sends it again: a duplicate mail
is better than a lost one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from employers import emails, services
from employers.models import EmployerLink, EmployerRequest, LinkStatus, RequestStatus

GRACE = dt.timedelta(minutes=2)
"""How long a task handed to Celery after commit may take to start before the sweep resends it."""

REARM = dt.timedelta(minutes=10)
"""After the sweep resent a task, how long before it may resend it again (the copy may wait
behind a long queue; it must not be joined by a new copy every minute)."""

MAIL_GRACE = dt.timedelta(minutes=10)
"""How long a mail may be due before the mail sweep (every ten minutes) sends it again."""


# --- tasks that wait for Loket.nl ----------------------------------------------------------------


def links_defer(*, link_ids: Sequence[int], seconds: int) -> None:
    """A linking task retries in ``seconds`` (Loket.nl was down): the sweep leaves it alone."""
    EmployerLink.objects.filter(pk__in=list(link_ids), status=LinkStatus.PENDING).update(
        link_requested_at=timezone.now() + dt.timedelta(seconds=seconds)
    )


def visibility_defer(*, request_id: int, seconds: int) -> None:
    EmployerRequest.objects.filter(pk=request_id, visibility_due_at__isnull=False).update(
        visibility_due_at=timezone.now() + dt.timedelta(seconds=seconds)
    )


def pending_links_enqueue(*, older_than: dt.timedelta = GRACE) -> int:
    """Links pending for a while with no linking task on its way: one task per chunk again."""
    from employers.tasks import link_employers

    now = timezone.now()
    ids = list(
        EmployerLink.objects.filter(
            status=LinkStatus.PENDING, link_requested_at__lt=now - older_than
        )
        .order_by("link_requested_at")
        .values_list("pk", flat=True)
    )
    for start in range(0, len(ids), services.TASK_CHUNK):
        chunk = ids[start : start + services.TASK_CHUNK]
        # Re-armed first: the task may finish (or defer itself) before delay() returns.
        EmployerLink.objects.filter(pk__in=chunk, status=LinkStatus.PENDING).update(
            link_requested_at=now + REARM
        )
        link_employers.delay(chunk)
    return len(ids)


def visibility_checks_enqueue(*, older_than: dt.timedelta = GRACE) -> int:
    """Open requests whose visibility check never ran (or gave up while Loket.nl was down)."""
    from employers.tasks import check_request_visibility

    now = timezone.now()
    due = EmployerRequest.objects.filter(visibility_due_at__isnull=False)
    due.exclude(status=RequestStatus.OPEN).update(visibility_due_at=None)  # moot now
    ids = list(
        due.filter(status=RequestStatus.OPEN, visibility_due_at__lt=now - older_than)
        .order_by("visibility_due_at")
        .values_list("pk", flat=True)
    )
    # Re-armed first: the check may finish before delay() returns.
    EmployerRequest.objects.filter(pk__in=ids).update(visibility_due_at=now + REARM)
    for request_id in ids:
        check_request_visibility.delay(request_id)
    return len(ids)


# --- mails ---------------------------------------------------------------------------------------


def request_mails_send(*, request_id: int) -> bool:
    """The employer's confirmation and the processor's notice, once."""
    with transaction.atomic():
        held = _hold(EmployerRequest.objects.filter(pk=request_id, mails_sent_at__isnull=True))
        if not held:
            return False
        emails.send_request_received(request_id=request_id)
        EmployerRequest.objects.filter(pk=request_id).update(mails_sent_at=timezone.now())
    return True


def request_problem_mail_send(*, request_id: int) -> bool:
    """The processor's mail about a request its web-service user cannot see, once per problem."""
    with transaction.atomic():
        held = _hold(
            EmployerRequest.objects.filter(pk=request_id, problem_mailed_at__isnull=True).exclude(
                problem_code=""
            )
        )
        if not held:
            return False
        emails.send_request_problem(request_id=request_id)  # skips a problem that went away
        EmployerRequest.objects.filter(pk=request_id).update(problem_mailed_at=timezone.now())
    return True


def link_active_mails_send(*, link_ids: Sequence[int]) -> int:
    """Each employer whose link became active, once. Returns how many links were mailed."""
    with transaction.atomic():
        ids = _hold(
            EmployerLink.objects.filter(
                pk__in=list(link_ids),
                status=LinkStatus.ACTIVE,
                request__isnull=False,
                employer_notified_at__isnull=True,
            )
        )
        if ids:
            emails.send_links_active(link_ids=ids)
            EmployerLink.objects.filter(pk__in=ids).update(employer_notified_at=timezone.now())
    return len(ids)


def processor_digest_send(*, processor_id: int) -> int:
    """The processor's one mail about its links' outcomes; marked told only once it went out."""
    with transaction.atomic():
        active, problem = services.processor_digest_claim(processor_id=processor_id)
        emails.send_processor_digest(processor_id=processor_id, active=active, problem=problem)
    return len(active) + len(problem)


def _hold(rows: QuerySet[Any]) -> list[int]:
    return list(
        rows.select_for_update(skip_locked=True).order_by("pk").values_list("pk", flat=True)
    )


def due_digests_enqueue() -> int:
    """Every minute (the beat): one digest task per processor with outcomes it was not told yet.
    This is what gathers a bulk of link outcomes into one mail, and what sends a digest again
    after the mail server refused it."""
    from employers.tasks import send_processor_digest

    processor_ids = sorted(
        set(
            EmployerLink.objects.filter(
                status__in=(LinkStatus.ACTIVE, LinkStatus.PROBLEM),
                processor_notified_at__isnull=True,
            )
            .order_by()
            .values_list("processor_id", flat=True)
            .distinct()
        )
    )
    for processor_id in processor_ids:
        send_processor_digest.delay(processor_id)
    return len(processor_ids)


def unsent_mails_enqueue(*, older_than: dt.timedelta = MAIL_GRACE) -> dict[str, int]:
    """Every mail still due a while after its moment: handed to Celery again. A copy of a task
    still on its way costs one query and sends nothing (see the module's docstring)."""
    from employers import tasks

    before = timezone.now() - older_than
    requests = EmployerRequest.objects.order_by("pk")
    received = list(
        requests.filter(mails_sent_at__isnull=True, created_at__lt=before).values_list(
            "pk", flat=True
        )
    )
    problems = list(
        requests.filter(
            status=RequestStatus.OPEN, problem_mailed_at__isnull=True, checked_at__lt=before
        )
        .exclude(problem_code="")
        .values_list("pk", flat=True)
    )
    active = list(
        EmployerLink.objects.filter(
            status=LinkStatus.ACTIVE,
            request__isnull=False,
            employer_notified_at__isnull=True,
            activated_at__lt=before,
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for request_id in received:
        tasks.send_request_mails.delay(request_id)
    for request_id in problems:
        tasks.send_request_problem_mail.delay(request_id)
    for start in range(0, len(active), services.TASK_CHUNK):
        tasks.send_link_active_mails.delay(active[start : start + services.TASK_CHUNK])
    return {
        "request_mails": len(received),
        "problem_mails": len(problems),
        "link_active_mails": len(active),
    }
