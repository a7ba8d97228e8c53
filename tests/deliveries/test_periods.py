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


def test_four_weekly_periods_cover_the_iso_year_without_gaps_or_overlap():
    for year in (2026, 2020):  # 2020 has 53 ISO weeks: period 13 then runs five weeks
        previous_end = None
        for number in range(1, 14):
            period = Period(year, number, FOUR_WEEKS)
            assert period.start.weekday() == 0
            assert period.end.weekday() == 6
            if previous_end is not None:
                assert period.start == previous_end + datetime.timedelta(days=1)
            previous_end = period.end
        assert Period(year, 1, FOUR_WEEKS).start == d.fromisocalendar(year, 1, 1)
        assert Period(year + 1, 1, FOUR_WEEKS).start == previous_end + datetime.timedelta(days=1)
    assert (Period(2020, 13, FOUR_WEEKS).end - Period(2020, 13, FOUR_WEEKS).start).days == 34


def test_weeks_follow_iso_weeks_and_labels_differ_per_type():
    assert Period(2026, 7, WEEK).start == d(2026, 2, 9)
    assert Period(2026, 7, WEEK).label() == "2026-w07"
    assert Period(2026, 5, FOUR_WEEKS).label() == "2026-4w05"
    assert periods.periods_in_year(WEEK, 2020) == 53
    assert periods.periods_in_year(WEEK, 2026) == 53
    assert periods.periods_in_year(WEEK, 2027) == 52


@pytest.mark.parametrize(
    ("year", "number", "period_type"),
    [(2026, 0, MONTH), (2026, 13, MONTH), (2026, 14, FOUR_WEEKS), (2027, 53, WEEK), (2026, 1, "x")],
)
def test_a_period_that_does_not_exist_is_refused(year, number, period_type):
    with pytest.raises(ValueError, match="period"):
        Period(year, number, period_type)


def test_previous_and_next_cross_the_year():
    assert Period(2026, 1, MONTH).previous() == Period(2025, 12, MONTH)
    assert Period(2025, 12, MONTH).next() == Period(2026, 1, MONTH)
    assert Period(2026, 1, WEEK).previous() == Period(2025, 52, WEEK)
    assert Period(2026, 13, FOUR_WEEKS).next() == Period(2027, 1, FOUR_WEEKS)
    assert Period(2026, 13, FOUR_WEEKS).is_last_of_year
    assert not Period(2026, 12, FOUR_WEEKS).is_last_of_year


def test_a_period_closes_the_day_after_its_last_day_plus_the_delay():
    assert periods.last_closed(d(2026, 12, 1), MONTH) == Period(2026, 11, MONTH)
    assert periods.last_closed(d(2026, 11, 30), MONTH) == Period(2026, 10, MONTH)
    assert periods.last_closed(d(2026, 12, 3), MONTH, days_after=5) == Period(2026, 10, MONTH)
    assert periods.last_closed(d(2026, 1, 1), MONTH) == Period(2025, 12, MONTH)
    # 2026-12-01 is a Tuesday of ISO week 49: week 48 has closed, and 4-weekly period 12
    # (weeks 45-48) with it.
    assert periods.last_closed(d(2026, 12, 1), WEEK) == Period(2026, 48, WEEK)
    assert periods.last_closed(d(2026, 12, 1), FOUR_WEEKS) == Period(2026, 12, FOUR_WEEKS)


def test_closed_since_lists_every_closed_period_oldest_first():
    listed = periods.closed_since(Period(2026, 9, MONTH), d(2026, 12, 1))
    assert [p.number for p in listed] == [9, 10, 11]
    assert periods.closed_since(Period(2026, 12, MONTH), d(2026, 12, 1)) == []
    across = periods.closed_since(Period(2025, 12, MONTH), d(2026, 2, 15))
    assert [p.label() for p in across] == ["2025-12", "2026-01"]
