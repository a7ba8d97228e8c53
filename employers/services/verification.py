"""What happens to a request before it is verified (issue 12): the confirmation link mailed to
the address on file, a.s.r.'s review (approve is :func:`~employers.services.requests.
request_verify`, reject is :func:`request_reject`), expiry, and the requests made before the
customer register existed.

The mails follow the outbox pattern of :mod:`employers.services.outbox`:

- ``EmployerRequest.verification_mailed_at`` empty on an unverified request with an expiry: the
  confirmation link to the register's address (``UNVERIFIED``), or a.s.r.'s review notice and
  the employer's "a.s.r. beoordeelt uw aanvraag" (``IN_REVIEW``).
- ``EmployerRequest.mails_sent_at`` empty on a *rejected* request: the employer's rejection
  mail (a rejected request was never verified, so the column has no other use on it).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from common.dispatch import enqueue_on_commit
from common.outbox import RowsHeld, hold
from customers.selectors import policies_of
from employers import emails, task_names
from employers.models import (
    UNVERIFIED_STATES,
    VERIFY_DAYS,
    EmployerEvent,
    EmployerLink,
    EmployerRequest,
    LinkStatus,
    RequestStatus,
    VerificationMethod,
)
from employers.services.events import event
from employers.services.sweeps import hand_out

logger = logging.getLogger(__name__)

MAIL_GRACE = dt.timedelta(seconds=30)
"""How long a mail may be due (its task on its way) before the sweep sends it again."""

BEFORE_REGISTER_LABEL = "aanvraag van vóór het klantregister"


# --- reject ------------------------------------------------------------------------------------


def request_reject(
    *,
    request_id: int,
    reason: str,
    actor: AbstractBaseUser | None,
    actor_label: str,
) -> EmployerRequest:
    """a.s.r. rejects a request that waits for verification (its review queue): it becomes
    ``REJECTED`` with the reason, reserves nothing (it never did), is kept (no expiry) and the
    employer is mailed, at the address typed in the form, in its language.

    Raises :class:`ValidationError` (``reason_required``, ``not_unverified``)."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError(_("Vul de reden van afwijzing in."), code="reason_required")
    with transaction.atomic():
        employer_request = EmployerRequest.objects.select_for_update().filter(pk=request_id).first()
        if employer_request is None or employer_request.status not in UNVERIFIED_STATES:
            raise ValidationError(
                _("Deze aanvraag is al bevestigd, verlopen of ingetrokken."),
                code="not_unverified",
            )
        previous = employer_request.status
        employer_request.status = RequestStatus.REJECTED
        employer_request.decision_reason = reason[:300]
        employer_request.decided_at = timezone.now()
        employer_request.expires_at = None
        employer_request.mails_sent_at = None
        employer_request.mail_retry_at = None
        employer_request.save(
            update_fields=[
                "status",
                "decision_reason",
                "decided_at",
                "expires_at",
                "mails_sent_at",
                "mail_retry_at",
            ]
        )
        event(
            employer_request=employer_request,
            from_status=previous,
            to_status=RequestStatus.REJECTED,
            actor=actor,
            actor_label=actor_label,
            note=reason,
        ).save()
        enqueue_on_commit(task_names.SEND_REQUEST_REJECTED_MAIL, employer_request.pk)
    return employer_request


# --- expiry ------------------------------------------------------------------------------------


def requests_expire() -> int:
    """The beat: delete the requests that were not verified in time (their numbers, never
    reserved, and their history go with them). Returns how many."""
    expired = EmployerRequest.objects.filter(
        ~Exists(EmployerLink.objects.filter(request_id=OuterRef("pk"))),
        status__in=UNVERIFIED_STATES,
        expires_at__lt=timezone.now(),
    )
    ids = list(expired.values_list("pk", flat=True)[:5000])
    if not ids:
        return 0
    with transaction.atomic():
        # Again under the lock: a request verified meanwhile is not deleted.
        locked = list(
            expired.filter(pk__in=ids)
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)
        )
        EmployerRequest.objects.filter(pk__in=locked).delete()
    logger.info("expired employer requests deleted: %d", len(locked))
    return len(locked)


# --- the outbox of the verification mails --------------------------------------------------------


def _verification_due() -> QuerySet[EmployerRequest]:
    return EmployerRequest.objects.filter(
        status__in=UNVERIFIED_STATES,
        verification_mailed_at__isnull=True,
        expires_at__isnull=False,
    )


def verification_mail_send(*, request_id: int) -> bool:
    """The confirmation link to the address on file, or the review notices, once."""
    with transaction.atomic():
        if not _hold_one(_verification_due().filter(pk=request_id)):
            return False
        emails.send_verification(request_id=request_id)
        EmployerRequest.objects.filter(pk=request_id).update(
            verification_mailed_at=timezone.now(), mail_retry_at=None
        )
    return True


