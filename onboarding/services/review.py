"""The a.s.r. side: staff confirm or reject a registration and send its mail again."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.dispatch import enqueue_on_commit
from onboarding import task_names
from onboarding.models import CONFIRMED_STATES, PayrollProcessor, Status
from onboarding.services.history import record_status_change


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
        locked.check_requested_at = None
        locked.check_retry_at = None
        locked.save()
        record_status_change(
            locked, from_status=previous, actor=by, actor_label=f"medewerker {by}", note=reason
        )
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
