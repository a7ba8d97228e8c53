"""The beat's sweeps: hand work that was lost back to Celery (the broker down at the moment of
enqueueing, a task that used up its retries, a mail server that refused).

Each sweep reads the outbox columns described in :mod:`employers.services.outbox` and enqueues
by task name; a copy of a task still on its way costs one query and does nothing, because every
task claims its rows before acting.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from common.dispatch import enqueue
from employers import task_names
from employers.models import EmployerLink, EmployerRequest, LinkStatus, RequestStatus
from employers.services.linking import TASK_CHUNK

GRACE = dt.timedelta(minutes=2)
"""How long a task handed to Celery after commit may take to start before the sweep resends it."""

REARM = dt.timedelta(minutes=10)
"""After the sweep resent a task, how long before it may resend it again (the copy may wait
behind a long queue; it must not be joined by a new copy every minute)."""

MAIL_GRACE = dt.timedelta(minutes=10)
"""How long a mail may be due before the mail sweep (every ten minutes) sends it again."""


def pending_links_enqueue(*, older_than: dt.timedelta = GRACE) -> int:
    """Links pending for a while with no linking task on its way: one task per chunk again."""
    now = timezone.now()
    ids = list(
        EmployerLink.objects.filter(
            status=LinkStatus.PENDING, link_requested_at__lt=now - older_than
        )
        .order_by("link_requested_at")
        .values_list("pk", flat=True)
    )
    for start in range(0, len(ids), TASK_CHUNK):
        chunk = ids[start : start + TASK_CHUNK]
        # Re-armed first: the task may finish (or defer itself) before the enqueue returns.
        EmployerLink.objects.filter(pk__in=chunk, status=LinkStatus.PENDING).update(
            link_requested_at=now + REARM
        )
        enqueue(task_names.LINK_EMPLOYERS, chunk)
    return len(ids)


def visibility_checks_enqueue(*, older_than: dt.timedelta = GRACE) -> int:
    """Open requests whose visibility check never ran (or gave up while Loket.nl was down)."""
    now = timezone.now()
    due = EmployerRequest.objects.filter(visibility_due_at__isnull=False)
    due.exclude(status=RequestStatus.OPEN).update(visibility_due_at=None)  # moot now
    ids = list(
        due.filter(status=RequestStatus.OPEN, visibility_due_at__lt=now - older_than)
        .order_by("visibility_due_at")
        .values_list("pk", flat=True)
    )
    # Re-armed first: the check may finish before the enqueue returns.
    EmployerRequest.objects.filter(pk__in=ids).update(visibility_due_at=now + REARM)
    for request_id in ids:
        enqueue(task_names.CHECK_REQUEST_VISIBILITY, request_id)
    return len(ids)


def due_digests_enqueue() -> int:
    """Every minute (the beat): one digest task per processor with outcomes it was not told yet.
    This is what gathers a bulk of link outcomes into one mail, and what sends a digest again
    after the mail server refused it."""
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
        enqueue(task_names.SEND_PROCESSOR_DIGEST, processor_id)
    return len(processor_ids)


def unsent_mails_enqueue(*, older_than: dt.timedelta = MAIL_GRACE) -> dict[str, int]:
    """Every mail still due a while after its moment: handed to Celery again."""
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
        enqueue(task_names.SEND_REQUEST_MAILS, request_id)
    for request_id in problems:
        enqueue(task_names.SEND_REQUEST_PROBLEM_MAIL, request_id)
    for start in range(0, len(active), TASK_CHUNK):
        enqueue(task_names.SEND_LINK_ACTIVE_MAILS, active[start : start + TASK_CHUNK])
    return {
        "request_mails": len(received),
        "problem_mails": len(problems),
        "link_active_mails": len(active),
    }
