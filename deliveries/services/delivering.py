"""One delivery: claim it, read the period from Loket.nl, store the answer once.

:func:`deliver` runs in three steps, each safe to repeat:

1. **Claim**, in a short transaction: only a delivery in the outbox (``due_at`` set) whose lease
   is free (never taken, or run out: its worker was killed). The claim takes a lease of
   ``DELIVERY_LEASE_SECONDS`` and makes the delivery due again when the lease ends, so a killed
   worker delays the delivery, never loses it. A link that is no longer active or a processor
   no longer confirmed stops the delivery here, before any call.
2. **Retrieve**, outside any transaction: the call budget is reserved first (over it, the
   delivery waits for the next minute; that is no failure), then employees (on the period's
   last day), employments, the period's wages and, in a year's last period, leave.
3. **Store**, in one transaction holding the link and the delivery: the link must still be
   active (revoked meanwhile: stopped, nothing stored); an answer equal to the current version's
   (SHA-256 of its canonical form) changes nothing; a different one is the next version, with
   its records in a few bulk inserts.

A Loket.nl failure that may pass (``STORING``, timeouts, broken connections) leaves the delivery
failed and due again after a capped exponential backoff, for as long as the link is active; any
other failure waits for a person (``will_retry`` false). A delivery that was delivered before
(a re-read, looking for a correction) stays delivered whatever the re-read meets.

No BSN and no password ever reaches a log line, an exception or a task argument: the task takes
the delivery's id, the BSN is encrypted before it is stored, and the hash of the answer is the
only thing made of all of it.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging

from django.conf import settings
from django.db import DataError, IntegrityError, transaction
from django.db.models import F, OuterRef, Q, Subquery
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from common.dispatch import enqueue_on_commit
from deliveries import periods, task_names
from deliveries.bsn import bsn_encrypt, bsn_hash
from deliveries.models import (
    Delivery,
    DeliveryFeed,
    DeliveryStatus,
    DeliveryVersion,
    EmployeeRecord,
    EmploymentRecord,
    LeaveRecord,
    WageRecord,
)
from deliveries.services import budget, failures
from deliveries.services.planning import CLAIMABLE, deliveries_plan
from deliveries.services.retrieving import Answer, retrieve
from deliveries.signals import delivery_completed, delivery_failed
from employers.models import EmployerLink, LinkStatus
from locket_client.client import LoketClient, get_client
from locket_client.errors import LoketError, UnexpectedAnswer
from locket_client.types import Credentials
from onboarding.crypto import CredentialKeyError, decrypt_secret
from onboarding.models import CONFIRMED_STATES, PayrollProcessor
from onboarding.ratelimit import RateLimited

logger = logging.getLogger(__name__)

BATCH = 2000
"""Rows per INSERT of the records (a 500-employee employer fits in one or two)."""


UNSTORABLE = (DataError, IntegrityError, ValueError, TypeError, ArithmeticError, UnicodeError)
"""What storing an answer raises when one of its values does not fit the records."""


class Outcome(enum.StrEnum):
    """What one run of :func:`deliver` did (the task's return value, for logs and tests)."""

    DELIVERED = "delivered"  # a new version stored
    UNCHANGED = "unchanged"  # the answer equals the stored version: nothing new
    FAILED = "failed"  # will be retried (``will_retry``) or waits for a person
    DEFERRED = "deferred"  # over the call budget: due again in the next window
    STOPPED = "stopped"  # the link or the processor is out of business, or another period type
    NOT_CLAIMED = "not_claimed"  # not due, done, or held by another worker


# --- step 1: claim ---------------------------------------------------------------------------


def _lease_free(now: dt.datetime) -> Q:
    return Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)


def claim(delivery_id: int, *, now: dt.datetime | None = None) -> tuple[Delivery, str] | None:
    """Take the delivery for this worker, or ``None`` when it is not due, is finished, or
    another worker holds it. Returns the delivery (with its link and processor) and its status
    before the claim."""
    now = now or timezone.now()
    lease_end = now + dt.timedelta(seconds=settings.DELIVERY_LEASE_SECONDS)
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(of=("self",), skip_locked=True)
            .select_related("link", "processor")
            .filter(_lease_free(now), pk=delivery_id, due_at__isnull=False, status__in=CLAIMABLE)
            .first()
        )
        if delivery is None:
            return None
        before = delivery.status
        # A re-read of delivered data stays "delivered" while it runs: that data is still valid.
        delivery.status = (
            DeliveryStatus.DELIVERED if delivery.current_version else DeliveryStatus.RETRIEVING
        )
        delivery.claimed_until = lease_end
        delivery.due_at = lease_end  # due again should this worker die
        delivery.attempts += 1
        delivery.last_attempt_at = now
        delivery.save(
            update_fields=[
                "status",
                "claimed_until",
                "due_at",
                "attempts",
                "last_attempt_at",
                "updated_at",
            ]
        )
    return delivery, before


