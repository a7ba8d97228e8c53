"""Claim, send, mark: every mail of the employer side goes out exactly once from here.

There is no queue of our own: each piece of due work is a column on the row it is about.

- ``EmployerLink.link_requested_at`` on a pending link: the linking task is due (or, after a
  retry's backoff, next due at that time).
- ``EmployerRequest.visibility_due_at``: can the processor's web-service user see the employer?
- ``EmployerRequest.mails_sent_at`` empty: the employer's confirmation and the processor's notice.
- ``EmployerRequest.problem_mailed_at`` empty on a request with a problem: the processor's mail.
- ``EmployerLink.employer_notified_at`` empty on an active link: the employer's "link active" mail.
- ``EmployerLink.processor_notified_at`` empty on an active or failed link: the processor's digest.
- ``EmployerRequest.withdraw_mailed_at`` empty on a withdrawn, verified request: the processor's
  notice.
- ``EmployerLink.end_mailed_at`` empty on an ended link: the processor's and a.s.r.'s notice.
- ``EmployerLink.employer_problem_mailed_at`` empty on a link with a number problem: the
  employer's verified contact is told what differs and what to do.
- ``EmployerRequest.decline_mailed_at`` empty on a declined request: the employer is told.
- ``EmployerRequest.verification_mailed_at`` (the confirmation link or the review notices) and
  the rejection mail: see :mod:`employers.services.verification`.

Every mail is sent inside a transaction that holds its row (``SELECT ... FOR UPDATE SKIP
LOCKED``, :func:`common.outbox.hold`) and marks it sent: a task delivered twice, or the sweep's
copy of a task still on its way, finds nothing due; a send that fails rolls back and the mail
stays due. A row another transaction holds at that moment raises
:class:`~common.outbox.RowsHeld`, and the task tries it again a few seconds later. A worker killed
after the mail server accepted a mail but before the commit sends it again: a duplicate mail
is better than a lost one. The sweeps that hand lost work to Celery again are in
:mod:`employers.services.sweeps`.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from common.outbox import RowsHeld, hold
from employers import emails
from employers.models import EmployerLink, EmployerRequest, LinkStatus, RequestStatus
from employers.services.digests import processor_digest_claim
from locket_client.problems import NUMBER_CODES


def request_mails_send(*, request_id: int) -> bool:
    """The employer's confirmation and the processor's notice, once the request is verified
    (an unverified request mails the processor nothing)."""
    with transaction.atomic():
        held = _hold_one(
            EmployerRequest.objects.filter(
                pk=request_id,
                mails_sent_at__isnull=True,
                verified_at__isnull=False,
                # withdrawn, declined or ended before the mail went out: it is moot
                status__in=(RequestStatus.OPEN, RequestStatus.LINKED),
            )
        )
        if not held:
            return False
        emails.send_request_received(request_id=request_id)
        EmployerRequest.objects.filter(pk=request_id).update(
            mails_sent_at=timezone.now(), mail_retry_at=None
        )
    return True


def request_problem_mail_send(*, request_id: int) -> bool:
    """The processor's mail about a request its web-service user cannot see, once per problem."""
    with transaction.atomic():
        held = _hold_one(
            EmployerRequest.objects.filter(pk=request_id, problem_mailed_at__isnull=True).exclude(
                problem_code=""
            )
        )
        if not held:
            return False
        emails.send_request_problem(request_id=request_id)  # skips a problem that went away
        EmployerRequest.objects.filter(pk=request_id).update(
            problem_mailed_at=timezone.now(), mail_retry_at=None
        )
    return True


