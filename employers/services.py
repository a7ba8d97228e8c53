"""Services for employer requests, registrations by the processor, and links.

Whichever of the employer's request and the processor's registration comes second moves the link
to *pending* and enqueues the linking task (after commit; the ``link_requested_at`` column and
the sweep of ``employers.outbox`` catch a broker that was down). The linking task claims each
row with ``SELECT ... FOR UPDATE SKIP LOCKED`` and acts only on a link still pending, so a task
delivered twice, or run on two workers at once, activates a link once; a worker killed mid-task
rolls back its open transaction and the message is delivered again (``acks_late``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from employers.identifiers import normalise_kvk, normalise_loonheffingennummer
from employers.loket_view import LoketView, loket_view, loket_view_forget
from employers.models import (
    EmployerEvent,
    EmployerLink,
    EmployerRequest,
    LinkStatus,
    LinkTaxNumber,
    RequestStatus,
    RequestTaxNumber,
)
from locket_client.errors import LoketError
from locket_client.types import Employer
from onboarding.models import CONFIRMED_STATES, PayrollProcessor

logger = logging.getLogger(__name__)

TASK_CHUNK = 200
"""Links per linking task: one Loket.nl view serves a whole chunk."""


class DuplicateRequest(ValidationError):
    """An open request already names one of these loonheffingennummers."""


class ProcessorNotConfirmed(ValidationError):
    pass


# Problem codes of a link, each with the manual step that fixes it.
PROBLEMS: dict[str, tuple[str, str]] = {
    "NIET_ZICHTBAAR": (
        "Handleiding: stap 2 en 3",
        (
            "De werkgever vroeg de koppeling aan, maar uw webservicegebruiker ziet deze "
            "werkgever niet in Loket.nl. Voeg de werkgever toe aan het team van de "
            "webservicepartij."
        ),
    ),
    "AUTORISATIE_ONTBREEKT": (
        "Handleiding: stap 3, Webservicepartij",
        (
            "De webservicepartij mist rechten die de koppeling nodig heeft ({detail}). Vraag "
            "Loket.nl de webservicepartij hiervoor te autoriseren."
        ),
    ),
    "VERKEERDE_WEBSERVICEPARTIJ": (
        "Handleiding: stap 1",
        (
            "De webservicepartij is '{detail}', niet 'Benefits-Plaza'. Vraag Loket.nl "
            "Benefits-Plaza als webservicepartij te kiezen."
        ),
    ),
    "INLOG_MISLUKT": (
        "Handleiding: stap 4",
        (
            "Loket.nl wijst de inlog van uw webservicegebruiker af ({detail}). Werk uw "
            "Loket.nl-gegevens bij op uw dashboard."
        ),
    ),
}


def problem_text(code: str, detail: str = "") -> tuple[str, str]:
    step, message = PROBLEMS.get(code, ("", code))
    return step, message.format(detail=detail)


def _event(
    *,
    request: EmployerRequest | None = None,
    link: EmployerLink | None = None,
    from_status: str,
    to_status: str,
    actor: AbstractBaseUser | None = None,
    actor_label: str,
    note: str = "",
) -> EmployerEvent:
    return EmployerEvent(
        request=request,
        link=link,
        from_status=from_status,
        to_status=to_status,
        actor=actor if actor is not None and actor.is_authenticated else None,
        actor_label=actor_label,
        note=note[:300],
    )


def _enqueue_links(link_ids: Sequence[int]) -> None:
    """After commit, one linking task per chunk; a broker failure is left to the sweep."""
    from employers.tasks import link_employers

    ids = list(link_ids)

    def send() -> None:
        for start in range(0, len(ids), TASK_CHUNK):
            try:
                link_employers.delay(ids[start : start + TASK_CHUNK])
            except Exception:  # noqa: BLE001 - any broker failure; the sweep retries
                logger.warning("could not enqueue %d link(s); the sweep will", len(ids) - start)
                return

    if ids:
        transaction.on_commit(send)


def _enqueue_task(task_name: str, *args: object) -> None:
    from employers import tasks

    task = getattr(tasks, task_name)

    def send() -> None:
        try:
            task.delay(*args)
        except Exception:  # noqa: BLE001 - mail can be re-sent; the state is saved
            logger.warning("could not enqueue %s", task_name)

    transaction.on_commit(send)


# --- the employer's request --------------------------------------------------------------------


def request_submit(
    *,
    company_name: str,
    kvk_number: str,
    tax_numbers: Iterable[str],
    contact_name: str,
    contact_email: str,
    contact_phone: str = "",
    processor: PayrollProcessor,
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
    request = EmployerRequest(
        company_name=company_name.strip(),
        kvk_number=kvk,
        contact_name=contact_name.strip(),
        contact_email=contact_email.strip(),
        contact_phone=contact_phone.strip(),
        processor=processor,
        consent_at=timezone.now(),
    )
    request.full_clean()
    try:
        with transaction.atomic():
            matched = _match_links_for_request(request, numbers)
            # Registered already: the linking task checks it. Else: can the processor see it?
            request.visibility_due_at = None if matched else request.consent_at
            request.save()
            RequestTaxNumber.objects.bulk_create(
                RequestTaxNumber(request=request, number=n) for n in numbers
            )
            events = [
                _event(
                    request=request,
                    from_status="",
                    to_status=request.status,
                    actor_label="aanvraagformulier werkgever",
                )
            ]
            events += _make_pending(matched, request_by_link={m.pk: request for m in matched})
            EmployerEvent.objects.bulk_create(events)
            _enqueue_links([m.pk for m in matched])
            if not matched:
                _enqueue_task("check_request_visibility", request.pk)
            _enqueue_task("send_request_mails", request.pk)
    except IntegrityError:
        raise DuplicateRequest(_duplicate_message(numbers), code="open_request") from None
    return request


def _duplicate_message(numbers: Sequence[str]) -> str:
    return _(
        "Er loopt al een aanvraag voor %(numbers)s. U hoeft niets opnieuw aan te vragen: uw "
        "salarisverwerker heeft de aanvraag ontvangen."
    ) % {"numbers": ", ".join(numbers)}


def _match_links_for_request(request: EmployerRequest, numbers: list[str]) -> list[EmployerLink]:
    """The processor's registrations waiting for this request: by loonheffingennummer, else KvK."""
    waiting = EmployerLink.objects.select_for_update(of=("self",)).filter(
        processor_id=request.processor_id,
        status=LinkStatus.AWAITING_REQUEST,
        request__isnull=True,
    )
    matching_ids = LinkTaxNumber.objects.filter(number__in=numbers).values("link_id")
    by_number = list(waiting.filter(pk__in=matching_ids))
    if by_number:
        return by_number
    return list(waiting.filter(kvk_number=request.kvk_number))


