"""Read-only views of a processor's employers (services write, selectors read).

:func:`werkgevers_overview` is the Werkgevers page's model: one row per employer the processor
deals with, combining three sources that only meet here:

- the employers its web-service user sees in Loket.nl (a
  :class:`~employers.loket_snapshot.LoketSnapshot`, or ``None`` when Loket.nl cannot be reached),
- the employer requests addressed to it (not withdrawn),
- its registrations and links (:class:`~employers.models.EmployerLink`).

Requests are matched to Loket.nl employers by the rule the services use
(:class:`~employers.matching.MatchIndex`: by loonheffingennummer, then by KvK number). A
processor may have 10,000 employers, so the overview costs a constant
number of queries (four: requests, their tax numbers, links, theirs) and linear time; filtering
and searching happen in Python on the combined rows, because a third of the data is not in the
database at all.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field, fields

from django.db import connection
from django.db.models import Count, F, Q, TextChoices
from django.utils.translation import gettext_lazy as _

from employers.loket_snapshot import LoketSnapshot
from employers.lookups import AnyOf
from employers.matching import MatchIndex
from employers.models import (
    EmployerLink,
    EmployerRequest,
    LinkStatus,
    LinkTaxNumber,
    RequestStatus,
    RequestTaxNumber,
)
from locket_client.problems import ProblemCode, explain, manual_step
from locket_client.types import Employer
from onboarding.models import PayrollProcessor


class RowState(TextChoices):
    """What the processor sees for one employer, and what it can do about it."""

    REQUESTED = "requested", _("Aangevraagd, nog niet aangemeld")
    REGISTERED = "registered", _("Aangemeld, wacht op aanvraag")
    PENDING = "pending", _("Wordt gekoppeld")
    LINKED = "linked", _("Gekoppeld")
    PROBLEM = "problem", _("Probleem")
    NEEDS_ATTENTION = "needs_attention", _("Aandacht nodig")
    ENDED = "ended", _("Beëindigd")
    AVAILABLE = "available", _("Zichtbaar in Loket.nl, geen aanvraag")


REGISTRABLE_STATES = frozenset({RowState.REQUESTED, RowState.AVAILABLE, RowState.ENDED})
"""States in which the employer can be registered (it must also be visible in Loket.nl); an
ended link's employer can be registered again (the new link waits for a new request)."""

_STATE_BY_LINK_STATUS = {
    LinkStatus.AWAITING_REQUEST: RowState.REGISTERED,
    LinkStatus.PENDING: RowState.PENDING,
    LinkStatus.ACTIVE: RowState.LINKED,
    LinkStatus.PROBLEM: RowState.PROBLEM,
    LinkStatus.NEEDS_ATTENTION: RowState.NEEDS_ATTENTION,
    LinkStatus.ENDED: RowState.ENDED,
}
_RECHECKABLE = frozenset({LinkStatus.PROBLEM, LinkStatus.NEEDS_ATTENTION})


@dataclass(frozen=True, slots=True)
class RequestSummary:
    """What the overview needs of an employer request to match, sort, search and give its state
    (cheaper than 10,000 model instances). The contact and the date are read only for the rows
    shown (:func:`with_contacts`): reading 10,000 dates alone costs a tenth of a second."""

    pk: int
    company_name: str
    kvk_number: str
    status: str
    problem_code: str


@dataclass(frozen=True, slots=True)
class RequestContact:
    """Who asked for the link, and when."""

    name: str
    email: str
    phone: str
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class LinkSummary:
    """What the page shows of a registration/link."""

    pk: int
    loket_employer_id: str
    employer_name: str
    kvk_number: str
    request_id: int | None
    status: str
    problem_code: str
    problem_detail: str


# values_list() order = the summaries' field order
_REQUEST_FIELDS = tuple(f.name if f.name != "pk" else "id" for f in fields(RequestSummary))
_LINK_FIELDS = tuple(f.name if f.name != "pk" else "id" for f in fields(LinkSummary))


