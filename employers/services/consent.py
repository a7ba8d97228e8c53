"""The employer's control over its consent: withdraw a request before its link is active, revoke
a link once it is (the employer on its status page, or a.s.r. in the admin).

- :func:`request_withdraw`: before activation (unverified, in review, or verified and open). The
  request is withdrawn, its loonheffingennummers are free again, and the processor's
  registrations that were pending or had a problem with it wait for a request again. The
  processor is told only if the request had been verified (it never heard of it otherwise).
- :func:`link_revoke`: a link that is active, needs attention, has a problem or is pending
  (with a verified request) ends at once, for good: the link and its request are ``ENDED`` with
  the reason, the time and who ended it, and the processor and a.s.r. are mailed (the outbox,
  ``EmployerLink.end_mailed_at``). Nothing re-activates an ended link: the linking task acts on
  pending links only, the re-checks on active and flagged ones, the sweeps on pending ones. A new
  link needs a new registration by the processor and a new verified request.

Locks are taken in the linking worker's order (links first, then the request), so a withdraw
or a revoke running beside a linking task waits for it instead of deadlocking.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from common.dispatch import enqueue_on_commit
from employers import task_names
from employers.models import (
    UNVERIFIED_STATES,
    EmployerEvent,
    EmployerLink,
    EmployerRequest,
    LinkStatus,
    RequestStatus,
    RequestTaxNumber,
)
from employers.services.events import event

WITHDRAWABLE = (*UNVERIFIED_STATES, RequestStatus.OPEN)
"""A request can be withdrawn until its link is active (then it is revoked instead)."""

UNPAIRED_ON_WITHDRAW = (LinkStatus.PENDING, LinkStatus.PROBLEM)
"""The processor's registrations that go back to waiting when their request is withdrawn."""

REVOCABLE = (
    LinkStatus.ACTIVE,
    LinkStatus.NEEDS_ATTENTION,
    LinkStatus.PROBLEM,
    LinkStatus.PENDING,
)
"""A link that can be ended: one that stands on a verified request."""

REASON_MAX = 300


def request_withdraw(*, request_id: int, actor_label: str, reason: str = "") -> EmployerRequest:
    """Withdraw a request before its link is active. Raises :class:`ValidationError` with code
    ``already_withdrawn`` (nothing changes: a second click) or ``not_withdrawable`` (its link is
    active or ended, or it was rejected or declined)."""
    reason = " ".join(reason.split())[:REASON_MAX]
    with transaction.atomic():
        # Links first, then the request (the linking worker's order), then the links again:
        # any paired with the request while this waited for its lock.
        _lock_links(request_id)
        employer_request = EmployerRequest.objects.select_for_update().filter(pk=request_id).first()
        if employer_request is None:
            raise ValidationError(_("Deze aanvraag bestaat niet (meer)."), code="not_found")
        if employer_request.status == RequestStatus.WITHDRAWN:
            raise ValidationError(
                _("Deze aanvraag was al ingetrokken; er is niets veranderd."),
                code="already_withdrawn",
            )
        if employer_request.status not in WITHDRAWABLE:
            raise ValidationError(
                _(
                    "Deze aanvraag kan niet meer worden ingetrokken. Is de koppeling actief, "
                    "trek dan de koppeling in."
                ),
                code="not_withdrawable",
            )
        links = _lock_links(request_id)
        now = timezone.now()
        previous = employer_request.status
        was_verified = employer_request.is_verified
        employer_request.status = RequestStatus.WITHDRAWN
        employer_request.decided_at = now
        employer_request.decision_reason = reason
        employer_request.visibility_due_at = None
        employer_request.expires_at = None
        # The processor heard of it only once it was verified: only then is it told.
        employer_request.withdraw_mailed_at = None if was_verified else now
        employer_request.save(
            update_fields=[
                "status",
                "decided_at",
                "decision_reason",
                "visibility_due_at",
                "expires_at",
                "withdraw_mailed_at",
            ]
        )
        RequestTaxNumber.objects.filter(request_id=request_id).update(is_open=False)
        events = [
            event(
                employer_request=employer_request,
                from_status=previous,
                to_status=RequestStatus.WITHDRAWN,
                actor_label=actor_label,
                note=reason,
            )
        ]
        unpaired = [link for link in links if link.status in UNPAIRED_ON_WITHDRAW]
        for link in unpaired:
            events.append(
                event(
                    link=link,
                    from_status=link.status,
                    to_status=LinkStatus.AWAITING_REQUEST,
                    actor_label=actor_label,
                    note=f"aanvraag {request_id} ingetrokken",
                )
            )
        if unpaired:
            EmployerLink.objects.filter(pk__in=[link.pk for link in unpaired]).update(
                status=LinkStatus.AWAITING_REQUEST,
                request=None,
                problem_code="",
                problem_detail="",
                link_requested_at=None,
                link_claimed_until=None,
                checked_at=None,
                activated_at=None,
                processor_notified_at=None,
                mail_retry_at=None,
            )
        EmployerEvent.objects.bulk_create(events)
        if was_verified:
            enqueue_on_commit(task_names.SEND_REQUEST_WITHDRAWN_MAIL, request_id)
    return employer_request


