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
import hashlib
import hmac
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

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
from deliveries.signals import delivery_completed, delivery_failed
from employers.models import EmployerLink, LinkStatus
from locket_client.client import LoketClient, get_client
from locket_client.errors import LoketError, NietGeautoriseerd, UnexpectedAnswer
from locket_client.types import Credentials, Employee, Employment, Leave, Wage
from onboarding.crypto import CredentialKeyError, decrypt_secret
from onboarding.models import CONFIRMED_STATES, PayrollProcessor
from onboarding.ratelimit import RateLimited

logger = logging.getLogger(__name__)

T = TypeVar("T")

BATCH = 2000
_BSN = re.compile(r"[0-9]{9}")
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


@dataclass(slots=True)
class Answer:
    """Loket.nl's answer for one period, reduced to what is stored."""

    employees: list[Employee]
    employments: list[Employment]
    wages: list[Wage]
    leave: list[Leave]
    other_period_types: set[str] = field(default_factory=set)

    @property
    def discovered_period_type(self) -> str | None:
        """The employer's real ``Verloningsperiode`` when this period had no wages of the
        asked-for type but had some of exactly one other."""
        if self.wages or len(self.other_period_types) != 1:
            return None
        (found,) = self.other_period_types
        return found if found in periods.PERIOD_TYPES else None

    @sensitive_variables("rows", "canonical")
    def content_hash(self) -> str:
        """HMAC-SHA256 of the answer in a canonical form (sorted, fixed field order), keyed
        like the BSN's hash, with the BSN in it only as that keyed hash: everything else in the
        answer is readable through the API, so an unkeyed hash over it would let a client try
        every BSN until the hash matched."""
        rows = {
            "employees": sorted(
                [
                    e.id,
                    e.number,
                    bsn_hash(e.bsn) if e.bsn else "",
                    e.initials or "",
                    e.prefix or "",
                    e.last_name,
                    _iso(e.birth_date),
                ]
                for e in self.employees
            ),
            "employments": sorted(
                [
                    e.id,
                    e.employee_id,
                    e.income_relationship_number,
                    _iso(e.start_date),
                    _iso(e.end_date),
                    e.contract_type or "",
                    _num(e.hours_per_week),
                ]
                for e in self.employments
            ),
            "wages": sorted(
                [
                    w.employment_id,
                    w.year,
                    w.period,
                    w.period_type,
                    _num(w.gross),
                    _num(w.sv_wage),
                    _num(w.tax_wage),
                    _num(w.holiday_allowance),
                    _num(w.hours_paid),
                ]
                for w in self.wages
            ),
            "leave": sorted(
                [
                    v.employment_id,
                    v.year,
                    v.kind,
                    _num(v.accrued),
                    _num(v.taken),
                    _num(v.balance),
                ]
                for v in self.leave
            ),
        }
        canonical = json.dumps(rows, ensure_ascii=False, separators=(",", ":"))
        key = hmac.new(settings.BSN_HASH_KEY.encode("utf-8"), b"delivery-content", hashlib.sha256)
        return hmac.new(key.digest(), canonical.encode("utf-8"), hashlib.sha256).hexdigest()


def _iso(value: dt.date | None) -> str:
    return value.isoformat() if value is not None else ""


def _num(value: Any) -> str:
    """A decimal in a form that does not depend on its trailing zeros."""
    if value is None:
        return ""
    normalised = value.normalize()
    return f"{normalised:f}"


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


# --- step 2: retrieve --------------------------------------------------------------------------


@sensitive_variables("credentials")
def retrieve(
    client: LoketClient, credentials: Credentials, employer_id: str, period: periods.Period
) -> Answer:
    """Loket.nl's answer for ``period``: raises the client's :class:`LoketError`."""
    # Every werknemer (no Peildatum): someone who left during the period is no longer employed
    # on its last day, yet is paid in it and must come with name and BSN.
    employees = client.employees(credentials, employer_id=employer_id)
    employments = client.employments(credentials, employer_id=employer_id)
    answered = client.wages(
        credentials, employer_id=employer_id, year=period.year, period=period.number
    )
    wages = [w for w in answered if w.period_type == period.period_type]
    others = {w.period_type for w in answered if w.period_type != period.period_type}
    leave: list[Leave] = []
    if period.is_last_of_year and (wages or not others):
        try:
            leave = client.leave(credentials, employer_id=employer_id, year=period.year)
        except NietGeautoriseerd:
            # Leave is not among the functions a processor must grant (VERLOF is optional).
            leave = []
    # Only what a.s.r. uses: the employments that ran in the period or were paid in it, their
    # employees, and the leave of those employments.
    paid = {w.employment_id for w in wages}
    employments = [
        e
        for e in employments
        if e.id in paid
        or (e.start_date <= period.end and (e.end_date is None or e.end_date >= period.start))
    ]
    kept = {e.id for e in employments}
    employee_ids = {e.employee_id for e in employments}
    employees = [e for e in employees if e.id in employee_ids]
    if any(e.bsn is not None and _BSN.fullmatch(e.bsn) is None for e in employees):
        # Not nine digits: stored, it would be a wrong BSN; its text is never quoted.
        raise UnexpectedAnswer("GeefWerknemers: a Bsn that is not nine digits")
    leave = [v for v in leave if v.employment_id in kept]
    # One row per key of the records' unique constraints: an answer that repeats one must not
    # make the delivery fail on every try.
    return Answer(
        _unique(employees, lambda e: e.id),
        _unique(employments, lambda e: e.id),
        _unique(wages, lambda w: (w.employment_id, w.year, w.period)),
        _unique(leave, lambda v: (v.employment_id, v.year, v.kind[:50])),
        others,
    )


def _unique(items: list[T], key: Callable[[T], object]) -> list[T]:
    seen: dict[object, T] = {}
    for item in items:
        seen.setdefault(key(item), item)
    return list(seen.values())


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
