"""The query parameters of the API, read strictly: a bad value is a 400 naming the parameter.

Each reader returns the value or raises :class:`api.problems.InvalidParameters`; none echoes
the value it refused. Dates are ISO 8601: a date (``2026-03-01``, from midnight in the portal's
time zone) or a date-time (``2026-03-01T12:00:00+01:00``; without an offset the portal's zone).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from api.problems import InvalidParameters
from deliveries import periods

_ID = re.compile(r"[1-9][0-9]{0,17}")
_PERIOD = re.compile(r"(?P<year>[0-9]{4})-(?P<kind>4w|w)?(?P<number>[0-9]{2})")
_KINDS = {None: periods.MONTH, "4w": periods.FOUR_WEEKS, "w": periods.WEEK}


def parse_id(value: str, name: str = "id") -> int:
    if not _ID.fullmatch(value or ""):
        raise InvalidParameters({name: _("Een positief geheel getal.")})
    return int(value)


def optional_id(params: Mapping[str, Any], name: str) -> int | None:
    value = params.get(name)
    return None if value is None else parse_id(value, name)


def optional_choice(params: Mapping[str, Any], name: str, choices: list[str]) -> str | None:
    value = params.get(name)
    if value is None:
        return None
    if value not in choices:
        raise InvalidParameters(
            {name: _("Een van: %(choices)s.") % {"choices": ", ".join(choices)}}
        )
    return value


def optional_year(params: Mapping[str, Any], name: str = "year") -> int | None:
    value = params.get(name)
    if value is None:
        return None
    if not re.fullmatch(r"[0-9]{4}", value) or not 2000 <= int(value) <= 2100:
        raise InvalidParameters({name: _("Een jaartal van 2000 tot en met 2100.")})
    return int(value)


def optional_period(params: Mapping[str, Any], name: str = "period") -> periods.Period | None:
    """``2026-03`` (month), ``2026-4w05`` (4 weeks) or ``2026-w07`` (week)."""
    value = params.get(name)
    if value is None:
        return None
    problem = InvalidParameters(
        {name: _("Een bestaande periode als 2026-03 (maand), 2026-4w05 of 2026-w07.")}
    )
    match = _PERIOD.fullmatch(value)
    if match is None or not 2000 <= int(match["year"]) <= 2100:  # the years `year` accepts
        raise problem
    try:
        return periods.Period(int(match["year"]), int(match["number"]), _KINDS[match["kind"]])
    except ValueError:
        raise problem from None


def optional_moment(params: Mapping[str, Any], name: str) -> datetime.datetime | None:
    value = params.get(name)
    if value is None:
        return None
    reason = _("Een datum (2026-03-01) of datum en tijd (2026-03-01T12:00:00+01:00).")
    # An unencoded "+" in a query string arrives as a space: "...T12:00:00 01:00" meant +01:00.
    value = re.sub(r"(T[0-9:.]+) ([0-9]{2}:?[0-9]{2})$", r"\1+\2", value)
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9:.]+(Z|[+-][0-9:]+)?)?", value):
        raise InvalidParameters({name: reason})
    try:
        if len(value) == 10:
            day = datetime.date.fromisoformat(value)
            moment = datetime.datetime.combine(day, datetime.time())
        else:
            moment = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        moment.astimezone(datetime.UTC)  # a moment past the calendar's ends is refused here
    except (ValueError, OverflowError):
        raise InvalidParameters({name: reason}) from None
    return moment


def bsn_search(body: object) -> tuple[str, int | None]:
    """The body of a search by BSN: ``{"bsn": "123456782", "version": 2}`` (version optional).
    The BSN as 9 digits (an 8-digit one gets its leading zero)."""
    data = body if isinstance(body, dict) else {}
    bsn = data.get("bsn")
    if not isinstance(bsn, str) or not re.fullmatch(r"[0-9]{8,9}", bsn):
        raise InvalidParameters({"bsn": _("Een BSN van 8 of 9 cijfers, als tekst.")})
    version = data.get("version")
    if version is not None and (type(version) is not int or not 1 <= version <= 1_000_000_000):
        raise InvalidParameters({"version": _("Een positief geheel getal.")})
    return bsn.zfill(9), version
