"""The beat's sweeps: hand work that was lost back to Celery (the broker down at the moment of
enqueueing, a task that used up its retries, a mail server that refused).

Each sweep reads the outbox columns described in :mod:`employers.services.outbox` and enqueues
by task name; a copy of a task still on its way costs one query and does nothing, because every
task claims its rows before acting.

The beat runs them every 20 seconds, so nothing waits more than about a minute: a lost task is
resent after :data:`GRACE`, a killed worker's links once its lease ends
(:func:`~employers.services.linking.link_lease`), a mail after :data:`MAIL_GRACE`. The beat skips
its runs while Redis is down; each sweep reads the database afresh, so the first run after
Redis is back catches up on everything, and a sweep that cannot reach the broker leaves every
row as it found it (due) and raises.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Model, Q
from django.utils import timezone

from common.dispatch import enqueue
from common.outbox import REARM as MAIL_REARM
from employers import task_names
from employers.models import EmployerLink, EmployerRequest, LinkStatus, RequestStatus
from employers.services.linking import TASK_CHUNK
from employers.services.outbox import link_employer_problem_due, request_declined_due

GRACE = dt.timedelta(seconds=30)
"""How long a task handed to Celery after commit may take to start before the sweep resends it."""

REARM = dt.timedelta(minutes=2)
"""After the sweep resent a task, how long before it may resend it again (the copy may wait
behind a long queue; it must not be joined by a new copy on every run)."""

MAIL_GRACE = dt.timedelta(seconds=30)
"""How long a mail may be due (its task on its way) before the sweep sends it again."""


def pending_links_enqueue(*, older_than: dt.timedelta = GRACE) -> int:
    """Pending links with no linking task on its way (none started within ``older_than``), or
    whose task's lease ran out (its worker was killed): one task per chunk again."""
    now = timezone.now()
    rows = list(
        EmployerLink.objects.filter(status=LinkStatus.PENDING)
        .filter(
            Q(link_claimed_until__isnull=True, link_requested_at__lt=now - older_than)
            | Q(link_claimed_until__lt=now)
        )
        .order_by("processor_id", "link_requested_at", "pk")
        .values_list("processor_id", "pk")
    )
    # One processor per task, as the services enqueue them: one Loket.nl snapshot, one lease.
    by_processor: dict[int, list[int]] = {}
    for processor_id, link_id in rows:
        by_processor.setdefault(processor_id, []).append(link_id)
    for ids in by_processor.values():
        for start in range(0, len(ids), TASK_CHUNK):
            chunk = ids[start : start + TASK_CHUNK]
            # Re-armed first: the task may finish (or defer itself) before the enqueue returns.
            rearmed = EmployerLink.objects.filter(
                Q(link_claimed_until__isnull=True) | Q(link_claimed_until__lt=now),
                pk__in=chunk,
                status=LinkStatus.PENDING,
            )
            rearmed.update(link_requested_at=now + REARM, link_claimed_until=None)
            try:
                enqueue(task_names.LINK_EMPLOYERS, chunk)
            except Exception:
                # Broker down: the rest stays due for the next run, and so does this chunk.
                EmployerLink.objects.filter(pk__in=chunk, link_requested_at=now + REARM).update(
                    link_requested_at=now - older_than
                )
                raise
    return len(rows)


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
    # Re-armed first, in one statement: a check may finish before its enqueue returns.
    EmployerRequest.objects.filter(pk__in=ids).update(visibility_due_at=now + REARM)
    for position, request_id in enumerate(ids):
        try:
            enqueue(task_names.CHECK_REQUEST_VISIBILITY, request_id)
        except Exception:
            # Broker down: this one and the rest stay due for the next run.
            EmployerRequest.objects.filter(
                pk__in=ids[position:], visibility_due_at=now + REARM
            ).update(visibility_due_at=now - older_than)
            raise
    return len(ids)