@dataclass(slots=True)
class Row:
    """One employer on the Werkgevers page.

    ``employer`` is ``None`` when the web-service user does not see it (or Loket.nl could not be
    asked); ``employer_request`` and ``link`` are ``None`` when there is none; ``contact`` is the
    request's, once :func:`with_contacts` has read it. ``step`` and ``message``
    are set for a problem: the manual step that fixes it and what is wrong.
    """

    employer: Employer | None
    employer_request: RequestSummary | None = None
    link: LinkSummary | None = None
    state: str = ""
    step: str = ""
    message: str = ""
    link_tax_numbers: tuple[str, ...] = ()
    request_tax_numbers: tuple[str, ...] = ()
    contact: RequestContact | None = None  # set by with_contacts(), for the rows shown
    _haystack: str = field(default="", repr=False)

    @property
    def employer_id(self) -> str | None:
        return self.employer.id if self.employer is not None else None

    @property
    def name(self) -> str:
        if self.employer is not None:
            return self.employer.name
        if self.link is not None:
            return self.link.employer_name
        return self.employer_request.company_name if self.employer_request is not None else ""

    @property
    def kvk_number(self) -> str:
        if self.employer is not None and self.employer.kvk_number:
            return self.employer.kvk_number
        if self.link is not None and self.link.kvk_number:
            return self.link.kvk_number
        return self.employer_request.kvk_number if self.employer_request is not None else ""

    @property
    def tax_numbers(self) -> tuple[str, ...]:
        """The loonheffingennummers to show: Loket.nl's, else the link's, else the request's."""
        if self.employer is not None:
            return self.employer.payroll_tax_numbers
        return self.link_tax_numbers or self.request_tax_numbers

    @property
    def can_register(self) -> bool:
        return self.employer is not None and self.state in REGISTRABLE_STATES

    @property
    def can_recheck(self) -> bool:
        link = self.link
        return link is not None and link.request_id is not None and link.status in _RECHECKABLE

    @property
    def state_label(self) -> str:
        return RowState(self.state).label

    def matches(self, term: str) -> bool:
        """Whether a (casefolded) search term occurs in the name, KvK or a loonheffingennummer."""
        if not self._haystack:
            numbers = [*self.tax_numbers, *self.link_tax_numbers, *self.request_tax_numbers]
            self._haystack = "\x1f".join([self.name, self.kvk_number, *numbers]).casefold()
        return term in self._haystack


def _numbers_by_owner(rows: Iterable[tuple[int, str]]) -> dict[int, tuple[str, ...]]:
    """Tax numbers grouped by request or link id, each group in number order."""
    grouped: dict[int, list[str]] = {}
    for owner_id, number in rows:
        grouped.setdefault(owner_id, []).append(number)
    return {owner_id: tuple(sorted(numbers)) for owner_id, numbers in grouped.items()}


def _problem(code: str, detail: str = "") -> tuple[str, str]:
    """The manual step and explanation of a problem; a problem without a stored code (from
    before codes were stored) is the employer not being visible."""
    code = code or ProblemCode.NIET_ZICHTBAAR
    return manual_step(code), explain(code, detail)


def _set_state(row: Row, *, loket_known: bool) -> None:
    link, asked = row.link, row.employer_request
    if link is not None and link.status == LinkStatus.ENDED and asked is not None:
        link = None  # a new verified request after the end: it can be registered again
    if link is not None:
        row.state = _STATE_BY_LINK_STATUS.get(link.status, RowState.PROBLEM)
        if row.state in (RowState.PROBLEM, RowState.NEEDS_ATTENTION):
            row.step, row.message = _problem(link.problem_code, link.problem_detail)
    elif asked is not None:
        if row.employer is not None:
            row.state = RowState.REQUESTED
        elif loket_known or asked.problem_code:
            # The employer asked, but the web-service user cannot see it (manual steps 2 and 3).
            # Without Loket.nl's answer, the worker's last finding on the request stands.
            row.state = RowState.PROBLEM
            row.step, row.message = _problem(asked.problem_code)
        else:
            row.state = RowState.REQUESTED  # visibility unknown while Loket.nl is down
    else:
        row.state = RowState.AVAILABLE


@dataclass(slots=True)
class _Index:
    """Where a request may belong: rows by Loket.nl employer and by link, and the matching index
    of every row with an employer: first those Loket.nl shows, then the links it does not show
    (now), so that a visible employer wins a tie."""

    by_employer: dict[str, Row] = field(default_factory=dict)
    by_link: dict[int, Row] = field(default_factory=dict)
    matches: MatchIndex[Row] = field(default_factory=MatchIndex)

    def find(self, numbers: tuple[str, ...], kvk: str) -> Row | None:
        return self.matches.first(numbers=numbers, kvk=kvk)


