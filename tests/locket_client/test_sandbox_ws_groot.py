"""The staff of the sandbox's ``ws-groot`` werkgevers: sizes, hires and leavers, the four-weekly
werkgever, the corrected period, BSNs, laziness, and the answers over HTTP.

How fast a werkgever's month is served: bench/sandbox_timing.py (``ws_groot_500_month_ms``).
"""

from __future__ import annotations

import datetime
import itertools
from collections import Counter, defaultdict
from collections.abc import Iterator
from decimal import Decimal

import pytest

from locket_client.identifiers import eleven_test
from locket_client.sandbox import reset_corrections
from locket_client.sandbox.fixtures import (
    WS_GROOT_WERKGEVER_COUNT,
    build_sandbox_data,
    sandbox_data,
)
from locket_client.sandbox.model import DataSet, Dienstverband, Loongegevens
from locket_client.sandbox.staff import (
    CORRECTION_AMOUNT,
    WS_GROOT_CORRECTED_WERKGEVER,
    WS_GROOT_DIENSTVERBANDEN_PER_1000,
    WS_GROOT_FOUR_WEEKLY_WERKGEVER,
    WerkgeverStaff,
    four_weekly_period,
    generate_werkgever_staff,
    ws_groot_corrected_period,
    ws_groot_size,
    ws_groot_werkgever_guid,
)
from tests.conftest import demo_credentials

E1 = "00000000-0000-4000-8000-000000001001"
E2 = "00000000-0000-4000-8000-000000001002"
E3 = "00000000-0000-4000-8000-000000001003"
# A day late in the year, so both years have hires, leavers and many periods.
PINNED = datetime.date(2026, 11, 20)


def data_for(today: datetime.date = PINNED) -> DataSet:
    return build_sandbox_data(today=today).environments["DEMO001"].data


def guid(n: int) -> str:
    return ws_groot_werkgever_guid(n)


@pytest.fixture(scope="module")
def thousand_staff() -> list[WerkgeverStaff]:
    """Werkgevers 1..1000 (as the benchmarks take them) on the pinned calendar, without pay."""
    return [
        generate_werkgever_staff(n, PINNED)._replace(loongegevens=(), verlof=())
        for n in range(1, 1001)
    ]


@pytest.fixture(scope="module")
def first_thousand(thousand_staff) -> list[tuple[Dienstverband, ...]]:
    return [staff.dienstverbanden for staff in thousand_staff]


@pytest.fixture
def fresh_corrections() -> Iterator[None]:
    reset_corrections()
    yield
    reset_corrections()  # leave the first answer (values A) to the next test that asks


def paid_per_period(loongegevens: tuple[Loongegevens, ...]) -> dict[tuple[int, int], set[str]]:
    paid: dict[tuple[int, int], set[str]] = defaultdict(set)
    for lg in loongegevens:
        paid[(lg.jaar, lg.periode)].add(lg.dienstverband_id)
    return paid


# --- sizes ----------------------------------------------------------------------------------------


def test_the_first_thousand_werkgevers_hold_about_20000_dienstverbanden_sized_1_to_500(
    first_thousand,
):
    sizes = [len(dienstverbanden) for dienstverbanden in first_thousand]

    assert sum(sizes) == WS_GROOT_DIENSTVERBANDEN_PER_1000 == 19_939
    assert min(sizes) == 1
    assert max(sizes) == 500
    assert 2 <= sizes.count(500) <= 10  # a few big ones
    assert sum(size <= 5 for size in sizes) >= 300  # many small ones
    assert sorted(sizes)[500] <= 10  # the median werkgever is small
    assert sizes[9] == 500  # werkgever 10, the one the bench times


def test_any_thousand_consecutive_werkgevers_hold_the_same_number_of_dienstverbanden():
    for start in (2, 777, 4_321, WS_GROOT_WERKGEVER_COUNT - 999):
        assert sum(ws_groot_size(n) for n in range(start, start + 1000)) == 19_939


def test_each_werknemer_has_one_dienstverband_and_ids_are_unique(first_thousand):
    staff = generate_werkgever_staff(10, PINNED)
    ids = [d.dienstverband_id for dienstverbanden in first_thousand for d in dienstverbanden]

    assert [d.werknemer_id for d in staff.dienstverbanden] == [
        w.werknemer_id for w in staff.werknemers
    ]
    assert [w.werknemernummer for w in staff.werknemers] == list(range(1, 501))
    assert len(set(ids)) == len(ids)
    assert all(d.werkgever_id == guid(10) for d in staff.dienstverbanden)


