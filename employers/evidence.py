"""The evidence per employer (issue 12, point 6): everything that shows the employer consented to
a.s.r. reading its payroll through one processor, read from rows that are never rewritten.

:func:`evidence` gives, for one :class:`~employers.models.EmployerLink` (the employer at one
processor) or one :class:`~employers.models.EmployerRequest`, a JSON-able dict: the employer, the
processor (never a credential), the request(s) and how each was verified, the processor's
registration, every event in time order (every Loket.nl check among them), the activation and
the end. The admin shows it as a page and offers it as a JSON download.

Labels (statuses, verification methods) are in the active language; the stored notes and
``actor_label`` texts are as recorded (Dutch: a.s.r.'s own record). A handful of queries,
whatever the length of the history.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext

from employers.models import (
    EmployerEvent,
    EmployerLink,
    EmployerRequest,
    LinkStatus,
    LinkTaxNumber,
    RequestStatus,
    RequestTaxNumber,
    VerificationMethod,
)

SCHEMA = "salariskoppeling-evidence/1"
"""The version of the document's shape: a consumer checks it before reading the rest."""

# A link event from one of these to one of those is a Loket.nl check: the linking task's decision
# (pending → active or problem) or the daily re-check (active/needs attention → either).
_CHECKED_FROM = frozenset({LinkStatus.PENDING, LinkStatus.ACTIVE, LinkStatus.NEEDS_ATTENTION})
_CHECKED_TO = frozenset({LinkStatus.ACTIVE, LinkStatus.PROBLEM, LinkStatus.NEEDS_ATTENTION})


def _iso(moment: dt.datetime | None) -> str | None:
    """ISO 8601 with the offset, in the site's time zone: "2026-12-01T03:15:00+01:00"."""
    return timezone.localtime(moment).isoformat(timespec="seconds") if moment else None


def _username(user: Any) -> str | None:
    return user.get_username() if user is not None else None


def _label(choices: type, value: str) -> str:
    return str(dict(choices.choices).get(value, value)) if value else ""


def _verification(employer_request: EmployerRequest, events: list[EmployerEvent]) -> dict:
    method = employer_request.verification_method
    opened = next(
        (
            e
            for e in events
            if e.request_id == employer_request.pk and e.to_status == RequestStatus.OPEN
        ),
        None,
    )
    result: dict[str, Any] = {
        "verified": employer_request.verified_at is not None,
        "method": method or None,
        "method_label": _label(VerificationMethod, method),
        "at": _iso(employer_request.verified_at),
        "verified_email": employer_request.verified_email or None,
        "before_register": employer_request.before_register,
    }
    if method == VerificationMethod.REGISTER:
        result["register"] = {
            "policy_number": employer_request.register_policy,
            "contact_email_on_file": employer_request.register_email,
        }
    elif method == VerificationMethod.REVIEW:
        result["reviewer"] = _username(employer_request.verified_by) or (
            opened.actor_label if opened else None
        )
    if opened is not None:
        result["recorded_by"] = _username(opened.actor) or opened.actor_label
        result["note"] = opened.note
    return result


def _request_part(employer_request: EmployerRequest, role: str, events: list) -> dict:
    return {
        "id": employer_request.pk,
        "role": role,
        "company_name": employer_request.company_name,
        "kvk_number": employer_request.kvk_number,
        "tax_numbers": [n.number for n in employer_request.tax_numbers.all()],
        "policy_number": employer_request.policy_number,
        "contact": {
            "name": employer_request.contact_name,
            "email": employer_request.contact_email,
            "phone": employer_request.contact_phone,
        },
        "language": employer_request.language,
        "consent_at": _iso(employer_request.consent_at),
        "created_at": _iso(employer_request.created_at),
        "status": employer_request.status,
        "status_label": _label(RequestStatus, employer_request.status),
        "verification": _verification(employer_request, events),
        "decision": (
            {
                "at": _iso(employer_request.decided_at),
                "reason": employer_request.decision_reason,
            }
            if employer_request.decided_at or employer_request.decision_reason
            else None
        ),
    }


def _first(events: list[EmployerEvent], link: EmployerLink, **match: str) -> EmployerEvent | None:
    for row in events:
        if row.link_id == link.pk and all(getattr(row, k) == v for k, v in match.items()):
            return row
    return None


