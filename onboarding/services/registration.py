"""The processor's side of a registration: submit it, correct its Loket.nl details, ask for
the check again (the status page, the dashboard, the daily re-check)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables

from common.dispatch import enqueue_on_commit
from onboarding import limits, task_names
from onboarding.crypto import encrypt_secret
from onboarding.models import (
    CONFIRMED_STATES,
    DUPLICATE_ACCOUNT_MESSAGE,
    PayrollProcessor,
    Status,
)
from onboarding.selectors import (
    processor_duplicate_exists,
    processors_registered_with,
)
from onboarding.services.credential_change import credential_change_request, needs_approval
from onboarding.services.history import normalise, record_status_change
from onboarding.services.recovery import duplicate_notice_request


class DuplicateRegistration(ValidationError):
    """This omgevingscode + gebruikersnaam (or e-mail address) is registered already."""


@sensitive_variables("loket_password")
def registration_submit(
    *,
    company_name: str,
    email: str,
    omgevingscode: str,
    loket_username: str,
    loket_password: str,
    client_ip: str,
    language: str = "nl",
) -> PayrollProcessor | None:
    """Store a new registration and have its credentials checked.

    ``None`` when the e-mail address or the omgevingscode + gebruikersnaam is registered
    already: nothing is stored, the registrations holding them are mailed (the caller answers
    as for a new registration). Raises ``RateLimited`` (too many checks from this address or for
    this account).
    """
    omgevingscode, loket_username = normalise(omgevingscode), normalise(loket_username)
    limits.check_limit_per_client(client_ip)
    limits.check_limit_per_account(omgevingscode, loket_username)
    if _notify_registered(email=email, omgevingscode=omgevingscode, loket_username=loket_username):
        return None
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
        received_mail_due_at=now,
        asr_notice_due_at=now,
    )
    processor.full_clean(exclude=["loket_password_encrypted"])
    try:
        with transaction.atomic():
            processor.save()
            record_status_change(
                processor, from_status="", actor=None, actor_label="aanmeldformulier"
            )
            enqueue_on_commit(task_names.CHECK_CREDENTIALS, processor.pk)
            enqueue_on_commit(task_names.SEND_RECEIVED_MAIL, processor.pk)  # and a.s.r.'s notice
    except IntegrityError:
        # Two submissions raced past the checks above; the database constraint decides.
        if _notify_registered(
            email=email, omgevingscode=omgevingscode, loket_username=loket_username
        ):
            return None
        raise DuplicateRegistration(str(DUPLICATE_ACCOUNT_MESSAGE), code="duplicate") from None
    return processor


def _notify_registered(*, email: str, omgevingscode: str, loket_username: str) -> bool:
    """Issue 13 (enumeration): details that are registered already are not refused (that would
    tell anyone who types an address whether it is registered); the registrations that hold
    them get a mail instead, and the form answers as for a new registration."""
    existing = processors_registered_with(
        email=email, omgevingscode=omgevingscode, loket_username=loket_username
    )
    for processor_id in existing:
        duplicate_notice_request(processor_id=processor_id)
    return bool(existing)


@sensitive_variables("loket_password")
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
    and per-account limits; the cap on calls to Loket.nl always applies.

    A new omgevingscode or gebruikersnaam of a confirmed processor does not take effect: unless
    ``actor`` may confirm registrations, it waits for a.s.r.
    (:func:`~onboarding.services.credential_change.credential_change_request`) and the current
    credentials stay in use. A new password alone is applied and checked at once."""
    omgevingscode, loket_username = normalise(omgevingscode), normalise(loket_username)
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
        if needs_approval(
            locked, omgevingscode=omgevingscode, loket_username=loket_username, actor=actor
        ):
            # Another Loket.nl account for a confirmed processor: it waits for a.s.r.
            return credential_change_request(
                locked=locked,
                omgevingscode=omgevingscode,
                loket_username=loket_username,
                loket_password=loket_password,
                actor=actor,
                actor_label=actor_label,
            )
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
        record_status_change(
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
        record_status_change(
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