# --- determinism and laziness ---------------------------------------------------------------------


def test_two_builds_generate_the_same_staff():
    first, second = data_for(), data_for()

    for n in (1, 3, 7, 10, 1000, WS_GROOT_WERKGEVER_COUNT):
        werkgever_id = guid(n)
        assert (
            first.werknemers_by_werkgever[werkgever_id]
            == (second.werknemers_by_werkgever[werkgever_id])
        )
        assert (
            first.dienstverbanden_by_werkgever[werkgever_id]
            == (second.dienstverbanden_by_werkgever[werkgever_id])
        )
        assert (
            first.loongegevens_by_werkgever[werkgever_id]
            == (second.loongegevens_by_werkgever[werkgever_id])
        )
        assert first.verlof_by_werkgever[werkgever_id] == second.verlof_by_werkgever[werkgever_id]


def test_building_the_data_generates_no_ws_groot_staff_until_a_werkgever_is_looked_up():
    data = data_for()
    werknemers = data.werknemers_by_werkgever

    assert werknemers.cache_info().currsize == 0
    assert len(werknemers) == 3 + WS_GROOT_WERKGEVER_COUNT
    assert guid(42) in data.loongegevens_by_werkgever
    assert "00000000-0000-4000-9000-000000010001" not in werknemers
    assert werknemers.cache_info().currsize == 0

    assert len(werknemers[guid(42)]) == ws_groot_size(42)
    assert data.loongegevens_by_werkgever[guid(42)]  # the same generated werkgever

    assert werknemers.cache_info().currsize == 1
    assert werknemers.cache_info().hits == 1
    with pytest.raises(KeyError):
        werknemers["00000000-0000-4000-9000-000000010001"]


def test_e1_to_e3_keep_their_documented_staff():
    data = data_for()

    assert [len(data.werknemers_by_werkgever[e]) for e in (E1, E2, E3)] == [3, 3, 3]
    assert [w.achternaam for w in data.werknemers_by_werkgever[E1]] == ["Boer", "Jansen", "Visser"]
    assert E3 not in data.corrections


# --- hires and leavers ----------------------------------------------------------------------------


def test_dienstverbanden_start_and_end_in_different_months_of_both_years(first_thousand):
    dienstverbanden = [d for ds in first_thousand for d in ds]
    begins = {(d.begindatum.year, d.begindatum.month) for d in dienstverbanden}
    ends = {(d.einddatum.year, d.einddatum.month) for d in dienstverbanden if d.einddatum}

    for year in (PINNED.year - 1, PINNED.year):
        assert {(year, month) for month in range(1, PINNED.month + 1)} <= begins
        assert {(year, month) for month in range(1, PINNED.month + 1)} <= ends
    assert all(d.begindatum.day == 1 for d in dienstverbanden)
    assert 0.6 < sum(d.einddatum is None for d in dienstverbanden) / len(dienstverbanden) < 0.9


def test_the_werknemers_with_pay_differ_from_month_to_month():
    paid = paid_per_period(data_for().loongegevens_by_werkgever[guid(10)])
    months = sorted(paid)

    assert len(months) == 12 + PINNED.month
    for previous, current in itertools.pairwise(months):
        assert paid[previous] != paid[current], current


def test_loongegevens_exist_only_within_the_dienstverband():
    data = data_for()
    for n in (1, 2, 3, 7, 10, 18):
        per_id = {d.dienstverband_id: d for d in data.dienstverbanden_by_werkgever[guid(n)]}
        for lg in data.loongegevens_by_werkgever[guid(n)]:
            if lg.verloningsperiode == "4weken":
                assert per_id[lg.dienstverband_id].runs_between(
                    *four_weekly_period(lg.jaar, lg.periode)
                )
            else:
                assert per_id[lg.dienstverband_id].runs_in_month(lg.jaar, lg.periode)