def _numbers_of(
    model: type[RequestTaxNumber] | type[LinkTaxNumber],
    owner: str,
    owner_ids: list[int],
    *,
    of_processor: Q,
) -> dict[int, tuple[str, ...]]:
    """The tax numbers of the requests or links ``owner_ids`` (all of the processor's).

    On PostgreSQL by the ids in hand, not by a join with the owners' table: PostgreSQL plans a
    join from its table statistics, and statistics taken while the tables were (nearly) empty,
    as after a first bulk registration of 10,000 employers and until autovacuum analyses again,
    lead it to a nested loop that compares every number with every link: 10,000 x 10,000 rows,
    15 s for the page. Elsewhere (SQLite keeps no statistics unless asked to) the join, whose
    SQL does not grow with the number of ids.
    """
    if not owner_ids:
        return {}
    rows = model.objects.order_by()  # sorted per owner in Python: an ORDER BY would tempt the
    # planner into walking the number index and testing each row against the id array
    if connection.vendor == "postgresql":
        rows = rows.filter(AnyOf(F(f"{owner}_id"), owner_ids))
    else:
        rows = rows.filter(of_processor)
    return _numbers_by_owner(rows.values_list(f"{owner}_id", "number"))


SHOWN_REQUEST_STATES = (RequestStatus.OPEN, RequestStatus.LINKED)
"""The requests the processor sees: verified ones, open or linked. An unverified request (or one
in a.s.r.'s review) is invisible to it; so are those that were withdrawn, rejected, declined or
ended (their employer shows as any other, and can be registered again)."""


def _requests(processor: PayrollProcessor) -> list[tuple[RequestSummary, tuple[str, ...]]]:
    summaries = [
        RequestSummary(*values)
        for values in EmployerRequest.objects.filter(
            processor=processor, status__in=SHOWN_REQUEST_STATES
        )
        .order_by("created_at", "id")
        .values_list(*_REQUEST_FIELDS)
    ]
    numbers = _numbers_of(
        RequestTaxNumber,
        "request",
        [summary.pk for summary in summaries],
        of_processor=Q(request__processor=processor) & Q(request__status__in=SHOWN_REQUEST_STATES),
    )
    return [(summary, numbers.get(summary.pk, ())) for summary in summaries]


def _links(processor: PayrollProcessor) -> list[tuple[LinkSummary, tuple[str, ...]]]:
    links = [
        LinkSummary(*values)
        for values in EmployerLink.objects.filter(processor=processor)
        .order_by()
        .values_list(*_LINK_FIELDS)
    ]
    numbers = _numbers_of(
        LinkTaxNumber,
        "link",
        [link.pk for link in links],
        of_processor=Q(link__processor=processor),
    )
    return [(link, numbers.get(link.pk, ())) for link in links]


def _combine(current: LoketSnapshot | None, processor: PayrollProcessor) -> list[Row]:
    """One row per visible employer, per link Loket.nl does not show, per request that fits
    neither; a second request for an employer that already has one gets a row of its own."""
    links = _links(processor)
    # One row per employer: its link that has not ended, else its latest ended one (an ended
    # employer can be registered again; the links before are history).
    links.sort(key=lambda item: (item[0].status != LinkStatus.ENDED, item[0].pk))
    link_by_employer = {link.loket_employer_id: link for link, _numbers in links}
    links = [item for item in links if link_by_employer[item[0].loket_employer_id] is item[0]]
    rows: list[Row] = []
    index = _Index()
    for employer in current.employers if current is not None else ():
        row = Row(employer=employer, link=link_by_employer.get(employer.id))
        rows.append(row)
        index.by_employer[employer.id] = row
        index.matches.add(row, numbers=employer.payroll_tax_numbers, kvk=employer.kvk_number)

    for link, numbers in links:
        row = index.by_employer.get(link.loket_employer_id)
        if row is None:  # no longer visible in Loket.nl, or Loket.nl is down
            row = Row(employer=None, link=link)
            rows.append(row)
            index.matches.add(row, numbers=numbers, kvk=link.kvk_number)
        row.link_tax_numbers = numbers
        index.by_link[link.pk] = row

    link_by_request = {link.request_id: link for link, _numbers in links if link.request_id}
    for summary, numbers in _requests(processor):
        if summary.pk in link_by_request:
            row = index.by_link[link_by_request[summary.pk].pk]
        else:
            row = index.find(numbers, summary.kvk_number)
        if row is None:
            rows.append(Row(employer=None, employer_request=summary, request_tax_numbers=numbers))
        elif row.employer_request is None and (
            row.link is None
            or row.link.status == LinkStatus.ENDED
            or row.link.request_id in (None, summary.pk)
        ):
            row.employer_request, row.request_tax_numbers = summary, numbers
        else:
            rows.append(
                Row(
                    employer=row.employer,
                    link=row.link,
                    employer_request=summary,
                    link_tax_numbers=row.link_tax_numbers,
                    request_tax_numbers=numbers,
                )
            )
    return rows


