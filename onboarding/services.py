"""Services: every change to a payroll-processor registration goes through here.

Views, forms, admin actions and tasks hold no rules; they call one of these functions. Each
records the state change it makes (:class:`StatusChange`) and enqueues work only after commit.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from common.dispatch import enqueue, enqueue_on_commit
from locket_client.diagnose import Diagnosis, diagnose
from locket_client.types import Credentials
from onboarding import limits, task_names
from onboarding.crypto import decrypt_secret, encrypt_secret
from onboarding.models import (
    CONFIRMED_STATES,
    DUPLICATE_ACCOUNT_MESSAGE,
    DUPLICATE_EMAIL_MESSAGE,
    CheckAttempt,
    CheckOutcome,
    PayrollProcessor,
    Status,
    StatusChange,
)

logger = logging.getLogger(__name__)

CHECK_LEASE = dt.timedelta(minutes=5)
"""How long a worker owns a running check; longer than the Loket.nl timeout times two calls."""


class DuplicateRegistration(ValidationError):
    """This omgevingscode + gebruikersnaam (or e-mail address) is registered already."""


class CheckNotPassed(ValidationError):
    """a.s.r. cannot confirm a registration whose credential check has not passed."""


# --- helpers -----------------------------------------------------------------------------------


def _record(
    processor: PayrollProcessor,
    *,
    from_status: str,
    actor: AbstractBaseUser | None,
    actor_label: str,
    note: str = "",
    findings: list[dict[str, object]] | None = None,
) -> None:
    StatusChange.objects.create(
        processor=processor,
        from_status=from_status,
        to_status=processor.status,
        actor=actor if actor is not None and actor.is_authenticated else None,
        actor_label=actor_label,
        note=note,
        findings=findings or [],
    )


def _normalise(value: str) -> str:
    return value.strip()


def processor_duplicate_exists(
    *, omgevingscode: str, loket_username: str, exclude_pk: int | None = None
) -> bool:
    queryset = PayrollProcessor.objects.annotate(
        oc=Lower("omgevingscode"), un=Lower("loket_username")
    ).filter(oc=_normalise(omgevingscode).lower(), un=_normalise(loket_username).lower())
    if exclude_pk is not None:
        queryset = queryset.exclude(pk=exclude_pk)
    return queryset.exists()


def email_taken(*, email: str, exclude_pk: int | None = None) -> bool:
    queryset = PayrollProcessor.objects.filter(email__iexact=email.strip())
    if exclude_pk is not None:
        queryset = queryset.exclude(pk=exclude_pk)
    return queryset.exists()


# --- the public side ---------------------------------------------------------------------------


def registration_submit(
    *,
    company_name: str,
    email: str,
    omgevingscode: str,
    loket_username: str,
    loket_password: str,
    client_ip: str,
    language: str = "nl",
) -> PayrollProcessor:
    """Store a new registration and have its credentials checked.

    Raises ``RateLimited`` (too many checks from this address or for this account) and
    :class:`DuplicateRegistration`.
    """
    omgevingscode, loket_username = _normalise(omgevingscode), _normalise(loket_username)
    limits.check_limit_per_client(client_ip)
    limits.check_limit_per_account(omgevingscode, loket_username)
    if processor_duplicate_exists(omgevingscode=omgevingscode, loket_username=loket_username):
        raise DuplicateRegistration(str(DUPLICATE_ACCOUNT_MESSAGE), code="duplicate")
    if email_taken(email=email):
        raise DuplicateRegistration(str(DUPLICATE_EMAIL_MESSAGE), code="duplicate_email")
    now = timezone.now()
    processor = PayrollProcessor(
        company_name=company_name.strip(),
        email=email.strip(),
        omgevingscode=omgevingscode,
        loket_username=loket_username,
        loket_password_encrypted=encrypt_secret(loket_password),
        language=language[:8],
        status=Status.SUBMITTED,
        check_requested_at=now,
        consent_at=now,
    )
    processor.full_clean(exclude=["loket_password_encrypted"])
    try:
        with transaction.atomic():
            processor.save()
            _record(processor, from_status="", actor=None, actor_label="aanmeldformulier")
            enqueue_on_commit(task_names.CHECK_CREDENTIALS, processor.pk)
            enqueue_on_commit(task_names.SEND_RECEIVED_MAIL, processor.pk)
            enqueue_on_commit(task_names.NOTIFY_ASR_NEW_REGISTRATION, processor.pk)
    except IntegrityError:
        # Two submissions raced past the checks above; the database constraint decides.
        raise DuplicateRegistration(str(DUPLICATE_ACCOUNT_MESSAGE), code="duplicate") from None
    return processor


def credentials_update(
    *,
    processor: PayrollProcessor,
    omgevingscode: str,
    loket_username: str,
    loket_password: str | None,
    client_ip: str | None,
    actor: AbstractBaseUser | None = None,
    actor_label: str = "salarisverwerker",
) -> PayrollProcessor:
    """Correct the Loket.nl credentials and check them again. ``loket_password`` ``None`` keeps
    the stored one. ``client_ip`` ``None`` (a.s.r. staff in the admin) skips the per-address
    and per-account limits; the cap on calls to Loket.nl always applies."""
    omgevingscode, loket_username = _normalise(omgevingscode), _normalise(loket_username)
    if processor.status == Status.REJECTED:
        raise ValidationError(_("Deze aanmelding is afgewezen en kan niet meer worden gewijzigd."))
    if client_ip is not None:
        limits.check_limit_per_client(client_ip)
        limits.check_limit_per_account(omgevingscode, loket_username)
    if processor_duplicate_exists(
        omgevingscode=omgevingscode, loket_username=loket_username, exclude_pk=processor.pk
    ):
        raise DuplicateRegistration(str(DUPLICATE_ACCOUNT_MESSAGE), code="duplicate")
    with transaction.atomic():
        locked = PayrollProcessor.objects.select_for_update().get(pk=processor.pk)
        previous = locked.status
        locked.omgevingscode = omgevingscode
        locked.loket_username = loket_username
        if loket_password is not None:
            locked.loket_password_encrypted = encrypt_secret(loket_password)
        locked.check_requested_at = timezone.now()
        locked.check_retry_at = None
        if locked.status not in CONFIRMED_STATES:
            locked.status = Status.CHECKING
        locked.full_clean(exclude=["loket_password_encrypted"])
        try:
            with transaction.atomic():
                locked.save()
        except IntegrityError:
            raise DuplicateRegistration(str(DUPLICATE_ACCOUNT_MESSAGE), code="duplicate") from None
        _record(
            locked,
            from_status=previous,
            actor=actor,
            actor_label=actor_label,
            note="Loket.nl-gegevens gewijzigd",
        )
        enqueue_on_commit(task_names.CHECK_CREDENTIALS, locked.pk)
    return locked


def check_request(
    *,
    processor: PayrollProcessor,
    actor: AbstractBaseUser | None,
    actor_label: str,
    client_ip: str | None = None,
) -> None:
    """Run the credential check again (the status page's button, the admin's action)."""
    if processor.status == Status.REJECTED:
        raise ValidationError(_("Deze aanmelding is afgewezen."))
    if client_ip is not None:
        limits.check_limit_per_client(client_ip)
        limits.check_limit_per_account(processor.omgevingscode, processor.loket_username)
    with transaction.atomic():
        locked = PayrollProcessor.objects.select_for_update().get(pk=processor.pk)
        previous = locked.status
        locked.check_requested_at = timezone.now()
        locked.check_retry_at = None
        if locked.status not in CONFIRMED_STATES:
            locked.status = Status.CHECKING
        locked.save(update_fields=["check_requested_at", "check_retry_at", "status", "updated_at"])
        _record(
            locked,
            from_status=previous,
            actor=actor,
            actor_label=actor_label,
            note="controle opnieuw aangevraagd",
        )
        enqueue_on_commit(task_names.CHECK_CREDENTIALS, locked.pk)


def daily_recheck_request(*, processor_id: int) -> None:
    """The daily re-check of a confirmed processor (a failure flags it and mails). A
    registration deleted meanwhile is skipped."""
    processor = PayrollProcessor.objects.filter(pk=processor_id).first()
    if processor is not None:
        check_request(processor=processor, actor=None, actor_label="dagelijkse hercontrole")


# --- the check ---------------------------------------------------------------------------------


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
        .update(check_claimed_until=now + CHECK_LEASE)
    )
    if not claimed:
        return None
    return PayrollProcessor.objects.get(pk=processor_id)


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
        limits.loket_call_budget(2)
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
    return _store(processor_id, requested_at, attempt, diagnosis, trigger)


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
                _record(
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
        processor.save()
        _record(
            processor,
            from_status=previous,
            actor=None,
            actor_label=trigger,
            note=f"controle: {outcome.label}",
            findings=findings,
        )
        if previous != Status.NEEDS_ATTENTION and processor.status == Status.NEEDS_ATTENTION:
            enqueue_on_commit(task_names.SEND_NEEDS_ATTENTION_MAIL, processor.pk)
    return CheckResult(outcome=outcome)


def _next_status(processor: PayrollProcessor, *, passed: bool) -> str:
    if processor.status in CONFIRMED_STATES:
        if not passed:
            return Status.NEEDS_ATTENTION
        return Status.ACTIVE if processor.activated_at else Status.CONFIRMED
    return Status.CHECK_PASSED if passed else Status.CHECK_FAILED


def pending_checks_enqueue(*, older_than: dt.timedelta = dt.timedelta(minutes=2)) -> int:
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


# --- the a.s.r. side ---------------------------------------------------------------------------


def registration_confirm(*, processor: PayrollProcessor, by: AbstractBaseUser) -> PayrollProcessor:
    if not by.has_perm("onboarding.confirm_payrollprocessor"):
        raise PermissionDenied(_("U mag aanmeldingen niet bevestigen."))
    with transaction.atomic():
        locked = PayrollProcessor.objects.select_for_update().get(pk=processor.pk)
        if locked.status != Status.CHECK_PASSED:
            raise CheckNotPassed(
                _("Alleen een aanmelding waarvan de controle is geslaagd kan worden bevestigd."),
                code="check_not_passed",
            )
        previous = locked.status
        locked.status = Status.CONFIRMED
        locked.confirmed_at = timezone.now()
        if locked.user_id is None:
            user_model = get_user_model()
            user = user_model(username=f"salarisverwerker-{locked.pk}", email=locked.email)
            user.set_unusable_password()
            user.save()
            locked.user = user
        locked.save()
        _record(locked, from_status=previous, actor=by, actor_label=f"medewerker {by}")
        enqueue_on_commit(task_names.SEND_CONFIRMATION_MAIL, locked.pk)
    return locked


def registration_reject(
    *, processor: PayrollProcessor, by: AbstractBaseUser, reason: str
) -> PayrollProcessor:
    reason = reason.strip()
    if not reason:
        raise ValidationError(_("Geef een reden voor de afwijzing."), code="reason_required")
    with transaction.atomic():
        locked = PayrollProcessor.objects.select_for_update().get(pk=processor.pk)
        if locked.status in (Status.REJECTED, *CONFIRMED_STATES):
            raise ValidationError(_("Deze aanmelding kan niet meer worden afgewezen."))
        previous = locked.status
        locked.status = Status.REJECTED
        locked.rejection_reason = reason
        locked.check_requested_at = None
        locked.check_retry_at = None
        locked.save()
        _record(locked, from_status=previous, actor=by, actor_label=f"medewerker {by}", note=reason)
        enqueue_on_commit(task_names.SEND_REJECTION_MAIL, locked.pk)
    return locked


def mail_resend(*, processor: PayrollProcessor) -> str:
    """Send the mail that belongs to the current state again; returns the task's name."""
    if processor.status == Status.REJECTED:
        name = task_names.SEND_REJECTION_MAIL
    elif processor.status == Status.CONFIRMED:
        name = task_names.SEND_CONFIRMATION_MAIL
    elif processor.status == Status.NEEDS_ATTENTION:
        name = task_names.SEND_NEEDS_ATTENTION_MAIL
    else:
        raise ValidationError(_("In deze status hoort geen e-mail bij de aanmelding."))
    enqueue_on_commit(name, processor.pk)
    return name


def registration_activate(*, processor: PayrollProcessor, password: str) -> PayrollProcessor:
    """The processor sets its portal password from the one-time link."""
    with transaction.atomic():
        locked = (
            PayrollProcessor.objects.select_for_update(of=("self",))
            .select_related("user")
            .get(pk=processor.pk)
        )
        if locked.user is None or locked.status not in CONFIRMED_STATES:
            raise ValidationError(_("Deze aanmelding kan (nog) niet worden geactiveerd."))
        locked.user.set_password(password)
        locked.user.save(update_fields=["password"])
        previous = locked.status
        if locked.activated_at is None:
            locked.activated_at = timezone.now()
        if locked.status == Status.CONFIRMED:
            locked.status = Status.ACTIVE
        locked.save()
        if locked.status != previous:
            _record(locked, from_status=previous, actor=locked.user, actor_label="activatielink")
    return locked