def test_leavers_stay_werknemers_and_nobody_starts_after_the_day_of_the_data():
    data = data_for()
    dienstverbanden = data.dienstverbanden_by_werkgever[guid(10)]
    ended = {d.werknemer_id for d in dienstverbanden if d.einddatum and d.einddatum < PINNED}
    not_yet = {d.werknemer_id for d in dienstverbanden if d.begindatum > PINNED}

    assert ended  # leavers are still werknemers of the werkgever, without a running dienstverband
    assert not not_yet  # nobody starts after the day the data is built for


# --- the four-weekly werkgever --------------------------------------------------------------------


def test_werkgever_7_is_paid_in_thirteen_four_weekly_periods_up_to_today():
    data = data_for()
    loongegevens = data.loongegevens_by_werkgever[guid(WS_GROOT_FOUR_WEEKLY_WERKGEVER)]
    periods = {(lg.jaar, lg.periode) for lg in loongegevens}

    assert {lg.verloningsperiode for lg in loongegevens} == {"4weken"}
    assert {p for y, p in periods if y == PINNED.year - 1} == set(range(1, 14))
    # 20 November is day 324: periods 1-12 have begun (12 starts 4 November), 13 starts 2 Dec.
    assert {p for y, p in periods if y == PINNED.year} == set(range(1, 13))
    hours = {lg.dienstverband_id: lg.verloonde_uren for lg in loongegevens}
    uren = {
        d.dienstverband_id: d.uren_per_week
        for d in data.dienstverbanden_by_werkgever[guid(WS_GROOT_FOUR_WEEKLY_WERKGEVER)]
    }
    assert all(hours[key] == uren[key] * 4 for key in hours)


def test_the_four_weekly_periods_cover_the_year_without_gaps():
    year = 2025
    days = [four_weekly_period(year, p) for p in range(1, 14)]

    assert days[0][0] == datetime.date(year, 1, 1)
    assert days[-1] == (datetime.date(year, 12, 3), datetime.date(year, 12, 31))
    for (_, last), (first, _) in itertools.pairwise(days):
        assert first == last + datetime.timedelta(days=1)


def test_every_other_werkgever_is_paid_monthly():
    data = data_for()
    for n in (*range(1, 7), *range(8, 21), 1000):
        kinds = {lg.verloningsperiode for lg in data.loongegevens_by_werkgever[guid(n)]}
        periods = {lg.periode for lg in data.loongegevens_by_werkgever[guid(n)]}
        assert kinds == {"maand"}, n
        assert periods <= set(range(1, 13)), n


# --- BSNs -----------------------------------------------------------------------------------------


def test_bsns_pass_the_11_test_and_are_unique_across_werkgevers(thousand_staff):
    data = data_for()
    bsns = [
        w.bsn for werkgever_id in (E1, E2, E3) for w in data.werknemers_by_werkgever[werkgever_id]
    ]
    bsns.extend(w.bsn for staff in thousand_staff for w in staff.werknemers)
    for n in range(WS_GROOT_WERKGEVER_COUNT - 20, WS_GROOT_WERKGEVER_COUNT + 1):
        bsns.extend(w.bsn for w in data.werknemers_by_werkgever[guid(n)])

    assert len(bsns) > 20_000
    assert all(bsn is not None and eleven_test(bsn) for bsn in bsns)
    duplicates = [bsn for bsn, count in Counter(bsns).items() if count > 1]
    assert duplicates == []


# --- the correction -------------------------------------------------------------------------------


def test_the_corrected_period_is_the_most_recent_closed_month():
    assert ws_groot_corrected_period(datetime.date(2026, 11, 20)) == (2026, 10)
    assert ws_groot_corrected_period(datetime.date(2027, 1, 1)) == (2026, 12)
    correction = data_for().corrections[guid(WS_GROOT_CORRECTED_WERKGEVER)]
    assert (correction.jaar, correction.periode) == (2026, 10)


def test_the_corrected_period_answers_a_first_and_b_on_every_later_request(
    loket, fresh_corrections
):
    creds = demo_credentials("ws-groot")
    werkgever_id = guid(WS_GROOT_CORRECTED_WERKGEVER)
    year, period = ws_groot_corrected_period(sandbox_data().today)

    def ask() -> list:
        return loket.wages(creds, employer_id=werkgever_id, year=year, period=period)

    first, second, third = ask(), ask(), ask()

    assert first
    assert second == third != first
    changed = [(a, b) for a, b in zip(first, second, strict=True) if a != b]
    assert len(changed) == 1
    a, b = changed[0]
    assert a.employment_id == b.employment_id == first[0].employment_id
    assert b.gross == a.gross + CORRECTION_AMOUNT
    # The 5% pension premium and the 8% vakantiegeld follow the 100.00 exactly.
    assert b.sv_wage == b.tax_wage == a.sv_wage + Decimal("95.00")
    assert b.holiday_allowance == a.holiday_allowance + Decimal("8.00")
    assert b.hours_paid == a.hours_paid

    reset_corrections()

    assert ask() == first  # values A again, then B
    assert ask() == second