def werkgevers_overview(
    *,
    processor: PayrollProcessor,
    current: LoketSnapshot | None,
    state_filter: str | None = None,
    query: str = "",
) -> list[Row]:
    """Every employer of ``processor``, sorted by name, optionally filtered by state and by a
    search term (name, KvK or loonheffingennummer, case-insensitive).

    ``current`` is the processor's Loket.nl snapshot, or ``None`` when Loket.nl is unreachable:
    then the rows come from the database alone and nothing can be registered. Four queries,
    whatever the number of employers; time linear in it (plus the sort by name).
    """
    loket_known = current is not None
    term = query.strip().casefold()
    result = []
    for row in _combine(current, processor):
        _set_state(row, loket_known=loket_known)
        if state_filter and row.state != state_filter:
            continue
        if term and not row.matches(term):
            continue
        result.append(row)
    result.sort(key=lambda r: (r.name.casefold(), r.kvk_number))
    return result


def with_contacts(rows: list[Row]) -> list[Row]:
    """Read the contact and date of the requests of ``rows`` (a page of them): one query."""
    by_request = {row.employer_request.pk: row for row in rows if row.employer_request is not None}
    if by_request:
        for pk, *contact in (
            EmployerRequest.objects.filter(pk__in=list(by_request))
            .order_by()
            .values_list(
                "id",
                "contact_name",
                "verified_email",
                "contact_email",
                "contact_phone",
                "created_at",
            )
        ):
            name, verified, typed, phone, created_at = contact
            # The verified contact (the register's address, or the one a.s.r. approved).
            by_request[pk].contact = RequestContact(name, verified or typed, phone, created_at)
    return rows


def registrable_employer_ids(rows: Iterable[Row]) -> list[str]:
    """The Loket.nl ids of the rows that can be registered, each once, in row order."""
    return list(
        dict.fromkeys(row.employer_id for row in rows if row.can_register and row.employer_id)
    )


