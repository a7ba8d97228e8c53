"""The processor registers employers it sees in Loket.nl: one, or 10,000 at once.

A registration whose employer has an open request becomes pending at once (the linking task
follows); the others wait for the employer's request.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from employers.loket_snapshot import LoketSnapshot, snapshot
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
from employers.services.events import ProcessorNotConfirmed, event
from employers.services.linking import enqueue_links
from locket_client.types import Employer
from onboarding.models import CONFIRMED_STATES, PayrollProcessor

QUERY_BATCH = 1000
"""Numbers or KvK numbers per query when matching requests."""


@dataclass(frozen=True, slots=True)
class RegisterResult:
    created: int
    already: int
    unknown: int
    pending: int
    registered_at: dt.datetime | None = None
    """The ``registered_at`` of every link this call created: what became of them is read
    with :func:`employers.selectors.registration_outcome` when the page shows the result."""


def links_register(
    *,
    processor: PayrollProcessor,
    employer_ids: Iterable[str],
    by: AbstractBaseUser | None,
    current: LoketSnapshot | None = None,
) -> RegisterResult:
    """Register employers the processor's web-service user sees (``current``, or a fresh look).

    Employers already registered are skipped (safe to repeat); ids Loket.nl does not show are
    refused (counted as ``unknown``). A registration whose employer has an open request becomes
    pending at once; the others wait for the request.
    """
    if processor.status not in CONFIRMED_STATES:
        raise ProcessorNotConfirmed(_("Uw aanmelding is nog niet bevestigd door a.s.r."))
    wanted = list(dict.fromkeys(employer_ids))
    visible = (current or snapshot(processor)).by_id()
    known = [visible[i] for i in wanted if i in visible]
    with transaction.atomic():
        # An ended link is history: its employer can be registered again (a new link, which
        # needs a new verified request).
        existing = set(
            EmployerLink.objects.filter(
                processor=processor, loket_employer_id__in=[e.id for e in known]
            )
            .exclude(status=LinkStatus.ENDED)
            .values_list("loket_employer_id", flat=True)
        )
        new = [e for e in known if e.id not in existing]
        # Matched before the links exist, so that each is created in its final state: updating
        # 10,000 links afterwards (bulk_update's CASE per row) cost seconds of Python alone.
        request_by_employer = _open_requests_for(processor, new, known=visible.values())
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
                    registered_at=now,
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
                ).exclude(status=LinkStatus.ENDED)
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
                event(
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
                    event(
                        link=link,
                        from_status=LinkStatus.AWAITING_REQUEST,
                        to_status=LinkStatus.PENDING,
                        actor_label="aanvraag en aanmelding compleet",
                    )
                )
        EmployerEvent.objects.bulk_create(events, batch_size=2000)
        enqueue_links([link.pk for link in pending])
    return RegisterResult(
        created=len(links),
        already=len(known) - len(new),
        unknown=len(wanted) - len(known),
        pending=len(pending),
        registered_at=now if links else None,
    )


def _open_requests_for(
    processor: PayrollProcessor, employers: list[Employer], *, known: Iterable[Employer]
) -> dict[str, EmployerRequest]:
    """For each of ``employers`` (by Loket.nl id), the processor's open request that matches it.

    The rule is the request's (:class:`~employers.matching.MatchIndex`): a request belongs to the
    employers that have one of its loonheffingennummers; only a request none of whose numbers
    any employer the processor sees (``known``: its whole Loket.nl snapshot) has, belongs to the
    employers with its KvK number. So a request naming employer A's number is never given to
    A's sibling B just because they share a KvK number. The earliest request wins an employer.
    A few queries per 1,000 numbers or KvK numbers, not per employer.
    """
    wanted = {e.id for e in employers}
    numbers = sorted({n for e in employers for n in e.payroll_tax_numbers})
    kvks = sorted({e.kvk_number for e in employers if e.kvk_number})
    open_requests = EmployerRequest.objects.filter(processor=processor, status=RequestStatus.OPEN)
    candidates: set[int] = set()
    for start in range(0, len(numbers), QUERY_BATCH):
        candidates.update(
            RequestTaxNumber.objects.filter(
                number__in=numbers[start : start + QUERY_BATCH],
                is_open=True,
                request__in=open_requests,
            ).values_list("request_id", flat=True)
        )
    for start in range(0, len(kvks), QUERY_BATCH):
        candidates.update(
            open_requests.filter(kvk_number__in=kvks[start : start + QUERY_BATCH]).values_list(
                "pk", flat=True
            )
        )
    ids = sorted(candidates)
    requests: dict[int, EmployerRequest] = {}
    numbers_of: dict[int, list[str]] = {}
    for start in range(0, len(ids), QUERY_BATCH):
        batch = ids[start : start + QUERY_BATCH]
        requests.update((r.pk, r) for r in EmployerRequest.objects.filter(pk__in=batch))
        for request_id, number in RequestTaxNumber.objects.filter(request_id__in=batch).values_list(
            "request_id", "number"
        ):
            numbers_of.setdefault(request_id, []).append(number)
    index: MatchIndex[str] = MatchIndex()
    for employer in known:
        index.add(employer.id, numbers=employer.payroll_tax_numbers, kvk=employer.kvk_number)
    result: dict[str, EmployerRequest] = {}
    for pk in ids:  # the earliest request first
        employer_request = requests[pk]
        for employer_id in index.all(
            numbers=numbers_of.get(pk, ()), kvk=employer_request.kvk_number
        ):
            if employer_id in wanted:
                result.setdefault(employer_id, employer_request)
    return result
