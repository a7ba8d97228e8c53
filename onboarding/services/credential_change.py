"""A confirmed processor's new Loket.nl account waits for a.s.r., and a.s.r. changes an address.

Once a.s.r. has confirmed a processor, its omgevingscode and gebruikersnaam are what a.s.r.
approved: a processor that types others (from its account, or a staff member without the confirm
permission in the admin) does not switch its link to another Loket.nl account. The new values
wait in the ``pending_*`` columns (the password encrypted with the same keys as the current one),
are checked live against Loket.nl, and a.s.r. confirms or rejects them in the admin. Until it
confirms, the current credentials stay in use for everything: the daily re-check, the employer
links, the Werkgevers page. A new password alone is no new account: it is applied and checked as
before (:func:`onboarding.services.registration.credentials_update`).

On confirmation the waiting values replace the current ones (a history row), the credentials are
checked again and the employer side re-checks the processor's links (the task by its registered
name: onboarding imports nothing of employers; that re-check asks Loket.nl afresh, and the cached
snapshot is keyed by the credentials, so the new account never sees the old account's snapshot).

The mails of a change go out through the outbox columns (``pending_mail_due_at`` and the others;
:mod:`onboarding.services.outbox`): never the password, and task arguments are ids only.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
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
)
from onboarding.selectors import email_taken, processor_duplicate_exists
from onboarding.services.credential_check import (
    GRACE,
    TEMPORARY_RETRY_SECONDS,
    CheckResult,
    check_lease,
)
from onboarding.services.history import record_status_change

CONFIRM_PERMISSION = "onboarding.confirm_payrollprocessor"

# The employer side's re-check of a processor's links (employers.task_names.RECHECK_LINKS),
# spelled here because onboarding may not import employers.
LINKS_RECHECK_TASK = "employers.tasks.recheck_links"

DECISION_CONFIRMED = "confirmed"
DECISION_REJECTED = "rejected"


def may_confirm(actor: AbstractBaseUser | None) -> bool:
    """Whether ``actor`` is a.s.r. staff with the confirm permission."""
    return bool(actor is not None and actor.is_authenticated and actor.has_perm(CONFIRM_PERMISSION))


def needs_approval(
    processor: PayrollProcessor,
    *,
    omgevingscode: str,
    loket_username: str,
    actor: AbstractBaseUser | None,
) -> bool:
    """Whether these (normalised) credentials would point a confirmed processor at another
    Loket.nl account, by someone who may not approve that: then they wait for a.s.r."""
    return (
        processor.status in CONFIRMED_STATES
        and (omgevingscode, loket_username) != (processor.omgevingscode, processor.loket_username)
        and not may_confirm(actor)
    )


def _clear_pending(processor: PayrollProcessor) -> None:
    processor.pending_omgevingscode = ""
    processor.pending_loket_username = ""
    processor.pending_loket_password_encrypted = ""
    processor.pending_requested_at = None
    processor.pending_check_requested_at = None
    processor.pending_check_retry_at = None
    processor.pending_check_claimed_until = None
    processor.pending_checked_at = None
    processor.pending_check_outcome = ""
    processor.pending_check_findings = []
    processor.pending_asr_notice_due_at = None


def credential_change_request(
    *,
    locked: PayrollProcessor,
    omgevingscode: str,
    loket_username: str,
    loket_password: str | None,
    actor: AbstractBaseUser | None,
    actor_label: str,
) -> PayrollProcessor:
    """Store new credentials of a confirmed processor as waiting (inside the caller's transaction,
    ``locked`` held): checked live, then a.s.r. decides. A change that waits already is replaced.
    ``loket_password`` ``None`` keeps the current password for the new account."""
    now = timezone.now()
    _clear_pending(locked)
    locked.pending_omgevingscode = omgevingscode
    locked.pending_loket_username = loket_username
    locked.pending_loket_password_encrypted = (
        encrypt_secret(loket_password)
        if loket_password is not None
        else locked.loket_password_encrypted
    )
    locked.pending_requested_at = now
    locked.pending_check_requested_at = now
    locked.pending_mail_due_at = now
    locked.save()
    record_status_change(
        locked,
        from_status=locked.status,
        actor=actor,
        actor_label=actor_label,
        note="nieuwe omgevingscode of gebruikersnaam aangevraagd; wacht op bevestiging door a.s.r.",
    )
    enqueue_on_commit(task_names.CHECK_PENDING_CREDENTIALS, locked.pk)
    enqueue_on_commit(task_names.SEND_CREDENTIAL_CHANGE_MAILS, locked.pk)
    return locked


# --- the live check of the waiting credentials -----------------------------------------------


def _claim(processor_id: int) -> PayrollProcessor | None:
    now = timezone.now()
    claimed = (
        PayrollProcessor.objects.filter(pk=processor_id, pending_check_requested_at__isnull=False)
        .filter(
            Q(pending_check_retry_at__isnull=True)
            | Q(pending_check_retry_at__lte=now + dt.timedelta(seconds=5))
        )
        .filter(
            Q(pending_check_claimed_until__isnull=True) | Q(pending_check_claimed_until__lt=now)
        )
        .update(pending_check_claimed_until=now + check_lease())
    )
    if not claimed:
        return None
    return PayrollProcessor.objects.get(pk=processor_id)


def pending_check_run(*, processor_id: int, trigger: str) -> CheckResult:
    """Check the waiting credentials at Loket.nl and store the outcome next to them. Idempotent
    like :func:`~onboarding.services.credential_check.check_run`; a result for waiting
    credentials replaced (or decided on) meanwhile is thrown away. A pass tells a.s.r."""
    processor = _claim(processor_id)
    if processor is None:
        return CheckResult(outcome=None)
    requested_at = processor.pending_requested_at
    try:
        limits.loket_call_budget(2)
    except limits.RateLimited as limited:
        PayrollProcessor.objects.filter(pk=processor_id).update(
            pending_check_claimed_until=None,
            pending_check_retry_at=timezone.now() + dt.timedelta(seconds=limited.retry_after),
        )
        return CheckResult(outcome=CheckOutcome.TEMPORARY, retry_in=limited.retry_after)

    attempt = CheckAttempt.objects.create(
        processor=processor, trigger=f"{trigger} (nieuwe gegevens, wacht op a.s.r.)"
    )
    credentials = Credentials(
        omgevingscode=processor.pending_omgevingscode,
        gebruikersnaam=processor.pending_loket_username,
        wachtwoord=decrypt_secret(processor.pending_loket_password_encrypted),
    )
    diagnosis = diagnose(credentials)
    del credentials
    return _store_pending(processor_id, requested_at, attempt, diagnosis, trigger)


def _store_pending(
    processor_id: int,
    requested_at: dt.datetime | None,
    attempt: CheckAttempt,
    diagnosis: Diagnosis,
    trigger: str,
) -> CheckResult:
    if diagnosis.passed:
        outcome = CheckOutcome.PASSED
    elif diagnosis.temporary:
        outcome = CheckOutcome.TEMPORARY
    else:
        outcome = CheckOutcome.FAILED
    findings = [finding.as_dict() for finding in diagnosis.findings]
    now = timezone.now()
    attempt.finished_at = now
    attempt.outcome = outcome
    attempt.findings = findings
    attempt.employer_count = diagnosis.employer_count
    attempt.save()
    with transaction.atomic():
        locked = PayrollProcessor.objects.select_for_update().get(pk=processor_id)
        locked.pending_check_claimed_until = None
        if locked.pending_requested_at != requested_at or requested_at is None:
            locked.save(update_fields=["pending_check_claimed_until", "updated_at"])
            return CheckResult(outcome=None)
        if outcome is CheckOutcome.TEMPORARY:
            locked.pending_check_retry_at = now + dt.timedelta(seconds=TEMPORARY_RETRY_SECONDS)
            locked.save()
            return CheckResult(outcome=outcome, retry_in=TEMPORARY_RETRY_SECONDS)
        locked.pending_check_requested_at = None
        locked.pending_check_retry_at = None
        locked.pending_checked_at = now
        locked.pending_check_outcome = outcome
        locked.pending_check_findings = findings
        if outcome is CheckOutcome.PASSED:
            locked.pending_asr_notice_due_at = now
        locked.save()
        record_status_change(
            locked,
            from_status=locked.status,
            actor=None,
            actor_label=trigger,
            note=f"controle nieuwe Loket.nl-gegevens: {outcome.label}",
            findings=findings,
        )
        if outcome is CheckOutcome.PASSED:
            enqueue_on_commit(task_names.SEND_CREDENTIAL_CHANGE_MAILS, locked.pk)
    return CheckResult(outcome=outcome)


def pending_check_defer(*, processor_id: int, seconds: int) -> None:
    """The task retries in ``seconds``: the sweep leaves the check alone until then."""
    PayrollProcessor.objects.filter(
        pk=processor_id, pending_check_requested_at__isnull=False
    ).update(pending_check_retry_at=timezone.now() + dt.timedelta(seconds=seconds))


def pending_credential_checks_enqueue(*, older_than: dt.timedelta = GRACE) -> int:
    """The sweep: every check of waiting credentials requested but never run, or due again."""
    now = timezone.now()
    due = (
        PayrollProcessor.objects.filter(pending_check_requested_at__isnull=False)
        .filter(
            Q(pending_check_claimed_until__isnull=True) | Q(pending_check_claimed_until__lt=now)
        )
        .filter(
            Q(pending_check_retry_at__isnull=True, pending_check_requested_at__lt=now - older_than)
            | Q(pending_check_retry_at__lte=now)
        )
        .values_list("pk", flat=True)
    )
    count = 0
    for processor_id in due.iterator():
        enqueue(task_names.CHECK_PENDING_CREDENTIALS, processor_id)
        count += 1
    return count


# --- a.s.r. decides ---------------------------------------------------------------------------


def _require_permission(by: AbstractBaseUser) -> None:
    if not may_confirm(by):
        raise PermissionDenied(_("U mag nieuwe Loket.nl-gegevens niet bevestigen of afwijzen."))


def credential_change_confirm(
    *, processor: PayrollProcessor, by: AbstractBaseUser
) -> PayrollProcessor:
    """a.s.r. confirms the waiting credentials (their live check passed): they replace the
    current ones, are checked again, and the employer links are re-checked."""
    _require_permission(by)
    with transaction.atomic():
        locked = PayrollProcessor.objects.select_for_update().get(pk=processor.pk)
        if not locked.has_pending_credentials:
            raise ValidationError(_("Er wachten geen nieuwe Loket.nl-gegevens op bevestiging."))
        if locked.pending_check_outcome != CheckOutcome.PASSED:
            raise ValidationError(
                _(
                    "Alleen nieuwe Loket.nl-gegevens waarvan de controle is geslaagd kunnen "
                    "worden bevestigd."
                ),
                code="check_not_passed",
            )
        if processor_duplicate_exists(
            omgevingscode=locked.pending_omgevingscode,
            loket_username=locked.pending_loket_username,
            exclude_pk=locked.pk,
        ):
            raise ValidationError(str(DUPLICATE_ACCOUNT_MESSAGE), code="duplicate")
        now = timezone.now()
        locked.omgevingscode = locked.pending_omgevingscode
        locked.loket_username = locked.pending_loket_username
        locked.loket_password_encrypted = locked.pending_loket_password_encrypted
        _clear_pending(locked)
        locked.pending_decision = DECISION_CONFIRMED
        locked.pending_decision_reason = ""
        locked.pending_decision_mail_due_at = now
        locked.check_requested_at = now
        locked.check_retry_at = None
        try:
            with transaction.atomic():
                locked.save()
        except IntegrityError:
            raise ValidationError(str(DUPLICATE_ACCOUNT_MESSAGE), code="duplicate") from None
        record_status_change(
            locked,
            from_status=locked.status,
            actor=by,
            actor_label=f"medewerker {by}",
            note="nieuwe omgevingscode of gebruikersnaam bevestigd door a.s.r.; in gebruik",
        )
        enqueue_on_commit(task_names.CHECK_CREDENTIALS, locked.pk)
        enqueue_on_commit(task_names.SEND_CREDENTIAL_CHANGE_MAILS, locked.pk)
        enqueue_on_commit(LINKS_RECHECK_TASK, locked.pk)
    return locked


def credential_change_reject(
    *, processor: PayrollProcessor, by: AbstractBaseUser, reason: str
) -> PayrollProcessor:
    """a.s.r. refuses the waiting credentials, with a reason the processor is mailed; the
    current credentials stay as they are."""
    _require_permission(by)
    reason = reason.strip()
    if not reason:
        raise ValidationError(_("Geef een reden voor de afwijzing."), code="reason_required")
    with transaction.atomic():
        locked = PayrollProcessor.objects.select_for_update().get(pk=processor.pk)
        if not locked.has_pending_credentials:
            raise ValidationError(_("Er wachten geen nieuwe Loket.nl-gegevens op bevestiging."))
        _clear_pending(locked)
        locked.pending_decision = DECISION_REJECTED
        locked.pending_decision_reason = reason
        locked.pending_decision_mail_due_at = timezone.now()
        locked.save()
        record_status_change(
            locked,
            from_status=locked.status,
            actor=by,
            actor_label=f"medewerker {by}",
            note=f"nieuwe Loket.nl-gegevens afgewezen: {reason}",
        )
        enqueue_on_commit(task_names.SEND_CREDENTIAL_CHANGE_MAILS, locked.pk)
    return locked


# --- a.s.r. changes the e-mail address ---------------------------------------------------------


def processor_change_email(
    *,
    processor: PayrollProcessor,
    new_email: str,
    actor: AbstractBaseUser,
    actor_label: str | None = None,
) -> bool:
    """a.s.r. staff (with the confirm permission: the address receives the activation link and
    the employers' requests) change a processor's e-mail address. The portal account follows
    (its e-mail, and its username where that was the address); the history records the change;
    the old and the new address are both mailed. Returns whether the address changed."""
    _require_permission(actor)
    new_email = new_email.strip()
    validate_email(new_email)
    with transaction.atomic():
        locked = (
            PayrollProcessor.objects.select_for_update(of=("self",))
            .select_related("user")
            .get(pk=processor.pk)
        )
        old_email = locked.email
        if new_email == old_email:
            return False
        if email_taken(email=new_email, exclude_pk=locked.pk):
            raise ValidationError(str(DUPLICATE_EMAIL_MESSAGE), code="duplicate_email")
        locked.email = new_email
        locked.previous_email = old_email
        locked.email_change_mail_due_at = timezone.now()
        try:
            with transaction.atomic():
                locked.save()
        except IntegrityError:
            raise ValidationError(str(DUPLICATE_EMAIL_MESSAGE), code="duplicate_email") from None
        user = locked.user
        if user is not None:
            fields = ["email"]
            user.email = new_email
            if user.get_username().lower() == old_email.lower():
                setattr(user, user.USERNAME_FIELD, new_email)
                fields.append(user.USERNAME_FIELD)
            user.save(update_fields=fields)
        record_status_change(
            locked,
            from_status=locked.status,
            actor=actor,
            actor_label=actor_label or f"medewerker {actor}",
            note=f"e-mailadres gewijzigd van {old_email} naar {new_email}",
        )
        enqueue_on_commit(task_names.SEND_CREDENTIAL_CHANGE_MAILS, locked.pk)
    return True
