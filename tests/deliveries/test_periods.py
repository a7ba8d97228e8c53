"""The payroll calendar of the deliveries (deliveries.periods)."""

from __future__ import annotations

import datetime

import pytest

from deliveries import periods
from deliveries.periods import FOUR_WEEKS, MONTH, WEEK, Period

d = datetime.date


def test_a_month_runs_from_its_first_to_its_last_day():
    february = Period(2028, 2, MONTH)
    assert (february.start, february.end) == (d(2028, 2, 1), d(2028, 2, 29))
    assert february.label() == "2028-02"


@pytest.mark.parametrize("period_type", [FOUR_WEEKS, WEEK])
@pytest.mark.parametrize("year", [2026, 2028])  # 2028 is a leap year
def test_four_weekly_and_weekly_periods_cover_the_year_from_1_january_without_gaps(
    period_type, year
):
    count = periods.periods_in_year(period_type, year)
    length = 28 if period_type == FOUR_WEEKS else 7
    assert Period(year, 1, period_type).start == d(year, 1, 1)
    previous_end = d(year - 1, 12, 31)
    for number in range(1, count + 1):
        period = Period(year, number, period_type)
        assert period.start == previous_end + datetime.timedelta(days=1)
        if number < count:
            assert (period.end - period.start).days == length - 1
        previous_end = period.end
    assert previous_end == d(year, 12, 31)  # the last period runs on to 31 December
    for day in (d(year, 1, 1), d(year, 6, 15), d(year, 12, 31)):
        found = periods.period_of(day, period_type)
        assert found.start <= day <= found.end


def test_weeks_and_labels_differ_per_type():
    assert Period(2026, 7, WEEK).start == d(2026, 2, 12)
    assert Period(2026, 7, WEEK).label() == "2026-w07"
    assert Period(2026, 5, FOUR_WEEKS).label() == "2026-4w05"
    assert (Period(2028, 13, FOUR_WEEKS).end - Period(2028, 13, FOUR_WEEKS).start).days == 29
    assert periods.periods_in_year(WEEK, 2026) == 52


@pytest.mark.parametrize(
    ("year", "number", "period_type"),
    [(2026, 0, MONTH), (2026, 13, MONTH), (2026, 14, FOUR_WEEKS), (2026, 53, WEEK), (2026, 1, "x")],
)
def test_a_period_that_does_not_exist_is_refused(year, number, period_type):
    with pytest.raises(ValueError, match="period"):
        Period(year, number, period_type)


def test_previous_and_next_cross_the_year():
    assert Period(2026, 1, MONTH).previous() == Period(2025, 12, MONTH)
    assert Period(2025, 12, MONTH).next() == Period(2026, 1, MONTH)
    assert Period(2026, 1, WEEK).previous() == Period(2025, 52, WEEK)
    assert Period(2026, 52, WEEK).end == d(2026, 12, 31)
    assert Period(2026, 13, FOUR_WEEKS).next() == Period(2027, 1, FOUR_WEEKS)
    assert Period(2026, 13, FOUR_WEEKS).is_last_of_year
    assert not Period(2026, 12, FOUR_WEEKS).is_last_of_year


def test_a_period_closes_the_day_after_its_last_day_plus_the_delay():
    assert periods.last_closed(d(2026, 12, 1), MONTH) == Period(2026, 11, MONTH)
    assert periods.last_closed(d(2026, 11, 30), MONTH) == Period(2026, 10, MONTH)
    assert periods.last_closed(d(2026, 12, 3), MONTH, days_after=5) == Period(2026, 10, MONTH)
    assert periods.last_closed(d(2026, 1, 1), MONTH) == Period(2025, 12, MONTH)
    # 1 December 2026 is day 335: week 48 (26 Nov - 2 Dec) runs, week 47 has closed; 4-weekly
    # period 12 (5 Nov - 2 Dec) runs, period 11 has closed.
    assert periods.last_closed(d(2026, 12, 1), WEEK) == Period(2026, 47, WEEK)
    assert periods.last_closed(d(2026, 12, 1), FOUR_WEEKS) == Period(2026, 11, FOUR_WEEKS)
    assert periods.last_closed(d(2026, 12, 3), FOUR_WEEKS) == Period(2026, 12, FOUR_WEEKS)


def test_closed_since_lists_every_closed_period_oldest_first():
    listed = periods.closed_since(Period(2026, 9, MONTH), d(2026, 12, 1))
    assert [p.number for p in listed] == [9, 10, 11]
    assert periods.closed_since(Period(2026, 12, MONTH), d(2026, 12, 1)) == []
    across = periods.closed_since(Period(2025, 12, MONTH), d(2026, 2, 15))
    assert [p.label() for p in across] == ["2025-12", "2026-01"]