# --- step 3: store -----------------------------------------------------------------------------


def _records(version: DeliveryVersion, answer: Answer) -> None:
    """Bulk-insert the answer's records under ``version`` (a few statements, whatever the size)."""
    EmployeeRecord.objects.bulk_create(
        (
            EmployeeRecord(
                version=version,
                loket_id=e.id,
                number=e.number,
                bsn_encrypted=bsn_encrypt(e.bsn) if e.bsn else "",
                bsn_hash=bsn_hash(e.bsn) if e.bsn else "",
                initials=(e.initials or "")[:20],
                prefix=(e.prefix or "")[:20],
                last_name=e.last_name[:200],
                birth_date=e.birth_date,
            )
            for e in answer.employees
        ),
        batch_size=BATCH,
    )
    EmploymentRecord.objects.bulk_create(
        (
            EmploymentRecord(
                version=version,
                loket_id=e.id,
                employee_loket_id=e.employee_id,
                income_relationship_number=e.income_relationship_number,
                start_date=e.start_date,
                end_date=e.end_date,
                contract_type=(e.contract_type or "")[:50],
                hours_per_week=e.hours_per_week,
            )
            for e in answer.employments
        ),
        batch_size=BATCH,
    )
    WageRecord.objects.bulk_create(
        (
            WageRecord(
                version=version,
                employment_loket_id=w.employment_id,
                year=w.year,
                period=w.period,
                period_type=w.period_type,
                gross=w.gross,
                sv_wage=w.sv_wage,
                tax_wage=w.tax_wage,
                holiday_allowance=w.holiday_allowance,
                hours_paid=w.hours_paid,
            )
            for w in answer.wages
        ),
        batch_size=BATCH,
    )
    LeaveRecord.objects.bulk_create(
        (
            LeaveRecord(
                version=version,
                employment_loket_id=v.employment_id,
                year=v.year,
                kind=v.kind[:50],
                accrued=v.accrued,
                taken=v.taken,
                balance=v.balance,
            )
            for v in answer.leave
        ),
        batch_size=BATCH,
    )


def _lock(delivery_id: int) -> tuple[EmployerLink, Delivery]:
    """The delivery and its link, both locked, in one statement (with the processor's status and
    the current version's hash). Nobody locks a delivery and then its link, so this cannot
    deadlock with a revocation (which locks links only)."""
    current = DeliveryVersion.objects.filter(
        delivery=OuterRef("pk"), number=OuterRef("current_version")
    ).values("content_hash")[:1]
    delivery = (
        Delivery.objects.select_for_update(of=("self", "link"))
        .select_related("link__processor")
        .annotate(current_hash=Subquery(current))
        .get(pk=delivery_id)
    )
    return delivery.link, delivery


def _stop_reason(link: EmployerLink, processor: PayrollProcessor) -> str | None:
    if link.status != LinkStatus.ACTIVE:
        return failures.LINK_NOT_ACTIVE
    if processor.status not in CONFIRMED_STATES:
        return failures.PROCESSOR_NOT_CONFIRMED
    return None


def _stop(delivery: Delivery, code: str, now: dt.datetime) -> None:
    """Out of the outbox for good. Delivered data stays delivered; anything else is stopped."""
    delivery.due_at = None
    delivery.claimed_until = None
    delivery.will_retry = False
    if not delivery.current_version:
        delivery.status = DeliveryStatus.STOPPED
        delivery.failure_code = code
        delivery.failure_reason = failures.reason_for(code)
    delivery.save(
        update_fields=[
            "status",
            "due_at",
            "claimed_until",
            "will_retry",
            "failure_code",
            "failure_reason",
            "updated_at",
        ]
    )
    logger.info("delivery %s stopped: %s", delivery.pk, code)