def link_active_mails_send(*, link_ids: Sequence[int]) -> int:
    """Each employer whose link became active, once. Returns how many links were mailed; raises
    :class:`~common.outbox.RowsHeld` naming the links another transaction held (after the
    others were sent and marked)."""
    with transaction.atomic():
        ids, others = hold(
            EmployerLink.objects.filter(
                pk__in=list(link_ids),
                status=LinkStatus.ACTIVE,
                request__isnull=False,
                employer_notified_at__isnull=True,
            )
        )
        if ids:
            emails.send_links_active(link_ids=ids)
            EmployerLink.objects.filter(pk__in=ids).update(
                employer_notified_at=timezone.now(), mail_retry_at=None
            )
    if others:
        raise RowsHeld(others)
    return len(ids)


def processor_digest_send(*, processor_id: int) -> int:
    """The processor's one mail about its links' outcomes; marked told only once it went out."""
    with transaction.atomic():
        active, problem = processor_digest_claim(processor_id=processor_id)
        emails.send_processor_digest(processor_id=processor_id, active=active, problem=problem)
    return len(active) + len(problem)


def _hold_one(due: QuerySet[EmployerRequest]) -> bool:
    """Whether this transaction now holds the (one) due row; raises
    :class:`~common.outbox.RowsHeld` when another transaction holds it."""
    mine, others = hold(due)
    if others:
        raise RowsHeld(others)
    return bool(mine)


def request_withdrawn_mail_send(*, request_id: int) -> bool:
    """The processor's notice that a verified request was withdrawn, once."""
    with transaction.atomic():
        held = _hold_one(
            EmployerRequest.objects.filter(
                pk=request_id,
                status=RequestStatus.WITHDRAWN,
                verified_at__isnull=False,
                withdraw_mailed_at__isnull=True,
            )
        )
        if not held:
            return False
        emails.send_request_withdrawn(request_id=request_id)
        EmployerRequest.objects.filter(pk=request_id).update(
            withdraw_mailed_at=timezone.now(), mail_retry_at=None
        )
    return True


def link_ended_mail_send(*, link_id: int) -> bool:
    """The processor's and a.s.r.'s notice that a link ended, once."""
    with transaction.atomic():
        mine, others = hold(
            EmployerLink.objects.filter(
                pk=link_id, status=LinkStatus.ENDED, end_mailed_at__isnull=True
            )
        )
        if others:
            raise RowsHeld(others)
        if not mine:
            return False
        emails.send_link_ended(link_id=link_id)
        EmployerLink.objects.filter(pk=link_id).update(
            end_mailed_at=timezone.now(), mail_retry_at=None
        )
    return True


def link_employer_problem_due() -> QuerySet[EmployerLink]:
    """Links whose number problem the employer's verified contact was not told yet."""
    return EmployerLink.objects.filter(
        status__in=(LinkStatus.PROBLEM, LinkStatus.NEEDS_ATTENTION),
        problem_code__in=sorted(NUMBER_CODES),
        request__isnull=False,
        employer_problem_mailed_at__isnull=True,
    )


def link_employer_problem_mail_send(*, link_id: int) -> bool:
    """The employer's mail about its link's number problem (what differs, what to do), once."""
    with transaction.atomic():
        if not _hold_one(link_employer_problem_due().filter(pk=link_id)):
            return False
        emails.send_link_employer_problem(link_id=link_id)
        EmployerLink.objects.filter(pk=link_id).update(
            employer_problem_mailed_at=timezone.now(), mail_retry_at=None
        )
    return True


def request_declined_due() -> QuerySet[EmployerRequest]:
    """Declined requests whose employer was not told yet."""
    return EmployerRequest.objects.filter(
        status=RequestStatus.DECLINED, decided_at__isnull=False, decline_mailed_at__isnull=True
    )


def request_declined_mail_send(*, request_id: int) -> bool:
    """The employer's mail that its processor declined the request, with the reason, once."""
    with transaction.atomic():
        if not _hold_one(request_declined_due().filter(pk=request_id)):
            return False
        emails.send_request_declined(request_id=request_id)
        EmployerRequest.objects.filter(pk=request_id).update(
            decline_mailed_at=timezone.now(), mail_retry_at=None
        )
    return True