def registration_outcome(processor: PayrollProcessor, registered_at: dt.datetime) -> dict[str, int]:
    """What became of the links one registration created (``registered_at``): count per status,
    read when the page shows the result, so that it says what the table says."""
    return dict(
        EmployerLink.objects.filter(processor=processor, registered_at=registered_at)
        .order_by()
        .values("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )


__all__ = [
    "REGISTRABLE_STATES",
    "SHOWN_REQUEST_STATES",
    "BulkRegistration",
    "Row",
    "RowState",
    "SkipReason",
    "bulk_registration",
    "registrable_employer_ids",
    "registration_outcome",
    "werkgevers_overview",
    "with_contacts",
]


# --- "Alles aanmelden": what it registers and what it skips (issue 12) --------------------------


class SkipReason(TextChoices):
    """Why "register everything that matches" leaves an employer out (it can still be registered
    on its own: a registration without a verified request only waits for one)."""

    NOT_VERIFIED = (
        "not_verified",
        _("de aanvraag is nog niet bevestigd door de werkgever of a.s.r."),
    )
    DECLINED = "declined", _("u heeft de aanvraag geweigerd")
    ENDED = "ended", _("de koppeling is beëindigd of de aanvraag is ingetrokken")


_SKIP_BY_REQUEST_STATUS = {
    RequestStatus.DECLINED: SkipReason.DECLINED,
    RequestStatus.WITHDRAWN: SkipReason.ENDED,
    RequestStatus.ENDED: SkipReason.ENDED,
}


@dataclass(frozen=True, slots=True)
class BulkRegistration:
    """The Loket.nl ids "Alles aanmelden" registers, in row order, and how many it skips, per
    :class:`SkipReason` value."""

    employer_ids: list[str]
    skipped: dict[str, int]


def bulk_registration(
    *, processor: PayrollProcessor, rows: Iterable[Row], current: LoketSnapshot
) -> BulkRegistration:
    """What "Alles aanmelden" does with ``rows`` (the filtered overview): it registers the
    employers with a verified request and those without any request (their link waits for one),
    and skips, saying why, the employers whose link ended and those whose only verified requests
    to this processor were declined by it, withdrawn or ended. Those requests are not shown on
    the page; a request never verified (unverified, in review, rejected by a.s.r.) counts as no
    request at all: the processor never learns of it and it changes nothing here. The skipped
    ones are matched to the employers Loket.nl shows (``current``) by the
    request's rule (:class:`~employers.matching.MatchIndex`). Two queries."""
    candidates = [row for row in rows if row.can_register and row.employer_id]
    reason_of: dict[str, str] = {
        row.employer_id: SkipReason.ENDED
        for row in candidates
        if row.state == RowState.ENDED and row.employer_id
    }
    without_request = {
        row.employer_id for row in candidates if row.state == RowState.AVAILABLE and row.employer_id
    }
    if without_request:
        hidden = list(
            EmployerRequest.objects.filter(processor=processor, verified_at__isnull=False)
            .exclude(status__in=SHOWN_REQUEST_STATES)
            .order_by("created_at", "id")
            .values_list("id", "kvk_number", "status")
        )
        numbers = _numbers_by_owner(
            RequestTaxNumber.objects.filter(request_id__in=[pk for pk, _k, _s in hidden])
            .order_by()
            .values_list("request_id", "number")
        )
        index: MatchIndex[str] = MatchIndex()
        for employer in current.employers:
            index.add(employer.id, numbers=employer.payroll_tax_numbers, kvk=employer.kvk_number)
        for pk, kvk, status in hidden:  # the latest request decides
            for employer_id in index.all(numbers=numbers.get(pk, ()), kvk=kvk):
                if employer_id in without_request:
                    reason_of[employer_id] = _SKIP_BY_REQUEST_STATUS[status]
    employer_ids = [
        employer_id
        for employer_id in registrable_employer_ids(candidates)
        if employer_id not in reason_of
    ]
    skipped: dict[str, int] = {}
    for reason in reason_of.values():
        skipped[reason] = skipped.get(reason, 0) + 1
    return BulkRegistration(employer_ids=employer_ids, skipped=skipped)


# --- the processor's view of one request (issue 12) ---------------------------------------------


@dataclass(frozen=True, slots=True)
class LinkDetail:
    """One of the processor's registrations that the request belongs to."""

    pk: int
    employer_name: str
    kvk_number: str
    numbers: tuple[str, ...]
    status: str
    status_label: str
    step: str
    message: str
    can_recheck: bool


@dataclass(frozen=True, slots=True)
class RequestDetail:
    """Who asked the processor for the link, when, verified how, and where the link stands."""

    request: EmployerRequest
    numbers: tuple[str, ...]
    links: tuple[LinkDetail, ...]

    @property
    def verified_contact(self) -> str:
        return self.request.verified_email or self.request.contact_email

    @property
    def can_decline(self) -> bool:
        return self.request.status == RequestStatus.OPEN


def request_detail(*, processor: PayrollProcessor, request_id: int) -> RequestDetail | None:
    """The processor's own verified request ``request_id`` with its links, or ``None`` (not the
    processor's, or never verified: unverified requests are invisible to the processor)."""
    employer_request = (
        EmployerRequest.objects.filter(
            pk=request_id, processor=processor, verified_at__isnull=False
        )
        .select_related("processor")
        .first()
    )
    if employer_request is None:
        return None
    numbers = tuple(
        sorted(employer_request.tax_numbers.order_by().values_list("number", flat=True))
    )
    links = []
    for link in (
        EmployerLink.objects.filter(processor=processor, request=employer_request)
        .prefetch_related("tax_numbers")
        .order_by("registered_at", "pk")
    ):
        problem = link.status in (LinkStatus.PROBLEM, LinkStatus.NEEDS_ATTENTION)
        step, message = _problem(link.problem_code, link.problem_detail) if problem else ("", "")
        links.append(
            LinkDetail(
                pk=link.pk,
                employer_name=link.employer_name,
                kvk_number=link.kvk_number,
                numbers=tuple(sorted(n.number for n in link.tax_numbers.all())),
                status=link.status,
                status_label=link.get_status_display(),
                step=step,
                message=message,
                can_recheck=problem,
            )
        )
    return RequestDetail(request=employer_request, numbers=numbers, links=tuple(links))


# The evidence per employer (issue 12) lives in its own module; selectors is where callers look.
from employers.evidence import SCHEMA as EVIDENCE_SCHEMA  # noqa: E402, F401
from employers.evidence import evidence  # noqa: E402, F401