def _rejection_due() -> QuerySet[EmployerRequest]:
    return EmployerRequest.objects.filter(status=RequestStatus.REJECTED, mails_sent_at__isnull=True)


def rejection_mail_send(*, request_id: int) -> bool:
    """The employer's mail that a.s.r. rejected its request, once."""
    with transaction.atomic():
        if not _hold_one(_rejection_due().filter(pk=request_id)):
            return False
        emails.send_request_rejected(request_id=request_id)
        EmployerRequest.objects.filter(pk=request_id).update(
            mails_sent_at=timezone.now(), mail_retry_at=None
        )
    return True


def _hold_one(due: QuerySet[EmployerRequest]) -> bool:
    mine, others = hold(due)
    if others:
        raise RowsHeld(others)
    return bool(mine)


def unsent_verification_mails_enqueue(*, older_than: dt.timedelta = MAIL_GRACE) -> dict[str, int]:
    """The sweep (with :func:`~employers.services.sweeps.unsent_mails_enqueue`): verification
    and rejection mails still due a while after their moment, handed to Celery again."""
    now = timezone.now()
    before = now - older_than
    ready = Q(mail_retry_at__isnull=True) | Q(mail_retry_at__lt=now)
    verification = list(
        _verification_due()
        .filter(ready, created_at__lt=before)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    rejection = list(
        _rejection_due()
        .filter(ready, decided_at__lt=before)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    hand_out(
        now,
        (EmployerRequest, task_names.SEND_VERIFICATION_MAIL, verification),
        (EmployerRequest, task_names.SEND_REQUEST_REJECTED_MAIL, rejection),
    )
    return {"verification_mails": len(verification), "rejection_mails": len(rejection)}


# --- requests made before the register existed (issue 12, point 7) ------------------------------


@dataclass(frozen=True)
class BeforeRegister:
    """What a.s.r. is told about the requests and links made before the register existed."""

    active_links: list[EmployerLink]
    unverified: list[EmployerRequest]


def before_register_list() -> BeforeRegister:
    """(a) Active links whose request was verified before the register existed, and (b) the
    requests made before it that are still not verified."""
    return BeforeRegister(
        active_links=list(
            EmployerLink.objects.filter(
                status=LinkStatus.ACTIVE,
                request__verification_method=VerificationMethod.BEFORE_REGISTER,
            )
            .select_related("processor", "request")
            .order_by("processor__company_name", "employer_name", "pk")
        ),
        unverified=list(
            EmployerRequest.objects.filter(before_register=True, status__in=UNVERIFIED_STATES)
            .select_related("processor")
            .order_by("created_at", "pk")
        ),
    )


def before_register_send() -> dict[str, int]:
    """Each request made before the register existed that is still waiting (unverified, no
    expiry yet) gets its way forward: when its KvK number has policies in the register, the
    confirmation link to the address on file of the first policy; otherwise a.s.r.'s review.
    Either way it expires :data:`VERIFY_DAYS` days from now. Running it again does nothing to
    the requests it already handled."""
    counts = {"register": 0, "review": 0}
    waiting = EmployerRequest.objects.filter(
        before_register=True, status=RequestStatus.UNVERIFIED, expires_at__isnull=True
    )
    for request_id in list(waiting.order_by("pk").values_list("pk", flat=True)):
        with transaction.atomic():
            employer_request = waiting.select_for_update().filter(pk=request_id).first()
            if employer_request is None:
                continue
            policies = policies_of(employer_request.kvk_number)
            now = timezone.now()
            employer_request.expires_at = now + dt.timedelta(days=VERIFY_DAYS)
            employer_request.verification_mailed_at = None
            employer_request.mail_retry_at = None
            if policies:
                employer_request.register_policy = policies[0].policy_number
                employer_request.register_email = policies[0].contact_email
                note = f"klantregister: polis {policies[0].policy_number}"
                counts["register"] += 1
            else:
                employer_request.status = RequestStatus.IN_REVIEW
                note = "geen polis in het klantregister: ter beoordeling"
                counts["review"] += 1
            employer_request.save(
                update_fields=[
                    "status",
                    "expires_at",
                    "verification_mailed_at",
                    "mail_retry_at",
                    "register_policy",
                    "register_email",
                ]
            )
            EmployerEvent.objects.create(
                request=employer_request,
                from_status=RequestStatus.UNVERIFIED,
                to_status=employer_request.status,
                actor_label=BEFORE_REGISTER_LABEL,
                note=note,
            )
            enqueue_on_commit(task_names.SEND_VERIFICATION_MAIL, employer_request.pk)
    return counts
