"""The employer's request for the salary link, its verification, and whether its processor can
see the employer.

A request counts only once verified (:func:`request_submit` stores it unverified,
:func:`request_verify` opens it). A request names the employer's loonheffingennummers and KvK
number and the chosen processor.
When the processor registered the employer already, the link becomes pending at once; otherwise
the visibility check asks Loket.nl whether the processor's web-service user sees the employer
(manual steps 2 and 3) and tells the processor when it does not.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Sequence

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from common.dispatch import enqueue_on_commit
from customers.identifiers import normalise_policy_number
from customers.selectors import policy_match
from employers import task_names
from employers.identifiers import normalise_kvk, normalise_loonheffingennummer
from employers.loket_snapshot import snapshot
from employers.matching import MatchIndex
from employers.models import (
    UNVERIFIED_STATES,
    VERIFY_DAYS,
    EmployerEvent,
    EmployerLink,
    EmployerRequest,
    LinkStatus,
    LinkTaxNumber,
    RequestStatus,
    RequestTaxNumber,
    VerificationMethod,
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
    policy_number: str = "",
    language: str = "nl",
) -> EmployerRequest:
    """Store an employer's request, *unverified*: it reserves no loonheffingennummer and leads
    to nothing until it is verified (:func:`request_verify`), and it expires after
    :data:`~employers.models.VERIFY_DAYS` days.

    When the KvK number and the policy number match a.s.r.'s customer register, the request
    waits for the confirmation link mailed to the contact address *on file* for that policy
    (``UNVERIFIED``); otherwise it goes to a.s.r.'s review queue (``IN_REVIEW``).
    """
    if processor.status not in CONFIRMED_STATES:
        raise ProcessorNotConfirmed(_("Kies een salarisverwerker uit de lijst."), code="processor")
    kvk = normalise_kvk(kvk_number)
    numbers = sorted({normalise_loonheffingennummer(n) for n in tax_numbers})
    if not numbers:
        raise ValidationError(_("Vul minstens één loonheffingennummer in."), code="lhn_required")
    policy = normalise_policy_number(policy_number) if policy_number.strip() else ""
    match = policy_match(kvk_number=kvk, policy_number=policy) if policy else None
    now = timezone.now()
    employer_request = EmployerRequest(
        company_name=company_name.strip(),
        kvk_number=kvk,
        policy_number=policy,
        contact_name=contact_name.strip(),
        contact_email=contact_email.strip(),
        contact_phone=contact_phone.strip(),
        processor=processor,
        language=language[:8],
        consent_at=now,
        status=RequestStatus.UNVERIFIED if match else RequestStatus.IN_REVIEW,
        register_policy=match.policy_number if match else "",
        register_email=match.contact_email if match else "",
        expires_at=now + dt.timedelta(days=VERIFY_DAYS),
    )
    employer_request.full_clean()
    with transaction.atomic():
        employer_request.save()
        RequestTaxNumber.objects.bulk_create(
            RequestTaxNumber(request=employer_request, number=n, is_open=False) for n in numbers
        )
        EmployerEvent.objects.create(
            request=employer_request,
            from_status="",
            to_status=employer_request.status,
            actor_label="aanvraagformulier werkgever",
            note=(
                f"klantregister: polis {match.policy_number}"
                if match
                else "geen overeenkomst met het klantregister"
            ),
        )
        # The confirmation link to the address on file, or the review notices (the outbox:
        # verification_mailed_at; employers.services.verification).
        enqueue_on_commit(task_names.SEND_VERIFICATION_MAIL, employer_request.pk)
    return employer_request


def request_verify(
    *,
    request_id: int,
    method: str,
    actor: AbstractBaseUser | None = None,
    actor_label: str,
) -> EmployerRequest:
    """The request is verified (``method``: the register's confirmation link, or an a.s.r.
    reviewer): it becomes open, reserves its loonheffingennummers, and the processor's
    registrations waiting for it become pending (the linking task follows); if the processor
    registered none, the visibility check asks Loket.nl whether it can see the employer.

    Raises :class:`ValidationError` (code ``not_unverified``) when the request is no longer
    waiting for verification, and :class:`DuplicateRequest` when another verified request holds
    one of its numbers (then nothing changes)."""
    try:
        with transaction.atomic():
            employer_request = (
                EmployerRequest.objects.select_for_update().filter(pk=request_id).first()
            )
            if employer_request is None or employer_request.status not in UNVERIFIED_STATES:
                raise ValidationError(
                    _("Deze aanvraag is al bevestigd, verlopen of ingetrokken."),
                    code="not_unverified",
                )
            now = timezone.now()
            previous = employer_request.status
            employer_request.status = RequestStatus.OPEN
            employer_request.verification_method = method
            employer_request.verified_at = now
            employer_request.verified_by = (
                actor if actor is not None and actor.is_authenticated else None
            )
            employer_request.verified_email = (
                employer_request.register_email
                if method == VerificationMethod.REGISTER and employer_request.register_email
                else employer_request.contact_email
            )
            employer_request.expires_at = None
            numbers = sorted(employer_request.tax_numbers.values_list("number", flat=True))
            taken = sorted(
                RequestTaxNumber.objects.filter(number__in=numbers, is_open=True).values_list(
                    "number", flat=True
                )
            )
            if taken:
                raise DuplicateRequest(_duplicate_message(taken), code="open_request")
            RequestTaxNumber.objects.filter(request=employer_request).update(is_open=True)
            matched = _waiting_links(employer_request, numbers)
            # Registered already: the linking task checks it. Else: can the processor see it?
            employer_request.visibility_due_at = None if matched else now
            employer_request.mails_sent_at = None
            employer_request.save()
            events = [
                event(
                    employer_request=employer_request,
                    from_status=previous,
                    to_status=RequestStatus.OPEN,
                    actor=actor,
                    actor_label=actor_label,
                    note=_verification_note(employer_request),
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


def _verification_note(employer_request: EmployerRequest) -> str:
    """How it was verified, for the evidence (Dutch: a.s.r.'s own record)."""
    if employer_request.verification_method == VerificationMethod.REGISTER:
        return (
            f"bevestigd via {employer_request.verified_email} "
            f"(klantregister, polis {employer_request.register_policy})"
        )
    if employer_request.verification_method == VerificationMethod.REVIEW:
        return "goedgekeurd door a.s.r."
    return str(employer_request.verification_method)


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
