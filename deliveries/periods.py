"""The payroll calendar: which period a date falls in, when a period starts and ends, which
periods have closed.

Loket.nl pays per ``Verloningsperiode``: ``maand`` (periods 1-12 of the calendar year), ``4weken``
(periods 1-13) and ``week`` (periods 1-52). As the Belastingdienst's loontijdvakken: period 1
starts on 1 January, each period runs 28 (7) days, and the last period of the year runs on to
31 December (so 4weken period 13 has 29 or 30 days, week 52 has 8 or 9). The sandbox pays
ws-groot werkgever 7 in exactly these 4-weekly periods. Pure functions, no Django.
"""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass

MONTH = "maand"
FOUR_WEEKS = "4weken"
WEEK = "week"
PERIOD_TYPES = (MONTH, FOUR_WEEKS, WEEK)
_DAYS = {FOUR_WEEKS: 28, WEEK: 7}


@dataclass(frozen=True, order=True, slots=True)
class Period:
    """One payroll period: ``(period_type, year, number)`` with its first and last day."""

    year: int
    number: int
    period_type: str

    def __post_init__(self) -> None:
        if self.period_type not in PERIOD_TYPES:
            raise ValueError(f"unknown period type {self.period_type!r}")
        if not 1 <= self.number <= periods_in_year(self.period_type, self.year):
            raise ValueError(f"no period {self.number} in {self.period_type} {self.year}")

    @property
    def start(self) -> datetime.date:
        if self.period_type == MONTH:
            return datetime.date(self.year, self.number, 1)
        days = _DAYS[self.period_type] * (self.number - 1)
        return datetime.date(self.year, 1, 1) + datetime.timedelta(days=days)

    @property
    def end(self) -> datetime.date:
        if self.period_type == MONTH:
            return datetime.date(
                self.year, self.number, calendar.monthrange(self.year, self.number)[1]
            )
        if self.is_last_of_year:
            return datetime.date(self.year, 12, 31)
        return self.start + datetime.timedelta(days=_DAYS[self.period_type] - 1)

    @property
    def is_last_of_year(self) -> bool:
        return self.number == periods_in_year(self.period_type, self.year)

    def previous(self) -> Period:
        if self.number > 1:
            return Period(self.year, self.number - 1, self.period_type)
        year = self.year - 1
        return Period(year, periods_in_year(self.period_type, year), self.period_type)

    def next(self) -> Period:
        if self.number < periods_in_year(self.period_type, self.year):
            return Period(self.year, self.number + 1, self.period_type)
        return Period(self.year + 1, 1, self.period_type)

    def label(self) -> str:
        """``2026-03`` (month), ``2026-4w05`` (4 weeks), ``2026-w07`` (week)."""
        if self.period_type == MONTH:
            return f"{self.year}-{self.number:02d}"
        if self.period_type == FOUR_WEEKS:
            return f"{self.year}-4w{self.number:02d}"
        return f"{self.year}-w{self.number:02d}"


def periods_in_year(period_type: str, year: int) -> int:
    """12 months, 13 four-week periods, 52 weeks (the last one longer), whatever the year."""
    return {MONTH: 12, FOUR_WEEKS: 13, WEEK: 52}[period_type]


def period_of(day: datetime.date, period_type: str) -> Period:
    """The period ``day`` falls in."""
    if period_type == MONTH:
        return Period(day.year, day.month, MONTH)
    index = (day - datetime.date(day.year, 1, 1)).days // _DAYS[period_type] + 1
    return Period(day.year, min(index, periods_in_year(period_type, day.year)), period_type)


def last_closed(today: datetime.date, period_type: str, *, days_after: int = 0) -> Period:
    """The latest period whose last day lies more than ``days_after`` days before ``today``."""
    period = period_of(today - datetime.timedelta(days=days_after), period_type)
    return period.previous()


def closed_since(first: Period, today: datetime.date, *, days_after: int = 0) -> list[Period]:
    """Every closed period from ``first`` on (oldest first); empty when ``first`` has not closed."""
    last = last_closed(today, first.period_type, days_after=days_after)
    result = []
    period = first
    while period <= last:
        result.append(period)
        period = period.next()
    return result