def due_digests_enqueue() -> int:
    """Every minute (the beat): one digest task per processor with outcomes it was not told yet.
    This is what gathers a bulk of link outcomes into one mail, and what sends a digest again
    after the mail server refused it."""
    processor_ids = sorted(
        set(
            EmployerLink.objects.filter(
                status__in=(LinkStatus.ACTIVE, LinkStatus.PROBLEM, LinkStatus.NEEDS_ATTENTION),
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
    """Every mail still due a while after its moment, handed to Celery again, then left alone
    for :data:`~common.outbox.REARM` (``mail_retry_at``): a mail server down for an hour must
    not gather a copy on every run. A broker error raises; what was not enqueued stays due."""
    now = timezone.now()
    before = now - older_than
    ready = Q(mail_retry_at__isnull=True) | Q(mail_retry_at__lt=now)
    requests = EmployerRequest.objects.filter(ready).order_by("pk")
    received = list(
        requests.filter(
            mails_sent_at__isnull=True,
            verified_at__lt=before,
            status__in=(RequestStatus.OPEN, RequestStatus.LINKED),
        ).values_list("pk", flat=True)
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
            ready,
            status=LinkStatus.ACTIVE,
            request__isnull=False,
            employer_notified_at__isnull=True,
            activated_at__lt=before,
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    requests_due = EmployerRequest.objects.filter(pk__in=[*received, *problems])
    links_due = EmployerLink.objects.filter(pk__in=active)
    requests_due.update(mail_retry_at=now + MAIL_REARM)
    links_due.update(mail_retry_at=now + MAIL_REARM)
    try:
        for request_id in received:
            enqueue(task_names.SEND_REQUEST_MAILS, request_id)
        for request_id in problems:
            enqueue(task_names.SEND_REQUEST_PROBLEM_MAIL, request_id)
        for start in range(0, len(active), TASK_CHUNK):
            enqueue(task_names.SEND_LINK_ACTIVE_MAILS, active[start : start + TASK_CHUNK])
    except Exception:
        # Broker down: every mail of this run is due again on the next one (a copy enqueued
        # before the failure finds its mail sent, or sends it once).
        requests_due.update(mail_retry_at=None)
        links_due.update(mail_retry_at=None)
        raise
    return {
        "request_mails": len(received),
        "problem_mails": len(problems),
        "link_active_mails": len(active),
    }


def hand_out(now: dt.datetime, *batches: tuple[type[Model], str, list[int]]) -> None:
    """Hand due mails to Celery again: each batch is (model, task name, row ids), one task per
    id. The rows are re-armed first (``mail_retry_at``: left alone for
    :data:`~common.outbox.REARM`); when the broker fails, every row of this run is due again on
    the next one and the error is raised (a copy enqueued before the failure finds its mail
    sent, or sends it once)."""
    for model, _name, ids in batches:
        model.objects.filter(pk__in=ids).update(mail_retry_at=now + MAIL_REARM)
    try:
        for _model, name, ids in batches:
            for pk in ids:
                enqueue(name, pk)
    except Exception:
        for model, _name, ids in batches:
            model.objects.filter(pk__in=ids).update(mail_retry_at=None)
        raise


def ended_mails_enqueue(*, older_than: dt.timedelta = MAIL_GRACE) -> dict[str, int]:
    """Issue 12: the notices of withdrawn requests and ended links still due a while after
    their moment, handed to Celery again (then left alone for :data:`~common.outbox.REARM`)."""
    now = timezone.now()
    before = now - older_than
    ready = Q(mail_retry_at__isnull=True) | Q(mail_retry_at__lt=now)
    withdrawn = list(
        EmployerRequest.objects.filter(
            ready,
            status=RequestStatus.WITHDRAWN,
            verified_at__isnull=False,
            withdraw_mailed_at__isnull=True,
            decided_at__lt=before,
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    ended = list(
        EmployerLink.objects.filter(
            ready, status=LinkStatus.ENDED, end_mailed_at__isnull=True, ended_at__lt=before
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    hand_out(
        now,
        (EmployerRequest, task_names.SEND_REQUEST_WITHDRAWN_MAIL, withdrawn),
        (EmployerLink, task_names.SEND_LINK_ENDED_MAIL, ended),
    )
    return {"withdrawn_mails": len(withdrawn), "ended_mails": len(ended)}


def employer_notices_enqueue(*, older_than: dt.timedelta = MAIL_GRACE) -> dict[str, int]:
    """The employer's mails of the processor's side (issue 12) still due a while after their
    moment: a link's number problem, a declined request. As :func:`unsent_mails_enqueue`."""
    now = timezone.now()
    before = now - older_than
    ready = Q(mail_retry_at__isnull=True) | Q(mail_retry_at__lt=now)
    problems = list(
        link_employer_problem_due()
        .filter(ready, checked_at__lt=before)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    declined = list(
        request_declined_due()
        .filter(ready, decided_at__lt=before)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    hand_out(
        now,
        (EmployerLink, task_names.SEND_LINK_EMPLOYER_PROBLEM_MAIL, problems),
        (EmployerRequest, task_names.SEND_REQUEST_DECLINED_MAIL, declined),
    )
    return {"employer_problem_mails": len(problems), "declined_mails": len(declined)}
