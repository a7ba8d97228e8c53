"""The employer's request for the salary link, and whether its processor can see the employer.

A request names the employer's loonheffingennummers and KvK number and the chosen processor.
When the processor registered the employer already, the link becomes pending at once; otherwise
the visibility check asks Loket.nl whether the processor's web-service user sees the employer
(manual steps 2 and 3) and tells the processor when it does not.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Sequence

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from common.dispatch import enqueue_on_commit
from employers import task_names
from employers.identifiers import normalise_kvk, normalise_loonheffingennummer
from employers.loket_snapshot import snapshot
from employers.matching import MatchIndex
from employers.models import (
    EmployerEvent,
    EmployerLink,
    EmployerRequest,
    LinkStatus,
    LinkTaxNumber,
    RequestStatus,
    RequestTaxNumber,
)
from employers.services.events import DuplicateRequest, ProcessorNotConfirmed, event
from employers.services.linking import enqueue_links
from locket_client.errors import LoketError
from locket_client.problems import ProblemCode
from onboarding.models import CONFIRMED_STATES, PayrollProcessor


def request_submit(
    *,
    company_name: str,
    kvk_number: str,
    tax_numbers: Iterable[str],
    contact_name: str,
    contact_email: str,
    contact_phone: str = "",
    processor: PayrollProcessor,
    language: str = "nl",
) -> EmployerRequest:
    """Store an employer's request; if the processor registered the employer already, the link
    becomes pending and the linking task is enqueued."""
    if processor.status not in CONFIRMED_STATES:
        raise ProcessorNotConfirmed(_("Kies een salarisverwerker uit de lijst."), code="processor")
    kvk = normalise_kvk(kvk_number)
    numbers = sorted({normalise_loonheffingennummer(n) for n in tax_numbers})
    if not numbers:
        raise ValidationError(_("Vul minstens één loonheffingennummer in."), code="lhn_required")
    taken = sorted(
        RequestTaxNumber.objects.filter(number__in=numbers, is_open=True).values_list(
            "number", flat=True
        )
    )
    if taken:
        raise DuplicateRequest(_duplicate_message(taken), code="open_request")
    employer_request = EmployerRequest(
        company_name=company_name.strip(),
        kvk_number=kvk,
        contact_name=contact_name.strip(),
        contact_email=contact_email.strip(),
        contact_phone=contact_phone.strip(),
        processor=processor,
        language=language[:8],
        consent_at=timezone.now(),
    )
    employer_request.full_clean()
    try:
        with transaction.atomic():
            matched = _waiting_links(employer_request, numbers)
            # Registered already: the linking task checks it. Else: can the processor see it?
            employer_request.visibility_due_at = None if matched else employer_request.consent_at
            employer_request.save()
            RequestTaxNumber.objects.bulk_create(
                RequestTaxNumber(request=employer_request, number=n) for n in numbers
            )
            events = [
                event(
                    employer_request=employer_request,
                    from_status="",
                    to_status=employer_request.status,
                    actor_label="aanvraagformulier werkgever",
                )
            ]
            events += _make_pending(matched, employer_request)
            EmployerEvent.objects.bulk_create(events)
            enqueue_links([link.pk for link in matched])
            if not matched:
                enqueue_on_commit(task_names.CHECK_REQUEST_VISIBILITY, employer_request.pk)
            enqueue_on_commit(task_names.SEND_REQUEST_MAILS, employer_request.pk)
    except IntegrityError:
        raise DuplicateRequest(_duplicate_message(numbers), code="open_request") from None
    return employer_request


def _duplicate_message(numbers: Sequence[str]) -> str:
    return _(
        "Er loopt al een aanvraag voor %(numbers)s. U hoeft niets opnieuw aan te vragen: uw "
        "salarisverwerker heeft de aanvraag ontvangen."
    ) % {"numbers": ", ".join(numbers)}


def _waiting_links(employer_request: EmployerRequest, numbers: list[str]) -> list[EmployerLink]:
    """The processor's registrations waiting for this request (locked), by the request's rule
    (:class:`~employers.matching.MatchIndex`): the employers with one of its loonheffingennummers;
    only when none of the processor's registrations, in any state, has one of them, those with
    its KvK number. (A number on a link that is not waiting, say already active, is a match that
    leaves nothing to do here: the request is marked linked when that link is.)"""
    of_processor = Q(processor_id=employer_request.processor_id)
    waiting = of_processor & Q(status=LinkStatus.AWAITING_REQUEST, request__isnull=True)
    numbers_of: dict[int, list[str]] = {}
    for link_id, number in LinkTaxNumber.objects.filter(
        number__in=numbers, link__in=EmployerLink.objects.filter(of_processor)
    ).values_list("link_id", "number"):
        numbers_of.setdefault(link_id, []).append(number)
    candidates = {
        link.pk: link
        for link in EmployerLink.objects.select_for_update(of=("self",))
        .filter(waiting)
        .filter(Q(pk__in=list(numbers_of)) | Q(kvk_number=employer_request.kvk_number))
        .order_by("pk")
    }
    index: MatchIndex[int] = MatchIndex()
    for link_id in sorted({*numbers_of, *candidates}):
        kvk = candidates[link_id].kvk_number if link_id in candidates else None
        index.add(link_id, numbers=numbers_of.get(link_id, ()), kvk=kvk)
    matched = index.all(numbers=numbers, kvk=employer_request.kvk_number)
    return [candidates[link_id] for link_id in matched if link_id in candidates]


def _make_pending(
    links: list[EmployerLink], employer_request: EmployerRequest
) -> list[EmployerEvent]:
    now = timezone.now()
    events = []
    for link in links:
        link.request = employer_request
        events.append(
            event(
                link=link,
                from_status=link.status,
                to_status=LinkStatus.PENDING,
                actor_label="aanvraag en aanmelding compleet",
            )
        )
        link.status = LinkStatus.PENDING
        link.link_requested_at = now
    EmployerLink.objects.bulk_update(
        links, ["request", "status", "link_requested_at"], batch_size=500
    )
    return events


class Visibility(enum.Enum):
    """The outcome of a visibility check."""

    VISIBLE = "visible"
    NOT_VISIBLE = "not_visible"
    RETRY = "retry"  # Loket.nl could not be asked; the request is still open
    MOOT = "moot"  # no such request, or no longer open


def request_visibility_check(*, request_id: int, trigger: str) -> Visibility:
    """For a request the processor has not registered yet: can its web-service user see the
    employer at all? If not, record the problem (manual steps 2 and 3) and tell the processor."""
    employer_request = (
        EmployerRequest.objects.select_related("processor").filter(pk=request_id).first()
    )
    if employer_request is None:
        return Visibility.MOOT
    if employer_request.status != RequestStatus.OPEN:
        EmployerRequest.objects.filter(pk=request_id).update(visibility_due_at=None)
        return Visibility.MOOT
    try:
        current = snapshot(employer_request.processor)
    except LoketError as error:
        if error.retryable:
            return Visibility.RETRY
        visible = False
    else:
        index: MatchIndex[str] = MatchIndex()
        for employer in current.employers:
            index.add(employer.id, numbers=employer.payroll_tax_numbers, kvk=employer.kvk_number)
        numbers = list(employer_request.tax_numbers.values_list("number", flat=True))
        visible = index.first(numbers=numbers, kvk=employer_request.kvk_number) is not None
    code = "" if visible else ProblemCode.NIET_ZICHTBAAR
    with transaction.atomic():
        held = (
            EmployerRequest.objects.select_for_update()
            .filter(pk=request_id, status=RequestStatus.OPEN)
            .values_list("problem_code", flat=True)
            .first()
        )
        if held is None:
            return Visibility.MOOT
        changed = held != code
        update: dict[str, object] = {"checked_at": timezone.now(), "visibility_due_at": None}
        if changed:
            update.update(problem_code=code, problem_mailed_at=None)
        EmployerRequest.objects.filter(pk=request_id).update(**update)
        if changed:
            EmployerEvent.objects.create(
                request_id=request_id,
                from_status=RequestStatus.OPEN,
                to_status=RequestStatus.OPEN,
                actor_label=trigger,
                note=code or "werkgever zichtbaar in Loket.nl",
            )
            if code:
                enqueue_on_commit(task_names.SEND_REQUEST_PROBLEM_MAIL, request_id)
    return Visibility.VISIBLE if visible else Visibility.NOT_VISIBLE


def visibility_defer(*, request_id: int, seconds: int) -> None:
    """A visibility check retries in ``seconds``: the sweep leaves it alone until then."""
    EmployerRequest.objects.filter(pk=request_id, visibility_due_at__isnull=False).update(
        visibility_due_at=timezone.now() + dt.timedelta(seconds=seconds)
    )
