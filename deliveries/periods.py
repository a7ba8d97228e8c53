"""The payroll calendar: which period a date falls in, when a period starts and ends, which
periods have closed.

Loket.nl pays per ``Verloningsperiode``: ``maand`` (periods 1-12 of the calendar year), ``4weken``
(periods 1-13 of four ISO weeks each, period 13 running to the year's last ISO week, so 4 or 5
weeks) and ``week`` (the ISO weeks, 1-52 or 53). A 4-weekly or weekly year is the ISO year: its
period 1 starts on the Monday of ISO week 1. Pure functions, no Django.
"""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass

MONTH = "maand"
FOUR_WEEKS = "4weken"
WEEK = "week"
PERIOD_TYPES = (MONTH, FOUR_WEEKS, WEEK)


def _iso_weeks(year: int) -> int:
    return datetime.date(year, 12, 28).isocalendar().week


def _week_start(year: int, week: int) -> datetime.date:
    return datetime.date.fromisocalendar(year, week, 1)


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
        if self.period_type == FOUR_WEEKS:
            return _week_start(self.year, 4 * (self.number - 1) + 1)
        return _week_start(self.year, self.number)

    @property
    def end(self) -> datetime.date:
        if self.period_type == MONTH:
            return datetime.date(
                self.year, self.number, calendar.monthrange(self.year, self.number)[1]
            )
        if self.period_type == FOUR_WEEKS:
            last_week = _iso_weeks(self.year) if self.number == 13 else 4 * self.number
            return _week_start(self.year, last_week) + datetime.timedelta(days=6)
        return _week_start(self.year, self.number) + datetime.timedelta(days=6)

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
    if period_type == MONTH:
        return 12
    if period_type == FOUR_WEEKS:
        return 13
    return _iso_weeks(year)


def period_of(day: datetime.date, period_type: str) -> Period:
    """The period ``day`` falls in."""
    if period_type == MONTH:
        return Period(day.year, day.month, MONTH)
    iso = day.isocalendar()
    if period_type == FOUR_WEEKS:
        return Period(iso.year, min((iso.week - 1) // 4 + 1, 13), FOUR_WEEKS)
    return Period(iso.year, iso.week, WEEK)


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
