"""Step 2 of a delivery: Loket.nl's answer for one period, reduced to what is stored, and its
keyed hash (an answer equal to the stored version's adds nothing)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.conf import settings
from django.views.decorators.debug import sensitive_variables

from deliveries import periods
from deliveries.bsn import bsn_hash
from locket_client.client import LoketClient
from locket_client.errors import NietGeautoriseerd, UnexpectedAnswer
from locket_client.types import Credentials, Employee, Employment, Leave, Wage

T = TypeVar("T")

_BSN = re.compile(r"[0-9]{9}")


@dataclass(slots=True)
class Answer:
    """Loket.nl's answer for one period, reduced to what is stored."""

    employees: list[Employee]
    employments: list[Employment]
    wages: list[Wage]
    leave: list[Leave]
    other_period_types: set[str] = field(default_factory=set)

    @property
    def discovered_period_type(self) -> str | None:
        """The employer's real ``Verloningsperiode`` when this period had no wages of the
        asked-for type but had some of exactly one other."""
        if self.wages or len(self.other_period_types) != 1:
            return None
        (found,) = self.other_period_types
        return found if found in periods.PERIOD_TYPES else None

    @sensitive_variables("rows", "canonical")
    def content_hash(self) -> str:
        """HMAC-SHA256 of the answer in a canonical form (sorted, fixed field order), keyed
        like the BSN's hash, with the BSN in it only as that keyed hash: everything else in the
        answer is readable through the API, so an unkeyed hash over it would let a client try
        every BSN until the hash matched."""
        rows = {
            "employees": sorted(
                [
                    e.id,
                    e.number,
                    bsn_hash(e.bsn) if e.bsn else "",
                    e.initials or "",
                    e.prefix or "",
                    e.last_name,
                    _iso(e.birth_date),
                ]
                for e in self.employees
            ),
            "employments": sorted(
                [
                    e.id,
                    e.employee_id,
                    e.income_relationship_number,
                    _iso(e.start_date),
                    _iso(e.end_date),
                    e.contract_type or "",
                    _num(e.hours_per_week),
                ]
                for e in self.employments
            ),
            "wages": sorted(
                [
                    w.employment_id,
                    w.year,
                    w.period,
                    w.period_type,
                    _num(w.gross),
                    _num(w.sv_wage),
                    _num(w.tax_wage),
                    _num(w.holiday_allowance),
                    _num(w.hours_paid),
                ]
                for w in self.wages
            ),
            "leave": sorted(
                [
                    v.employment_id,
                    v.year,
                    v.kind,
                    _num(v.accrued),
                    _num(v.taken),
                    _num(v.balance),
                ]
                for v in self.leave
            ),
        }
        canonical = json.dumps(rows, ensure_ascii=False, separators=(",", ":"))
        key = hmac.new(settings.BSN_HASH_KEY.encode("utf-8"), b"delivery-content", hashlib.sha256)
        return hmac.new(key.digest(), canonical.encode("utf-8"), hashlib.sha256).hexdigest()


def _iso(value: dt.date | None) -> str:
    return value.isoformat() if value is not None else ""


def _num(value: Any) -> str:
    """A decimal in a form that does not depend on its trailing zeros."""
    if value is None:
        return ""
    normalised = value.normalize()
    return f"{normalised:f}"


@sensitive_variables("credentials")
def retrieve(
    client: LoketClient, credentials: Credentials, employer_id: str, period: periods.Period
) -> Answer:
    """Loket.nl's answer for ``period``: raises the client's :class:`LoketError`."""
    # Every werknemer (no Peildatum): someone who left during the period is no longer employed
    # on its last day, yet is paid in it and must come with name and BSN.
    employees = client.employees(credentials, employer_id=employer_id)
    employments = client.employments(credentials, employer_id=employer_id)
    answered = client.wages(
        credentials, employer_id=employer_id, year=period.year, period=period.number
    )
    wages = [w for w in answered if w.period_type == period.period_type]
    others = {w.period_type for w in answered if w.period_type != period.period_type}
    leave: list[Leave] = []
    if period.is_last_of_year and (wages or not others):
        try:
            leave = client.leave(credentials, employer_id=employer_id, year=period.year)
        except NietGeautoriseerd:
            # Leave is not among the functions a processor must grant (VERLOF is optional).
            leave = []
    # Only what a.s.r. uses: the employments that ran in the period or were paid in it, their
    # employees, and the leave of those employments.
    paid = {w.employment_id for w in wages}
    employments = [
        e
        for e in employments
        if e.id in paid
        or (e.start_date <= period.end and (e.end_date is None or e.end_date >= period.start))
    ]
    kept = {e.id for e in employments}
    employee_ids = {e.employee_id for e in employments}
    employees = [e for e in employees if e.id in employee_ids]
    if any(e.bsn is not None and _BSN.fullmatch(e.bsn) is None for e in employees):
        # Not nine digits: stored, it would be a wrong BSN; its text is never quoted.
        raise UnexpectedAnswer("GeefWerknemers: a Bsn that is not nine digits")
    leave = [v for v in leave if v.employment_id in kept]
    # One row per key of the records' unique constraints: an answer that repeats one must not
    # make the delivery fail on every try.
    return Answer(
        _unique(employees, lambda e: e.id),
        _unique(employments, lambda e: e.id),
        _unique(wages, lambda w: (w.employment_id, w.year, w.period)),
        _unique(leave, lambda v: (v.employment_id, v.year, v.kind[:50])),
        others,
    )


def _unique(items: list[T], key: Callable[[T], object]) -> list[T]:
    seen: dict[object, T] = {}
    for item in items:
        seen.setdefault(key(item), item)
    return list(seen.values())
