"""The a.s.r. side: staff confirm, reject or correct a registration and send its mail again."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables

from common.dispatch import enqueue_on_commit
from onboarding import task_names
from onboarding.models import CONFIRMED_STATES, PayrollProcessor, Status
from onboarding.services.credential_change import processor_change_email
from onboarding.services.history import normalise, record_status_change
from onboarding.services.outbox import status_mail_task
from onboarding.services.registration import credentials_update


class CheckNotPassed(ValidationError):
    """a.s.r. cannot confirm a registration whose credential check has not passed."""


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
        locked.status_mail_due_at = locked.confirmed_at
        if locked.user_id is None:
            user_model = get_user_model()
            user = user_model(username=f"salarisverwerker-{locked.pk}", email=locked.email)
            user.set_unusable_password()
            user.save()
            locked.user = user
        locked.save()
        record_status_change(locked, from_status=previous, actor=by, actor_label=f"medewerker {by}")
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
        locked.status_mail_due_at = timezone.now()
        locked.check_requested_at = None
        locked.check_retry_at = None
        locked.save()
        record_status_change(
            locked, from_status=previous, actor=by, actor_label=f"medewerker {by}", note=reason
        )
        enqueue_on_commit(task_names.SEND_REJECTION_MAIL, locked.pk)
    return locked


def mail_resend(*, processor: PayrollProcessor) -> str:
    """Send the mail that belongs to the current state again (through the outbox, so it is not
    lost when the broker is down); returns the task's name."""
    name = status_mail_task(processor.status)
    if name is None:
        raise ValidationError(_("In deze status hoort geen e-mail bij de aanmelding."))
    with transaction.atomic():
        PayrollProcessor.objects.filter(pk=processor.pk).update(status_mail_due_at=timezone.now())
        enqueue_on_commit(name, processor.pk)
    return name


# What a history note calls each field staff may correct directly (no effect on the check).
DETAIL_NAMES = {"company_name": "bedrijfsnaam", "email": "e-mailadres"}


@sensitive_variables("loket_password")
def processor_edit(
    *,
    processor: PayrollProcessor,
    company_name: str,
    email: str,
    omgevingscode: str,
    loket_username: str,
    loket_password: str | None,
    by: AbstractBaseUser,
    actor_label: str,
) -> bool:
    """a.s.r. staff correct a registration (the admin's change form).

    The company name is stored as it is, with a history row whose note names the field. A new
    e-mail address goes through :func:`processor_change_email` (confirm permission, history,
    mails to the old and the new address). New Loket.nl details or a new password
    (``loket_password`` ``None`` keeps the stored one) go through :func:`credentials_update`,
    which validates and records them and checks them again; its ``ValidationError`` and
    ``RateLimited`` come after the other fields are saved. Returns whether the Loket.nl details
    changed (and a check runs).
    """
    values = {"company_name": company_name.strip()}
    with transaction.atomic():
        locked = PayrollProcessor.objects.select_for_update().get(pk=processor.pk)
        changed = [name for name, value in values.items() if getattr(locked, name) != value]
        if changed:
            for name in changed:
                setattr(locked, name, values[name])
            locked.full_clean(exclude=["loket_password_encrypted"])
            locked.save(update_fields=[*changed, "updated_at"])
            record_status_change(
                locked,
                from_status=locked.status,
                actor=by,
                actor_label=actor_label,
                note=" en ".join(DETAIL_NAMES[name] for name in changed) + " gewijzigd",
            )
    if email.strip() != locked.email:
        # Needs the confirm permission; recorded, and mailed to the old and the new address.
        processor_change_email(processor=locked, new_email=email, actor=by, actor_label=actor_label)
        locked.refresh_from_db()
    new_credentials = (
        normalise(omgevingscode) != locked.omgevingscode
        or normalise(loket_username) != locked.loket_username
    )
    if loket_password is None and not new_credentials:
        return False
    credentials_update(
        processor=locked,
        omgevingscode=omgevingscode,
        loket_username=loket_username,
        loket_password=loket_password,
        client_ip=None,
        actor=by,
        actor_label=actor_label,
    )
    return True
