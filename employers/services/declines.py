"""The processor declines an employer's request ("geen klant van ons"): the request ends as
declined with the reason, its loonheffingennummers are free again, the processor's
registrations it was paired with wait for a request again, and the employer's verified contact
is mailed the reason (the outbox: ``EmployerRequest.decline_mailed_at``)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.dispatch import enqueue_on_commit
from employers import task_names
from employers.models import (
    EmployerEvent,
    EmployerLink,
    EmployerRequest,
    LinkStatus,
    RequestStatus,
    RequestTaxNumber,
)
from employers.services.events import event
from onboarding.models import PayrollProcessor

REASON_MAX = 300


def request_decline(
    *,
    request_id: int,
    processor: PayrollProcessor,
    reason: str,
    actor: AbstractBaseUser | None,
) -> EmployerRequest:
    """Decline the processor's own open (verified, not yet linked) request ``request_id``.

    Raises :class:`ValidationError`: code ``reason_required`` without a reason, ``not_open``
    when the request is not the processor's or no longer open (linked, withdrawn, declined)."""
    reason = " ".join(reason.split())[:REASON_MAX]
    if not reason:
        raise ValidationError(_("Geef een reden op."), code="reason_required")
    with transaction.atomic():
        # The links first, as the linking task locks them (then the request): never a deadlock.
        links = list(
            EmployerLink.objects.select_for_update()
            .filter(request_id=request_id, processor=processor)
            .order_by("pk")
        )
        employer_request = (
            EmployerRequest.objects.select_for_update()
            .filter(pk=request_id, processor=processor)
            .first()
        )
        if employer_request is None or employer_request.status != RequestStatus.OPEN:
            raise ValidationError(
                _("Deze aanvraag kan niet meer worden geweigerd."), code="not_open"
            )
        now = timezone.now()
        employer_request.status = RequestStatus.DECLINED
        employer_request.decided_at = now
        employer_request.decision_reason = reason
        employer_request.visibility_due_at = None
        employer_request.decline_mailed_at = None
        employer_request.save(
            update_fields=[
                "status",
                "decided_at",
                "decision_reason",
                "visibility_due_at",
                "decline_mailed_at",
            ]
        )
        RequestTaxNumber.objects.filter(request=employer_request).update(is_open=False)
        events = [
            event(
                employer_request=employer_request,
                from_status=RequestStatus.OPEN,
                to_status=RequestStatus.DECLINED,
                actor=actor,
                actor_label="salarisverwerker",
                note=reason,
            )
        ]
        freed = [link for link in links if link.status != LinkStatus.ENDED]
        for link in freed:
            events.append(
                event(
                    link=link,
                    from_status=link.status,
                    to_status=LinkStatus.AWAITING_REQUEST,
                    actor=actor,
                    actor_label="salarisverwerker",
                    note="aanvraag geweigerd",
                )
            )
        EmployerLink.objects.filter(pk__in=[link.pk for link in freed]).update(
            status=LinkStatus.AWAITING_REQUEST,
            request=None,
            problem_code="",
            problem_detail="",
            link_requested_at=None,
            link_claimed_until=None,
        )
        EmployerEvent.objects.bulk_create(events)
        enqueue_on_commit(task_names.SEND_REQUEST_DECLINED_MAIL, employer_request.pk)
    return employer_request