def _lock_links(request_id: int) -> list[EmployerLink]:
    return list(
        EmployerLink.objects.select_for_update(of=("self",))
        .filter(request_id=request_id)
        .order_by("pk")
        .only("pk", "status", "request_id", "processor_id")
    )


def link_revoke(
    *,
    link_id: int,
    reason: str,
    actor: AbstractBaseUser | None,
    actor_label: str,
) -> EmployerLink:
    """End a link at once, for good, with its request (and the request's other live links: the
    consent they stand on is gone). Raises :class:`ValidationError` with code ``already_ended``
    (a second revoke: nothing changes, no second mail), ``not_revocable`` (no verified request
    behind it, or waiting for one) or ``reason_required``."""
    reason = " ".join(reason.split())[:REASON_MAX]
    if not reason:
        raise ValidationError(_("Vul een reden in."), code="reason_required")
    with transaction.atomic():
        link = EmployerLink.objects.select_for_update(of=("self",)).filter(pk=link_id).first()
        if link is None:
            raise ValidationError(_("Deze koppeling bestaat niet (meer)."), code="not_found")
        if link.status == LinkStatus.ENDED:
            when = formats.date_format(timezone.localtime(link.ended_at), "DATETIME_FORMAT")
            raise ValidationError(
                _("Deze koppeling was al beëindigd op %(when)s; er is niets veranderd.")
                % {"when": when},
                code="already_ended",
            )
        request_id = link.request_id
        if link.status not in REVOCABLE or request_id is None:
            raise ValidationError(
                _("Deze koppeling kan niet worden beëindigd: er hoort geen aanvraag bij."),
                code="not_revocable",
            )
        # The request's other live links, then the request (the linking worker's lock order).
        siblings = list(
            EmployerLink.objects.select_for_update(of=("self",))
            .filter(request_id=request_id, status__in=REVOCABLE)
            .exclude(pk=link.pk)
            .order_by("pk")
        )
        employer_request = EmployerRequest.objects.select_for_update().get(pk=request_id)
        if not employer_request.is_verified:
            raise ValidationError(
                _("Deze koppeling kan niet worden beëindigd: er hoort geen aanvraag bij."),
                code="not_revocable",
            )
        now = timezone.now()
        user = actor if actor is not None and actor.is_authenticated else None
        ended = [link, *siblings]
        events = [
            event(
                link=each,
                from_status=each.status,
                to_status=LinkStatus.ENDED,
                actor=user,
                actor_label=actor_label,
                note=reason,
            )
            for each in ended
        ]
        EmployerLink.objects.filter(pk__in=[each.pk for each in ended]).update(
            status=LinkStatus.ENDED,
            ended_at=now,
            end_reason=reason,
            ended_by=user,
            end_mailed_at=None,
            link_requested_at=None,
            link_claimed_until=None,
            mail_retry_at=None,
        )
        if employer_request.status != RequestStatus.ENDED:
            events.append(
                event(
                    employer_request=employer_request,
                    from_status=employer_request.status,
                    to_status=RequestStatus.ENDED,
                    actor=user,
                    actor_label=actor_label,
                    note=reason,
                )
            )
            employer_request.status = RequestStatus.ENDED
            employer_request.decided_at = now
            employer_request.decision_reason = reason
            employer_request.visibility_due_at = None
            employer_request.save(
                update_fields=["status", "decided_at", "decision_reason", "visibility_due_at"]
            )
            RequestTaxNumber.objects.filter(request_id=request_id).update(is_open=False)
        EmployerEvent.objects.bulk_create(events)
        for each in ended:
            enqueue_on_commit(task_names.SEND_LINK_ENDED_MAIL, each.pk)
    link.refresh_from_db()
    return link