def _link_part(link: EmployerLink, events: list[EmployerEvent]) -> dict:
    registered = _first(events, link, from_status="")
    ended = _first(events, link, to_status=LinkStatus.ENDED)
    return {
        "id": link.pk,
        "loket_employer_id": link.loket_employer_id,
        "employer_name": link.employer_name,
        "kvk_number": link.kvk_number,
        "tax_numbers": [n.number for n in link.tax_numbers.all()],
        "request_id": link.request_id,
        "status": link.status,
        "status_label": _label(LinkStatus, link.status),
        "problem_code": link.problem_code or None,
        "problem_detail": link.problem_detail or None,
        "registration": {
            "at": _iso(link.registered_at),
            "by": _username(link.registered_by) or (registered.actor_label if registered else None),
        },
        "last_checked_at": _iso(link.checked_at),
        "activation": {"at": _iso(link.activated_at)} if link.activated_at else None,
        "end": (
            {
                "at": _iso(link.ended_at),
                "reason": link.end_reason,
                "by": _username(link.ended_by) or (ended.actor_label if ended else None),
            }
            if link.ended_at
            else None
        ),
    }


def _event_part(row: EmployerEvent) -> dict:
    on_link = row.link_id is not None
    choices = LinkStatus if on_link else RequestStatus
    check = (
        row.from_status in _CHECKED_FROM and row.to_status in _CHECKED_TO
        if on_link
        else row.from_status == row.to_status == RequestStatus.OPEN
    )
    return {
        "at": _iso(row.at),
        "subject": "link" if on_link else "request",
        "subject_id": row.link_id if on_link else row.request_id,
        "kind": "loket_check" if check else "change",
        "from_status": row.from_status or None,
        "to_status": row.to_status,
        "change": str(row),
        "from_label": _label(choices, row.from_status)
        or (gettext("Aangemeld") if on_link else gettext("Aangevraagd")),
        "to_label": _label(choices, row.to_status),
        "unchanged": row.from_status == row.to_status,
        "actor": _username(row.actor) or row.actor_label,
        "actor_username": _username(row.actor),
        "actor_label": row.actor_label,
        "note": row.note,
    }


def _numbers() -> Prefetch:
    return Prefetch("tax_numbers", queryset=RequestTaxNumber.objects.order_by("number"))


def evidence(subject: EmployerLink | EmployerRequest) -> dict:
    """The evidence for one link (the employer at one processor) or one request, JSON-able.

    For a link: the request that led to it and any other verified request of the same processor
    it linked (naming one of its numbers), with how each was verified; for a request: the request
    and the links made from it. Events of all of them, in time order."""
    links_qs = EmployerLink.objects.select_related(
        "processor", "registered_by", "ended_by"
    ).prefetch_related(Prefetch("tax_numbers", queryset=LinkTaxNumber.objects.order_by("number")))
    requests_qs = EmployerRequest.objects.select_related("verified_by", "processor")
    if isinstance(subject, EmployerLink):
        links = [links_qs.get(pk=subject.pk)]
        link = links[0]
        processor = link.processor
        numbers = [n.number for n in link.tax_numbers.all()]
        siblings = Q(
            processor_id=link.processor_id,
            verified_at__isnull=False,
            status__in=(RequestStatus.LINKED, RequestStatus.ENDED),
            tax_numbers__number__in=numbers,
        )
        requests = list(
            requests_qs.filter(Q(pk=link.request_id) | siblings)
            .distinct()
            .order_by("created_at", "pk")
            .prefetch_related(_numbers())
        )
        kind = "link"
    else:
        requests = list(requests_qs.filter(pk=subject.pk).prefetch_related(_numbers()))
        links = list(links_qs.filter(request_id=subject.pk).order_by("registered_at", "pk"))
        processor = requests[0].processor
        kind = "request"
    events = list(
        EmployerEvent.objects.filter(
            Q(link__in=[x.pk for x in links]) | Q(request__in=[r.pk for r in requests])
        )
        .select_related("actor")
        .order_by("at", "pk")
    )
    primary = {link.request_id for link in links} if kind == "link" else {subject.pk}
    first_link = links[0] if links else None
    first_request = next((r for r in requests if r.pk in primary), None)
    return {
        "schema": SCHEMA,
        "generated_at": _iso(timezone.now()),
        "subject": {"type": kind, "id": subject.pk},
        "employer": {
            "name": first_link.employer_name if first_link else first_request.company_name,
            "kvk_number": (first_link.kvk_number if first_link else "")
            or (first_request.kvk_number if first_request else ""),
            "loket_employer_id": first_link.loket_employer_id if first_link else None,
            "tax_numbers": sorted(
                {n.number for x in links for n in x.tax_numbers.all()}
                or {n.number for r in requests for n in r.tax_numbers.all()}
            ),
        },
        "processor": {
            "id": processor.pk,
            "company_name": processor.company_name,
            "omgevingscode": processor.omgevingscode,
        },
        "requests": [
            _request_part(r, "primary" if r.pk in primary else "also_linked", events)
            for r in requests
        ],
        "links": [_link_part(x, events) for x in links],
        "events": [_event_part(row) for row in events],
    }