def _store(delivery: Delivery, answer: Answer, now: dt.datetime) -> Outcome:
    content_hash = answer.content_hash()
    with transaction.atomic():
        link, locked = _lock(delivery.pk)
        if locked.status == DeliveryStatus.STOPPED:
            return Outcome.STOPPED
        if locked.data_deleted_at is not None:
            # Retention went past this period while it was read: nothing is stored, and it
            # leaves the outbox for good.
            _stop(locked, failures.DATA_DELETED, now)
            return Outcome.STOPPED
        reason = _stop_reason(link, link.processor)
        if reason is not None:
            _stop(locked, reason, now)  # revoked while we were reading: nothing is stored
            return Outcome.STOPPED
        version = None
        if locked.current_hash != content_hash:
            version = DeliveryVersion.objects.create(
                delivery=locked,
                number=locked.current_version + 1,
                retrieved_at=now,
                content_hash=content_hash,
                employee_count=len(answer.employees),
                employment_count=len(answer.employments),
                wage_count=len(answer.wages),
                leave_count=len(answer.leave),
            )
            _records(version, answer)
            locked.current_version = version.number
            locked.delivered_at = now
        locked.status = DeliveryStatus.DELIVERED
        locked.due_at = None
        locked.claimed_until = None
        locked.failure_code = ""
        locked.failure_reason = ""
        locked.will_retry = False
        locked.save(
            update_fields=[
                "status",
                "due_at",
                "claimed_until",
                "failure_code",
                "failure_reason",
                "will_retry",
                "current_version",
                "delivered_at",
                "updated_at",
            ]
        )
        delivery_completed.send(
            sender=Delivery, delivery=locked, version=version, created=version is not None
        )
    if version is None:
        return Outcome.UNCHANGED
    logger.info("delivery %s stored as version %s", delivery.pk, version.number)
    return Outcome.DELIVERED


def _switch_period_type(delivery: Delivery, found: str, now: dt.datetime) -> Outcome:
    """The employer is paid per ``found``, not per the feed's type: the feed follows it (from the
    last ``found`` period closed when the link became active), this delivery and the link's
    other undelivered ones of the old type stop, and the planner makes the right ones."""
    with transaction.atomic():
        link, locked = _lock(delivery.pk)
        if locked.status == DeliveryStatus.STOPPED:
            return Outcome.STOPPED
        feed = DeliveryFeed.objects.select_for_update().filter(link_id=link.pk).first()
        activated = timezone.localdate(link.activated_at or now)
        first = periods.last_closed(
            activated, found, days_after=settings.DELIVERY_DAYS_AFTER_PERIOD
        )
        if feed is None:
            DeliveryFeed.objects.create(
                link_id=link.pk, period_type=found, first_year=first.year, first_period=first.number
            )
        elif feed.period_type != found:
            feed.period_type = found
            feed.first_year, feed.first_period = first.year, first.number
            feed.save(update_fields=["period_type", "first_year", "first_period"])
        _stop(locked, failures.OTHER_PERIOD_TYPE, now)
        Delivery.objects.filter(
            link_id=link.pk,
            current_version=0,
            status__in=(DeliveryStatus.PENDING, DeliveryStatus.FAILED),
        ).exclude(period_type=found).update(
            status=DeliveryStatus.STOPPED,
            due_at=None,
            claimed_until=None,
            will_retry=False,
            failure_code=failures.OTHER_PERIOD_TYPE,
            failure_reason=failures.reason_for(failures.OTHER_PERIOD_TYPE),
            updated_at=now,
        )
    logger.info("delivery %s: the employer is paid per %s; feed switched", delivery.pk, found)
    # The right deliveries at once (the planner would make them within DELIVERY_PLAN_SECONDS),
    # handed to Celery (a lost message: the sweep hands them out within a minute).
    deliveries_plan(link_ids=[delivery.link_id], now=now)
    for pk in Delivery.objects.filter(
        link_id=delivery.link_id, period_type=found, status=DeliveryStatus.PENDING, due_at__lte=now
    ).values_list("pk", flat=True):
        enqueue_on_commit(task_names.DELIVER, pk)
    return Outcome.STOPPED


def backoff(attempts: int) -> int:
    """Seconds before the next try after ``attempts`` tries: base x 2^(attempts-1), capped."""
    exponent = max(0, min(attempts - 1, 30))
    return min(
        settings.DELIVERY_RETRY_BASE_SECONDS * 2**exponent, settings.DELIVERY_RETRY_MAX_SECONDS
    )