def test_a_whole_year_answer_counts_as_the_first_delivery_of_the_corrected_period(
    loket, fresh_corrections
):
    creds = demo_credentials("ws-groot")
    werkgever_id = guid(WS_GROOT_CORRECTED_WERKGEVER)
    year, period = ws_groot_corrected_period(sandbox_data().today)

    whole_year = loket.wages(creds, employer_id=werkgever_id, year=year)
    afterwards = loket.wages(creds, employer_id=werkgever_id, year=year, period=period)

    generated = sandbox_data().environments["DEMO001"].data.loongegevens_by_werkgever[werkgever_id]
    a_values = [lg.brutoloon for lg in generated if (lg.jaar, lg.periode) == (year, period)]
    assert [w.gross for w in whole_year if w.period == period] == a_values
    assert afterwards[0].gross == a_values[0] + CORRECTION_AMOUNT


def test_other_periods_and_werkgevers_are_never_corrected(loket, fresh_corrections):
    creds = demo_credentials("ws-groot")
    year, period = ws_groot_corrected_period(sandbox_data().today)
    other = 12 if period < 12 else 11
    other_year = year - 1

    for werkgever_id, y, p in (
        (guid(WS_GROOT_CORRECTED_WERKGEVER), other_year, other),
        (guid(1), year, period),
    ):
        first = loket.wages(creds, employer_id=werkgever_id, year=y, period=p)
        assert first
        assert loket.wages(creds, employer_id=werkgever_id, year=y, period=p) == first


# --- over HTTP ------------------------------------------------------------------------------------


def test_ws_groot_answers_werknemers_dienstverbanden_and_loongegevens_over_http(loket):
    creds = demo_credentials("ws-groot")
    werkgever_id = guid(18)
    data = sandbox_data().environments["DEMO001"].data
    today = sandbox_data().today
    dienstverbanden = data.dienstverbanden_by_werkgever[werkgever_id]

    employees = loket.employees(creds, employer_id=werkgever_id)
    employments = loket.employments(creds, employer_id=werkgever_id)
    on_new_year = loket.employees(
        creds, employer_id=werkgever_id, reference_date=datetime.date(today.year, 1, 1)
    )
    month = loket.wages(creds, employer_id=werkgever_id, year=today.year - 1, period=6)
    year = loket.wages(creds, employer_id=werkgever_id, year=today.year - 1)

    assert len(employees) == len(employments) == ws_groot_size(18) == 99
    assert {e.id for e in employees} == {m.employee_id for m in employments}
    assert all(e.bsn and eleven_test(e.bsn) for e in employees)
    running = {
        d.werknemer_id for d in dienstverbanden if d.active_on(datetime.date(today.year, 1, 1))
    }
    assert {e.id for e in on_new_year} == running
    assert len(on_new_year) < len(employees)
    assert {w.period for w in month} == {6}
    assert {w.period for w in year} == set(range(1, 13))
    assert {w.employment_id for w in month} == {
        d.dienstverband_id for d in dienstverbanden if d.runs_in_month(today.year - 1, 6)
    }
    assert all(w.period_type == "maand" for w in year)


def test_the_four_weekly_werkgever_over_http(loket):
    creds = demo_credentials("ws-groot")
    last_year = sandbox_data().today.year - 1

    wages = loket.wages(creds, employer_id=guid(WS_GROOT_FOUR_WEEKLY_WERKGEVER), year=last_year)
    period_13 = loket.wages(
        creds, employer_id=guid(WS_GROOT_FOUR_WEEKLY_WERKGEVER), year=last_year, period=13
    )

    assert {w.period for w in wages} == set(range(1, 14))
    assert {w.period_type for w in wages} == {"4weken"}
    assert period_13
    assert {w.period for w in period_13} == {13}
