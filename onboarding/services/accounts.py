"""The processor's portal account: activation from the confirmation mail's one-time link."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from onboarding.models import CONFIRMED_STATES, PayrollProcessor, Status
from onboarding.services.history import record_status_change


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
            record_status_change(
                locked, from_status=previous, actor=locked.user, actor_label="activatielink"
            )
    return locked