def _make_pending(
    links: list[EmployerLink], *, request_by_link: dict[int, EmployerRequest]
) -> list[EmployerEvent]:
    now = timezone.now()
    events = []
    for link in links:
        link.request = request_by_link[link.pk]
        events.append(
            _event(
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


# --- the processor registers employers ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RegisterResult:
    created: int
    already: int
    unknown: int
    pending: int


def links_register(
    *,
    processor: PayrollProcessor,
    employer_ids: Iterable[str],
    by: AbstractBaseUser | None,
    view: LoketView | None = None,
) -> RegisterResult:
    """Register employers the processor's web-service user sees (one, or many at once).

    Employers already registered are skipped (safe to repeat); ids Loket.nl does not show are
    refused (counted as ``unknown``). A registration whose employer has an open request becomes
    pending at once; the others wait for the request.
    """
    if processor.status not in CONFIRMED_STATES:
        raise ProcessorNotConfirmed(_("Uw aanmelding is nog niet bevestigd door a.s.r."))
    wanted = list(dict.fromkeys(employer_ids))
    visible = (view or loket_view(processor)).by_id()
    known = [visible[i] for i in wanted if i in visible]
    with transaction.atomic():
        existing = set(
            EmployerLink.objects.filter(
                processor=processor, loket_employer_id__in=[e.id for e in known]
            ).values_list("loket_employer_id", flat=True)
        )
        new = [e for e in known if e.id not in existing]
        # Matched before the links exist, so that each is created in its final state: updating
        # 10,000 links afterwards (bulk_update's CASE per row) cost seconds of Python alone.
        request_by_employer = _match_requests(processor, new)
        registered_by = by if by is not None and by.is_authenticated else None
        now = timezone.now()
        links = EmployerLink.objects.bulk_create(
            [
                EmployerLink(
                    processor=processor,
                    loket_employer_id=e.id,
                    employer_name=e.name[:200],
                    kvk_number=e.kvk_number or "",
                    registered_by=registered_by,
                    **(
                        {
                            "request": request_by_employer[e.id],
                            "status": LinkStatus.PENDING,
                            "link_requested_at": now,
                        }
                        if e.id in request_by_employer
                        else {}
                    ),
                )
                for e in new
            ],
            batch_size=1000,
        )
        if links and links[0].pk is None:  # SQLite before 3.35 returns no ids
            links = list(
                EmployerLink.objects.filter(
                    processor=processor, loket_employer_id__in=[e.id for e in new]
                )
            )
        employer_by_id = {e.id: e for e in new}
        LinkTaxNumber.objects.bulk_create(
            [
                LinkTaxNumber(link=link, number=number)
                for link in links
                for number in employer_by_id[link.loket_employer_id].payroll_tax_numbers
            ],
            batch_size=2000,
            ignore_conflicts=True,
        )
        events = []
        pending = []
        for link in links:
            events.append(
                _event(
                    link=link,
                    from_status="",
                    to_status=LinkStatus.AWAITING_REQUEST,
                    actor=by,
                    actor_label="aanmelding door salarisverwerker",
                )
            )
            if link.status == LinkStatus.PENDING:
                pending.append(link)
                events.append(
                    _event(
                        link=link,
                        from_status=LinkStatus.AWAITING_REQUEST,
                        to_status=LinkStatus.PENDING,
                        actor_label="aanvraag en aanmelding compleet",
                    )
                )
        EmployerEvent.objects.bulk_create(events, batch_size=2000)
        _enqueue_links([link.pk for link in pending])
    return RegisterResult(
        created=len(links),
        already=len(known) - len(new),
        unknown=len(wanted) - len(known),
        pending=len(pending),
    )


def _match_requests(
    processor: PayrollProcessor, employers: list[Employer]
) -> dict[str, EmployerRequest]:
    """For each employer (by Loket.nl id), the open request of this processor that names one of
    its loonheffingennummers, else its KvK number. Queries per 1,000 numbers, not per employer."""
    number_to_employer: dict[str, str] = {}
    kvk_to_employers: dict[str, list[str]] = {}
    for employer in employers:
        for number in employer.payroll_tax_numbers:
            number_to_employer[number] = employer.id
        if employer.kvk_number:
            kvk_to_employers.setdefault(employer.kvk_number, []).append(employer.id)
    result: dict[str, EmployerRequest] = {}
    numbers = list(number_to_employer)
    for start in range(0, len(numbers), 1000):
        rows = RequestTaxNumber.objects.filter(
            number__in=numbers[start : start + 1000],
            is_open=True,
            request__processor=processor,
            request__status=RequestStatus.OPEN,
        ).select_related("request")
        for row in rows:
            result.setdefault(number_to_employer[row.number], row.request)
    unmatched_kvk = [k for k, ids in kvk_to_employers.items() if not any(i in result for i in ids)]
    for start in range(0, len(unmatched_kvk), 1000):
        for request in EmployerRequest.objects.filter(
            processor=processor,
            status=RequestStatus.OPEN,
            kvk_number__in=unmatched_kvk[start : start + 1000],
        ):
            for employer_id in kvk_to_employers[request.kvk_number]:
                result.setdefault(employer_id, request)
    return result


# --- the linking worker ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LinkRunResult:
    activated: list[int]
    problems: int
    skipped: int
    retry: bool = False


def _view_problem(view: LoketView) -> tuple[str, str] | None:
    access = view.access
    if not access.has_required_party:
        return "VERKEERDE_WEBSERVICEPARTIJ", access.party
    missing = access.missing_functions + access.missing_entities
    if missing:
        return "AUTORISATIE_ONTBREEKT", ", ".join(missing)
    return None


def links_activate(*, link_ids: Sequence[int], trigger: str) -> LinkRunResult:
    """Check pending links against Loket.nl and activate them, or record the precise problem.

    Idempotent per link (row claimed with SKIP LOCKED, acted on only while pending). Temporary
    trouble at Loket.nl changes nothing and asks for a retry.
    """
    pending = list(
        EmployerLink.objects.filter(pk__in=link_ids, status=LinkStatus.PENDING)
        .order_by()  # the model's ordering would leak into DISTINCT and repeat processors
        .values_list("processor_id", flat=True)
        .distinct()
    )
    activated: list[int] = []
    problems = skipped = 0
    retry = False
    notify: set[int] = set()
    for processor_id in pending:
        processor = PayrollProcessor.objects.get(pk=processor_id)
        try:
            view = loket_view(processor)
        except LoketError as error:
            if error.retryable:
                retry = True  # this processor's links stay pending; the others go on
                continue
            view_problem: tuple[str, str] | None = ("INLOG_MISLUKT", error.code)
            visible: frozenset[str] = frozenset()
        else:
            view_problem = _view_problem(view)
            visible = view.employer_ids
        ids = list(
            EmployerLink.objects.filter(
                pk__in=link_ids, processor_id=processor_id, status=LinkStatus.PENDING
            ).values_list("pk", flat=True)
        )
        done, failed, missed = _activate_chunk(ids, visible, view_problem, trigger)
        activated += done
        problems += failed
        skipped += missed
        if done or failed:
            notify.add(processor_id)
    if activated:
        _enqueue_task("send_link_active_mails", activated)
    for processor_id in notify:
        _schedule_processor_digest(processor_id)
    return LinkRunResult(activated=activated, problems=problems, skipped=skipped, retry=retry)


def _schedule_processor_digest(processor_id: int) -> None:
    """One digest mail per processor per minute, however many link tasks finished: a bulk
    registration of 10,000 employers must not send the processor 10,000 (or 50) mails. With a
    broker, the beat's ``send_due_digests`` sends it within the minute (no countdown tasks: a
    worker holding ETA tasks can stall); in-process (the embedded default) it goes at once."""
    from employers.tasks import send_processor_digest

    if send_processor_digest.app.conf.task_always_eager:
        transaction.on_commit(lambda: send_processor_digest.delay(processor_id))


def processor_digest_claim(*, processor_id: int) -> tuple[list[EmployerLink], list[EmployerLink]]:
    """The links whose outcome the processor has not been told yet (active, problem), marked as
    told in the same transaction: a digest task delivered twice sends the second time nothing."""
    with transaction.atomic():
        links = list(
            EmployerLink.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(
                processor_id=processor_id,
                processor_notified_at__isnull=True,
                status__in=(LinkStatus.ACTIVE, LinkStatus.PROBLEM),
            )
            .order_by("employer_name", "pk")
        )
        EmployerLink.objects.filter(pk__in=[link.pk for link in links]).update(
            processor_notified_at=timezone.now()
        )
    active = [link for link in links if link.status == LinkStatus.ACTIVE]
    problem = [link for link in links if link.status == LinkStatus.PROBLEM]
    return active, problem


def _activate_chunk(
    link_ids: list[int],
    visible: frozenset[str],
    view_problem: tuple[str, str] | None,
    trigger: str,
) -> tuple[list[int], int, int]:
    """Decide a chunk of one processor's pending links in ONE transaction.

    The rows are claimed with ``FOR UPDATE SKIP LOCKED`` and acted on only while pending, so a
    second delivery or a second worker finds nothing to do; a worker killed inside rolls the
    whole chunk back and the redelivered task decides it again. A few statements per chunk, not
    per link. Returns (activated ids, number of problems, number skipped).
    """
    with transaction.atomic():
        links = list(
            EmployerLink.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk__in=link_ids, status=LinkStatus.PENDING)
            .only("pk", "status", "loket_employer_id", "request_id", "processor_id")
        )
        if not links:
            return [], 0, len(link_ids)
        now = timezone.now()
        outcome: dict[tuple[str, str, str], list[EmployerLink]] = {}
        for link in links:
            if view_problem is not None:
                key = (LinkStatus.PROBLEM, view_problem[0], view_problem[1][:300])
            elif link.loket_employer_id not in visible:
                key = (LinkStatus.PROBLEM, "NIET_ZICHTBAAR", "")
            else:
                key = (LinkStatus.ACTIVE, "", "")
            outcome.setdefault(key, []).append(link)
        events = []
        for (status, code, detail), group in outcome.items():
            is_active = status == LinkStatus.ACTIVE
            EmployerLink.objects.filter(pk__in=[link.pk for link in group]).update(
                status=status,
                problem_code=code,
                problem_detail=detail,
                checked_at=now,
                link_requested_at=None,
                activated_at=now if is_active else None,
                **({"employer_notified_at": None} if is_active else {}),
            )
            events += [
                _event(
                    link=link,
                    from_status=link.status,
                    to_status=status,
                    actor_label=trigger,
                    note=code,
                )
                for link in group
            ]
        active = [
            link
            for (status, _c, _d), group in outcome.items()
            if status == LinkStatus.ACTIVE
            for link in group
        ]
        if active:
            events += _link_requests(active, trigger)
        EmployerEvent.objects.bulk_create(events, batch_size=1000)
    activated = [link.pk for link in active]
    return activated, len(links) - len(activated), len(link_ids) - len(links)


def _link_requests(active: list[EmployerLink], trigger: str) -> list[EmployerEvent]:
    """Mark linked: the requests of the activated links, and any other open request of the same
    processor naming one of their numbers (an employer may ask per loonheffingennummer)."""
    processor_ids = {link.processor_id for link in active}
    siblings = RequestTaxNumber.objects.filter(
        is_open=True,
        request__processor_id__in=processor_ids,
        number__in=LinkTaxNumber.objects.filter(link__in=[link.pk for link in active]).values(
            "number"
        ),
    ).values("request_id")
    request_ids = list(
        EmployerRequest.objects.filter(status=RequestStatus.OPEN)
        .filter(Q(pk__in=[link.request_id for link in active]) | Q(pk__in=siblings))
        .values_list("pk", flat=True)
    )
    if not request_ids:
        return []
    EmployerRequest.objects.filter(pk__in=request_ids).update(status=RequestStatus.LINKED)
    RequestTaxNumber.objects.filter(request_id__in=request_ids).update(is_open=False)
    return [
        _event(
            request=EmployerRequest(pk=request_id),
            from_status=RequestStatus.OPEN,
            to_status=RequestStatus.LINKED,
            actor_label=trigger,
        )
        for request_id in request_ids
    ]


def find_employer(view: LoketView, *, numbers: Sequence[str], kvk: str) -> str | None:
    """The Loket.nl employer id a request is about: by loonheffingennummer, then KvK."""
    wanted = set(numbers)
    for employer in view.employers:
        if wanted.intersection(employer.payroll_tax_numbers):
            return employer.id
    for employer in view.employers:
        if kvk and employer.kvk_number == kvk:
            return employer.id
    return None


def request_visibility_check(*, request_id: int, trigger: str) -> bool | None:
    """For a request the processor has not registered yet: can its web-service user see the
    employer at all? If not, record the problem (steps 2 and 3) and tell the processor.
    Returns whether it is visible; ``None`` when Loket.nl could not be asked (retry later)."""
    request = EmployerRequest.objects.select_related("processor").filter(pk=request_id).first()
    if request is None:
        return None
    if request.status != RequestStatus.OPEN:
        EmployerRequest.objects.filter(pk=request_id).update(visibility_due_at=None)
        return None
    try:
        view = loket_view(request.processor)
    except LoketError as error:
        if error.retryable:
            return None
        visible = False
    else:
        numbers = list(request.tax_numbers.values_list("number", flat=True))
        visible = find_employer(view, numbers=numbers, kvk=request.kvk_number) is not None
    code = "" if visible else "NIET_ZICHTBAAR"
    with transaction.atomic():
        held = (
            EmployerRequest.objects.select_for_update()
            .filter(pk=request_id, status=RequestStatus.OPEN)
            .values_list("problem_code", flat=True)
            .first()
        )
        if held is None:
            return None
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
                _enqueue_task("send_request_problem_mail", request_id)
    return visible


def link_recheck_request(
    *, link: EmployerLink, actor: AbstractBaseUser | None, actor_label: str
) -> None:
    """Try a link with a problem again (after the processor fixed Loket.nl)."""
    with transaction.atomic():
        locked = EmployerLink.objects.select_for_update().get(pk=link.pk)
        if locked.request_id is None or locked.status not in (
            LinkStatus.PROBLEM,
            LinkStatus.NEEDS_ATTENTION,
        ):
            raise ValidationError(_("Deze koppeling kan nu niet opnieuw worden gecontroleerd."))
        EmployerEvent.objects.create(
            link=locked,
            from_status=locked.status,
            to_status=LinkStatus.PENDING,
            actor=actor,
            actor_label=actor_label,
        )
        locked.status = LinkStatus.PENDING
        locked.link_requested_at = timezone.now()
        locked.processor_notified_at = None
        locked.save(update_fields=["status", "link_requested_at", "processor_notified_at"])
        # The processor asks again because it fixed something in Loket.nl: ask Loket.nl afresh.
        loket_view_forget(locked.processor)
        _enqueue_links([locked.pk])


# --- re-checks ---------------------------------------------------------------------------------


def links_recheck(*, processor: PayrollProcessor, trigger: str) -> int | None:
    """Daily: every active link must still be visible, else it needs attention (flagged, never
    deleted); a flagged link that is visible again is active again. Returns how many changed,
    or ``None`` when Loket.nl could not be asked (then nothing is marked)."""
    try:
        view = loket_view(processor, refresh=True)
    except LoketError:
        return None  # down, or the processor's login fails: the processor re-check flags that
    problem = _view_problem(view)
    visible = view.employer_ids
    changed = 0
    with transaction.atomic():
        links = list(
            EmployerLink.objects.select_for_update(skip_locked=True)
            .filter(
                processor=processor,
                status__in=(LinkStatus.ACTIVE, LinkStatus.NEEDS_ATTENTION),
            )
            .only("pk", "status", "loket_employer_id")
        )
        events = []
        flips = {LinkStatus.ACTIVE: [], LinkStatus.NEEDS_ATTENTION: []}
        for link in links:
            ok = problem is None and link.loket_employer_id in visible
            target = LinkStatus.ACTIVE if ok else LinkStatus.NEEDS_ATTENTION
            if link.status != target:
                flips[target].append(link.pk)
                events.append(
                    _event(
                        link=link,
                        from_status=link.status,
                        to_status=target,
                        actor_label=trigger,
                        note="" if ok else (problem or ("NIET_ZICHTBAAR", ""))[0],
                    )
                )
        code, detail = problem or ("NIET_ZICHTBAAR", "")
        for target, ids in flips.items():
            if ids:
                active = target == LinkStatus.ACTIVE
                EmployerLink.objects.filter(pk__in=ids).update(
                    status=target,
                    problem_code="" if active else code,
                    problem_detail="" if active else detail[:300],
                    checked_at=timezone.now(),
                )
                changed += len(ids)
        EmployerEvent.objects.bulk_create(events, batch_size=2000)
    return changed


__all__ = [
    "DuplicateRequest",
    "LinkRunResult",
    "ProcessorNotConfirmed",
    "RegisterResult",
    "link_recheck_request",
    "links_activate",
    "links_recheck",
    "links_register",
    "problem_text",
    "request_submit",
]
