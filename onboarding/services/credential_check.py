"""The credential check: run it once per request (claimed by one worker), store its findings,
and the outbox sweep that enqueues checks the broker never got."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from common.dispatch import enqueue, enqueue_on_commit
from locket_client.diagnose import Diagnosis, diagnose
from locket_client.types import Credentials
from onboarding import limits, task_names
from onboarding.crypto import decrypt_secret
from onboarding.models import (
    CONFIRMED_STATES,
    CheckAttempt,
    CheckOutcome,
    PayrollProcessor,
    Status,
)
from onboarding.services.history import record_status_change


def check_lease() -> dt.timedelta:
    """How long a worker owns a running check: its two Loket.nl calls at their timeout, and a
    margin. A worker killed mid-check leaves a lease that expires this soon; the sweep then
    hands the check out again."""
    return dt.timedelta(seconds=2 * settings.LOKET_TIMEOUT + 15)


GRACE = dt.timedelta(seconds=30)
"""How long a requested check may wait (its task on its way) before the sweep resends it."""


@dataclass(frozen=True, slots=True)
class CheckResult:
    outcome: CheckOutcome | None  # None: nothing to do (no request, or another worker has it)
    retry_in: int | None = None  # seconds, for a temporary outcome


def _claim(processor_id: int) -> PayrollProcessor | None:
    """Compare-and-set claim: only one worker runs a given processor's check at a time."""
    now = timezone.now()
    claimed = (
        PayrollProcessor.objects.filter(pk=processor_id, check_requested_at__isnull=False)
        .exclude(status=Status.REJECTED)
        .filter(
            Q(check_retry_at__isnull=True) | Q(check_retry_at__lte=now + dt.timedelta(seconds=5))
        )
        .filter(Q(check_claimed_until__isnull=True) | Q(check_claimed_until__lt=now))
        .update(check_claimed_until=now + check_lease())
    )
    if not claimed:
        return None
    return PayrollProcessor.objects.get(pk=processor_id)


@sensitive_variables("credentials")
def check_run(*, processor_id: int, trigger: str) -> CheckResult:
    """Check a processor's Loket.nl credentials and store the findings.

    Idempotent: without a pending request, or while another worker holds the claim, it does
    nothing. A result computed for credentials that changed meanwhile is thrown away (the newer
    request has its own check). Temporary trouble keeps the request pending and says when to
    retry; it never marks anything as broken.
    """
    processor = _claim(processor_id)
    if processor is None:
        return CheckResult(outcome=None)
    requested_at = processor.check_requested_at
    try:
        # Registrations not yet confirmed (anyone can start their checks) spend the public
        # budget; confirmed processors' checks (the daily re-check among them) the portal's own.
        limits.loket_call_budget(2, public=processor.status not in CONFIRMED_STATES)
    except limits.RateLimited as limited:
        _release(processor_id, retry_in=limited.retry_after)
        return CheckResult(outcome=CheckOutcome.TEMPORARY, retry_in=limited.retry_after)

    attempt = CheckAttempt.objects.create(processor=processor, trigger=trigger)
    credentials = Credentials(
        omgevingscode=processor.omgevingscode,
        gebruikersnaam=processor.loket_username,
        wachtwoord=decrypt_secret(processor.loket_password_encrypted),
    )
    diagnosis = diagnose(credentials)
    del credentials
    if _outcome(diagnosis) is CheckOutcome.FAILED:  # also when the result is thrown away below
        limits.check_failed(processor.omgevingscode, processor.loket_username)
    return _store(processor_id, requested_at, attempt, diagnosis, trigger)


def check_defer(*, processor_id: int, seconds: int) -> None:
    """The check task retries in ``seconds`` (its backoff): the sweep leaves the check alone
    until then instead of starting a second chain of retries."""
    PayrollProcessor.objects.filter(pk=processor_id, check_requested_at__isnull=False).update(
        check_retry_at=timezone.now() + dt.timedelta(seconds=seconds)
    )


def _release(processor_id: int, *, retry_in: int) -> None:
    PayrollProcessor.objects.filter(pk=processor_id).update(
        check_claimed_until=None, check_retry_at=timezone.now() + dt.timedelta(seconds=retry_in)
    )