def _fail(delivery: Delivery, code: str, *, retryable: bool, now: dt.datetime) -> Outcome:
    with transaction.atomic():
        locked = Delivery.objects.select_for_update(of=("self",)).get(pk=delivery.pk)
        if locked.status == DeliveryStatus.STOPPED:
            return Outcome.STOPPED
        if locked.claimed_until != delivery.claimed_until:
            return Outcome.NOT_CLAIMED  # our lease ran out: another worker has it now
        if locked.data_deleted_at is not None:
            _stop(locked, failures.DATA_DELETED, now)
            return Outcome.STOPPED
        if not locked.current_version:
            locked.status = DeliveryStatus.FAILED
        locked.failure_code = code
        locked.failure_reason = failures.reason_for(code)
        locked.will_retry = retryable
        locked.claimed_until = None
        locked.due_at = now + dt.timedelta(seconds=backoff(locked.attempts)) if retryable else None
        locked.save(
            update_fields=[
                "status",
                "failure_code",
                "failure_reason",
                "will_retry",
                "claimed_until",
                "due_at",
                "updated_at",
            ]
        )
        delivery_failed.send(sender=Delivery, delivery=locked)
    logger.info(
        "delivery %s failed (attempt %s): %s%s",
        delivery.pk,
        locked.attempts,
        code,
        ", will retry" if retryable else "",
    )
    return Outcome.FAILED


def _defer(delivery: Delivery, before: str, seconds: int, now: dt.datetime) -> Outcome:
    """Over the call budget: back as it was, due when the window ends. Not an attempt."""
    status = before
    if status == DeliveryStatus.RETRIEVING:  # its worker was killed; it never got that far
        status = DeliveryStatus.DELIVERED if delivery.current_version else DeliveryStatus.PENDING
    Delivery.objects.filter(
        pk=delivery.pk, claimed_until=delivery.claimed_until, data_deleted_at__isnull=True
    ).update(
        status=status,
        claimed_until=None,
        due_at=now + dt.timedelta(seconds=seconds),
        attempts=F("attempts") - 1,
        updated_at=now,
    )
    logger.info("delivery %s deferred %s s: call budget used up", delivery.pk, seconds)
    return Outcome.DEFERRED


# --- the service -------------------------------------------------------------------------------


@sensitive_variables("credentials")
def deliver(*, delivery_id: int, client: LoketClient | None = None) -> Outcome:
    """Run one delivery (see the module's docstring). ``client`` is for tests; by default the
    process's Loket.nl client."""
    claimed = claim(delivery_id)
    if claimed is None:
        return Outcome.NOT_CLAIMED
    delivery, before = claimed
    link, processor = delivery.link, delivery.processor
    now = timezone.now()
    reason = _stop_reason(link, processor)
    if reason is not None:
        with transaction.atomic():
            _, locked = _lock(delivery.pk)
            _stop(locked, reason, now)
        return Outcome.STOPPED
    period = delivery.period_obj
    calls = budget.CALLS_PER_DELIVERY + (1 if period.is_last_of_year else 0)
    try:
        budget.reserve(processor.omgevingscode, calls)
    except RateLimited as limited:
        return _defer(delivery, before, limited.retry_after, now)
    try:
        credentials = Credentials(
            omgevingscode=processor.omgevingscode,
            gebruikersnaam=processor.loket_username,
            wachtwoord=decrypt_secret(processor.loket_password_encrypted),
        )
    except (CredentialKeyError, ValueError):
        # No key opens the stored password, or it is not a usable one: a person must act.
        return _fail(delivery, failures.KEY_UNKNOWN, retryable=False, now=now)
    try:
        answer = retrieve(client or get_client(), credentials, link.loket_employer_id, period)
    except LoketError as error:
        return _fail(delivery, error.code, retryable=error.retryable, now=timezone.now())
    now = timezone.now()
    found = answer.discovered_period_type
    if found is not None:
        return _switch_period_type(delivery, found, now)
    unusable = None
    try:
        return _store(delivery, answer, now)
    except UNSTORABLE as error:
        # A value the database refuses (out of range, not text): the same answer would fail
        # again. Only the type is logged, and the error is not re-raised (nor chained): its
        # message can hold the refused row, names and all.
        unusable = type(error).__name__
    logger.warning("delivery %s: Loket.nl's answer cannot be stored (%s)", delivery.pk, unusable)
    return _fail(delivery, UnexpectedAnswer.code, retryable=False, now=timezone.now())