def _outcome(diagnosis: Diagnosis) -> CheckOutcome:
    if diagnosis.passed:
        return CheckOutcome.PASSED
    if diagnosis.temporary:
        return CheckOutcome.TEMPORARY
    return CheckOutcome.FAILED


TEMPORARY_RETRY_SECONDS = 60


def _store(
    processor_id: int,
    requested_at: dt.datetime | None,
    attempt: CheckAttempt,
    diagnosis: Diagnosis,
    trigger: str,
) -> CheckResult:
    outcome = _outcome(diagnosis)
    findings = [finding.as_dict() for finding in diagnosis.findings]
    now = timezone.now()
    attempt.finished_at = now
    attempt.outcome = outcome
    attempt.findings = findings
    attempt.employer_count = diagnosis.employer_count
    attempt.save()
    with transaction.atomic():
        processor = PayrollProcessor.objects.select_for_update().get(pk=processor_id)
        if processor.check_requested_at != requested_at or processor.status == Status.REJECTED:
            # Credentials changed (or a.s.r. rejected) while Loket.nl was answering.
            processor.check_claimed_until = None
            processor.save(update_fields=["check_claimed_until", "updated_at"])
            return CheckResult(outcome=None)
        previous = processor.status
        processor.check_claimed_until = None
        if outcome is CheckOutcome.TEMPORARY:
            processor.check_retry_at = now + dt.timedelta(seconds=TEMPORARY_RETRY_SECONDS)
            processor.check_findings = findings
            if processor.status not in CONFIRMED_STATES:
                processor.status = Status.CHECKING
            processor.save()
            if processor.status != previous:
                record_status_change(
                    processor,
                    from_status=previous,
                    actor=None,
                    actor_label=trigger,
                    findings=findings,
                )
            return CheckResult(outcome=outcome, retry_in=TEMPORARY_RETRY_SECONDS)

        processor.check_requested_at = None
        processor.check_retry_at = None
        processor.checked_at = now
        processor.check_findings = findings
        processor.check_employer_count = diagnosis.employer_count
        processor.status = _next_status(processor, passed=outcome is CheckOutcome.PASSED)
        if previous != Status.NEEDS_ATTENTION and processor.status == Status.NEEDS_ATTENTION:
            processor.status_mail_due_at = now
        elif previous == Status.NEEDS_ATTENTION and processor.status == Status.CONFIRMED:
            # Back from needs attention, never activated: the needs-attention mail may have
            # replaced a confirmation still due, so the activation link goes out (again).
            processor.status_mail_due_at = now
        processor.save()
        record_status_change(
            processor,
            from_status=previous,
            actor=None,
            actor_label=trigger,
            note=f"controle: {outcome.label}",
            findings=findings,
        )
        if processor.status_mail_due_at == now:  # set above: this change has a mail
            enqueue_on_commit(
                task_names.SEND_NEEDS_ATTENTION_MAIL
                if processor.status == Status.NEEDS_ATTENTION
                else task_names.SEND_CONFIRMATION_MAIL,
                processor.pk,
            )
    return CheckResult(outcome=outcome)


def _next_status(processor: PayrollProcessor, *, passed: bool) -> str:
    if processor.status in CONFIRMED_STATES:
        if not passed:
            return Status.NEEDS_ATTENTION
        return Status.ACTIVE if processor.activated_at else Status.CONFIRMED
    return Status.CHECK_PASSED if passed else Status.CHECK_FAILED


def pending_checks_enqueue(*, older_than: dt.timedelta = GRACE) -> int:
    """The outbox sweep: enqueue every check that was requested but never ran (broker down at
    the time) or whose retry is due. Returns how many were enqueued; a broker error raises, so
    the beat run fails visibly and is repeated."""
    now = timezone.now()
    due = (
        PayrollProcessor.objects.filter(check_requested_at__isnull=False)
        .exclude(status=Status.REJECTED)
        .filter(Q(check_claimed_until__isnull=True) | Q(check_claimed_until__lt=now))
        .filter(
            Q(check_retry_at__isnull=True, check_requested_at__lt=now - older_than)
            | Q(check_retry_at__lte=now)
        )
        .values_list("pk", flat=True)
    )
    count = 0
    for processor_id in due.iterator():
        enqueue(task_names.CHECK_CREDENTIALS, processor_id)
        count += 1
    return count
