"""The sandbox's staff: the pay and leave rules, and the generated staff of ``ws-groot``.

The rules (used for E1-E3 and for ``ws-groot`` alike): pay per period is the gross pay minus a 5%
employee pension premium for SV-loon and fiscaal loon, with an 8% vakantiegeld reservation; the
current year carries a 3% indexation; leave is built up per calendar month worked
(:func:`period_pay`, :func:`yearly_verlof`).

The 10,000 ``ws-groot`` werkgevers (``Groot Werkgever 00001 B.V.`` .. ``10000``, numbered *n*)
get werknemers, dienstverbanden, loongegevens and verlof that are computed from *n* and the
werknemer's number alone (integer arithmetic, no random), so every build is the same:

- **Sizes.** Werkgever *n* has :func:`ws_groot_size` werknemers, each with one dienstverband:
  from 1 to 500, skewed (median 7, about 13% have one werknemer, 4 in every 1,000 have 500). The
  sizes repeat every 1,000 werkgevers in a shuffled order, so ANY 1,000 consecutive werkgevers
  (1..1000 as the benchmarks take them) hold exactly :data:`WS_GROOT_DIENSTVERBANDEN_PER_1000`
  (19,939) dienstverbanden. Werkgever 1 has 11, werkgever 3 has 5, werkgever 7 has 36 and
  werkgever 10 has 500.
- **Hires and leavers.** About 70% of the dienstverbanden started years ago and run on; 15% start
  on the first of a month of the previous or the current year (up to today's month), 10% ended on
  the last day of such a month, and 5% are temporary (start in such a month, end 3 to 8 months
  later, possibly after today). So the werknemers with pay differ from period to period.
- **Periods.** Every werkgever is paid per month (``maand``, Periode 1-12) for every month of the
  previous year and the months of the current year up to and including today's, as E1-E3 are;
  except werkgever :data:`WS_GROOT_FOUR_WEEKLY_WERKGEVER` (7), paid per four weeks (``4weken``,
  Periode 1-13, see :func:`four_weekly_period`) for every period of the previous year and the
  periods of the current year that have begun by today. A dienstverband is paid in full for every
  period it runs on at least one day of.
- **BSNs** pass the 11-test and are unique (one pair of 8-digit prefixes per werknemer from
  50,000,000 on; at most one of a pair has no check digit).
- **The correction.** Werkgever :data:`WS_GROOT_CORRECTED_WERKGEVER` (3), period
  :func:`ws_groot_corrected_period` (the most recent closed month: the month before today's): the
  first GeefLoongegevens answer covering that period gives values A (as generated), every later one
  values B: the first loongegevens record of that period (its lowest werknemernummer) has a
  Brutoloon :data:`CORRECTION_AMOUNT` higher, with SV-loon, fiscaal loon and vakantiegeld
  following. The service keeps track of what it served; ``reset_corrections()`` in
  :mod:`locket_client.sandbox.service` makes the next answer a first one again.

Nothing of a ``ws-groot`` werkgever's staff is built with the data: the ``*_by_werkgever`` mappings
of its :class:`~locket_client.sandbox.model.DataSet` are :class:`StaffMapping` views that generate
one werkgever's records on first access and keep the most recent ones (a bounded LRU cache). One
werkgever of 500 takes a few dozen milliseconds to generate.

No Django imports: a benchmark script starts the sandbox without settings.
"""

from __future__ import annotations

import calendar
import dataclasses
import datetime
import functools
from collections.abc import Callable, Iterator, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Generic, NamedTuple, TypeVar

from locket_client.identifiers import eleven_test_check_digit
from locket_client.sandbox.model import (
    Correction,
    Dienstverband,
    Loongegevens,
    Verlof,
    Werknemer,
)

__all__ = [
    "CORRECTION_AMOUNT",
    "WS_GROOT_CORRECTED_WERKGEVER",
    "WS_GROOT_DIENSTVERBANDEN_PER_1000",
    "WS_GROOT_FOUR_WEEKLY_WERKGEVER",
    "WS_GROOT_MAX_SIZE",
    "PeriodPay",
    "StaffMapping",
    "WerkgeverStaff",
    "WsGrootStaff",
    "cent",
    "corrected_loongegevens",
    "four_weekly_period",
    "generate_werkgever_staff",
    "indexed",
    "period_pay",
    "ws_groot_corrected_period",
    "ws_groot_correction",
    "ws_groot_size",
    "ws_groot_werkgever_guid",
    "yearly_verlof",
]

_CENT = Decimal("0.01")
_T = TypeVar("_T", Werknemer, Dienstverband, Loongegevens, Verlof)

#: The ws-groot werkgever paid in four-weekly periods (``4weken``); all others are monthly.
WS_GROOT_FOUR_WEEKLY_WERKGEVER = 7
#: The ws-groot werkgever whose most recent closed month is corrected after its first answer.
WS_GROOT_CORRECTED_WERKGEVER = 3
#: How much the correction raises the Brutoloon of the corrected record.
CORRECTION_AMOUNT = Decimal("100.00")
#: The largest werkgever of ws-groot.
WS_GROOT_MAX_SIZE = 500

# Sizes: a skewed curve over the ranks 0..999 (rank 0: one werknemer, the top ranks: 500); a
# werkgever's rank is a fixed permutation of its number modulo 1,000, so every 1,000 consecutive
# werkgevers hold each rank once. The permutation puts 500 at werkgever 10 and 36 at werkgever 7.
_SIZE_BY_RANK: tuple[int, ...] = tuple(
    min(WS_GROOT_MAX_SIZE, 1 + int(9 * ((1000 / (1000 - rank)) ** 0.745 - 1)))
    for rank in range(1000)
)
_RANK_STEP = 371  # coprime to 1,000: n -> rank is a permutation of every 1,000 consecutive n
_RANK_OFFSET = 286
#: Dienstverbanden of any 1,000 consecutive ws-groot werkgevers (the sum of the size curve).
WS_GROOT_DIENSTVERBANDEN_PER_1000 = sum(_SIZE_BY_RANK)

_FIRST_BSN_PREFIX = 50_000_000

_INITIALS = ("A.", "B.", "C.J.", "D.", "E.M.", "F.", "G.H.", "H.", "I.", "J.", "K.L.", "M.")
_NAMES: tuple[tuple[str | None, str], ...] = (
    (None, "Jansen"), ("de", "Vries"), ("van den", "Berg"), ("van", "Dijk"), (None, "Bakker"),
    (None, "Janssen"), (None, "Visser"), (None, "Smit"), (None, "Meijer"), ("de", "Boer"),
    (None, "Mulder"), ("de", "Groot"), (None, "Bos"), (None, "Vos"), (None, "Peters"),
    (None, "Hendriks"), ("van", "Leeuwen"), (None, "Dekker"), (None, "Brouwer"), ("de", "Wit"),
    (None, "Dijkstra"), (None, "Smits"), ("de", "Graaf"), ("van der", "Meer"), (None, "Kok"),
    (None, "Yilmaz"), (None, "El Amrani"), ("van", "Wijk"), (None, "Willems"), (None, "Kramer"),
    ("van der", "Linden"),
)  # fmt: skip
_HOURS = (40, 36, 32, 24, 16)


# --- the rules ------------------------------------------------------------------------------------


def cent(value: Decimal) -> Decimal:
    """Round to cents, half up."""
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)


class PeriodPay(NamedTuple):
    """The amounts of one pay period (the decimals of a ``Loongegevens``)."""

    brutoloon: Decimal
    sv_loon: Decimal
    fiscaal_loon: Decimal
    vakantiegeld: Decimal


def period_pay(gross: Decimal) -> PeriodPay:
    """SV-loon and fiscaal loon are the gross pay minus the 5% employee pension premium;
    vakantiegeld is the 8% reservation on the gross pay."""
    pension = cent(gross * Decimal("0.05"))
    return PeriodPay(gross, gross - pension, gross - pension, cent(gross * Decimal("0.08")))


def indexed(gross: Decimal, year: int, last_year: int) -> Decimal:
    """The previous year's gross pay, with the 3% indexation in the current year."""
    return gross if year == last_year else cent(gross * Decimal("1.03"))


def yearly_verlof(
    dienstverband: Dienstverband, year: int, months: int, last_year: int
) -> tuple[Verlof, ...]:
    """Leave for one year: 4x (wettelijk) and 1x (bovenwettelijk) the weekly hours per full year.

    Built up pro rata over the months worked in that year; taken is a fixed share of it.
    """
    hours = dienstverband.uren_per_week or Decimal(0)
    kinds = (
        ("Wettelijk", hours * 4, Decimal("0.75") if year == last_year else Decimal("0.25")),
        ("Bovenwettelijk", hours, Decimal("0.50") if year == last_year else Decimal(0)),
    )
    result = []
    for verlofsoort, yearly_right, share_taken in kinds:
        accrued = cent(yearly_right * months / 12)
        taken = cent(accrued * share_taken)
        result.append(
            Verlof(
                dienstverband_id=dienstverband.dienstverband_id,
                werkgever_id=dienstverband.werkgever_id,
                jaar=year,
                verlofsoort=verlofsoort,
                opgebouwd=accrued,
                opgenomen=taken,
                saldo=accrued - taken,
            )
        )
    return tuple(result)


def four_weekly_period(year: int, periode: int) -> tuple[datetime.date, datetime.date]:
    """First and last day of four-weekly ``periode`` (1-13) of ``year``.

    Period 1 starts on 1 January, each period is 28 days, and period 13 runs to 31 December (so
    it has 29 or 30 days).
    """
    first = datetime.date(year, 1, 1) + datetime.timedelta(days=28 * (periode - 1))
    if periode == 13:
        return first, datetime.date(year, 12, 31)
    return first, first + datetime.timedelta(days=27)


def _month(year: int, month: int) -> tuple[datetime.date, datetime.date]:
    return datetime.date(year, month, 1), datetime.date(
        year, month, calendar.monthrange(year, month)[1]
    )


def ws_groot_corrected_period(today: datetime.date) -> tuple[int, int]:
    """(Jaar, Periode) of the corrected period: the most recent closed month before ``today``."""
    if today.month == 1:
        return today.year - 1, 12
    return today.year, today.month - 1


# --- ws-groot -------------------------------------------------------------------------------------


def ws_groot_werkgever_guid(n: int) -> str:
    """GUID of ws-groot werkgever ``n`` (``00000000-0000-4000-9000-00000000000n``, 12 digits)."""
    return f"00000000-0000-4000-9000-{n:012d}"


def _werknemer_guid(n: int, index: int) -> str:
    return f"00000000-0000-4000-a000-{n:07d}{index:05d}"


def _dienstverband_guid(n: int, index: int) -> str:
    return f"00000000-0000-4000-b000-{n:07d}{index:05d}"


def ws_groot_size(n: int) -> int:
    """The number of werknemers (and dienstverbanden) of ws-groot werkgever ``n``."""
    return _SIZE_BY_RANK[(n * _RANK_STEP + _RANK_OFFSET) % 1000]


def _mix(n: int, index: int) -> int:
    """A well-spread 32-bit number for (werkgever, werknemer): a fixed integer hash, no random."""
    x = ((n << 16) ^ index) & 0xFFFFFFFF
    x = (((x >> 16) ^ x) * 0x45D9F3B) & 0xFFFFFFFF
    x = (((x >> 16) ^ x) * 0x45D9F3B) & 0xFFFFFFFF
    return (x >> 16) ^ x


def _bsn(n: int, index: int) -> str:
    """An 11-test-proof BSN of its own: the prefixes 2k and 2k+1 (k: the werknemer's slot).

    The two differ in the last digit only (weight 2), so their check digits differ by 2 modulo 11
    and at most one of them is 10 (no valid number).
    """
    prefix = _FIRST_BSN_PREFIX + 2 * ((n - 1) * WS_GROOT_MAX_SIZE + index - 1)
    for candidate in (prefix, prefix + 1):
        check = eleven_test_check_digit(f"{candidate:08d}")
        if check is not None:
            return f"{candidate:08d}{check}"
    raise AssertionError("unreachable: one of two neighbouring prefixes has a check digit")


class WerkgeverStaff(NamedTuple):
    """Everything of one werkgever, in werknemernummer order."""

    werknemers: tuple[Werknemer, ...]
    dienstverbanden: tuple[Dienstverband, ...]
    loongegevens: tuple[Loongegevens, ...]
    verlof: tuple[Verlof, ...]


class _Period(NamedTuple):
    year: int
    periode: int
    first: datetime.date
    last: datetime.date


def _periods(today: datetime.date, four_weekly: bool) -> tuple[_Period, ...]:
    """The pay periods with loongegevens: the previous year, and this year's begun by today."""
    periods = []
    dates = four_weekly_period if four_weekly else _month
    for year in (today.year - 1, today.year):
        for periode in range(1, (13 if four_weekly else 12) + 1):
            first, last = dates(year, periode)
            if first <= today:
                periods.append(_Period(year, periode, first, last))
    return tuple(periods)


def _months(today: datetime.date) -> tuple[tuple[int, int], ...]:
    """(year, month) from January of the previous year up to and including today's month."""
    return tuple((today.year - 1 + k // 12, k % 12 + 1) for k in range(12 + today.month))


def generate_werkgever_staff(n: int, today: datetime.date) -> WerkgeverStaff:
    """Generate ws-groot werkgever ``n``'s staff for the calendar of ``today`` (uncached)."""
    werkgever_id = ws_groot_werkgever_guid(n)
    last_year = today.year - 1
    months = _months(today)
    four_weekly = n == WS_GROOT_FOUR_WEEKLY_WERKGEVER
    periods = _periods(today, four_weekly)
    verloningsperiode = "4weken" if four_weekly else "maand"
    werknemers: list[Werknemer] = []
    dienstverbanden: list[Dienstverband] = []
    wages: list[Loongegevens] = []
    verlof: list[Verlof] = []
    for index in range(1, ws_groot_size(n) + 1):
        h = _mix(n, index)
        voorvoegsel, achternaam = _NAMES[(h >> 3) % len(_NAMES)]
        born = 1958 + (h >> 12) % 45  # 1958..2002
        adult = born + 18  # long-standing dienstverbanden began after that, up to 2022
        long_ago = datetime.date(adult + (h >> 13) % (2023 - adult), 1 + (h >> 9) % 12, 1)
        werknemer = Werknemer(
            werknemer_id=_werknemer_guid(n, index),
            werkgever_id=werkgever_id,
            werknemernummer=index,
            bsn=_bsn(n, index),
            voorletters=_INITIALS[(h >> 8) % len(_INITIALS)],
            voorvoegsel=voorvoegsel,
            achternaam=achternaam,
            geboortedatum=datetime.date(born, 1 + (h >> 18) % 12, 1 + (h >> 22) % 28),
            geslacht="MV"[(h >> 27) & 1],
        )
        # Begin and end: 70% long-standing, 15% hired, 10% left, 5% temporary (of h % 20).
        kind = h % 20
        year, month = months[(h >> 5) % len(months)]
        einddatum = None
        if kind < 3:  # hired on the first of a recent month
            begindatum = datetime.date(year, month, 1)
        elif kind < 5:  # left at the end of a recent month
            begindatum = long_ago
            einddatum = _month(year, month)[1]
        elif kind < 6:  # temporary: 3 to 8 months from a recent month on
            begindatum = datetime.date(year, month, 1)
            end_index = year * 12 + month - 1 + 2 + (h >> 10) % 6
            einddatum = _month(end_index // 12, end_index % 12 + 1)[1]
        else:
            begindatum = long_ago
        hours = _HOURS[(h >> 14) % len(_HOURS)]
        dienstverband = Dienstverband(
            dienstverband_id=_dienstverband_guid(n, index),
            werknemer_id=werknemer.werknemer_id,
            werkgever_id=werkgever_id,
            inkomstenverhoudingnummer=1,
            begindatum=begindatum,
            einddatum=einddatum,
            soort_contract="onbepaalde tijd" if kind < 3 or kind >= 6 else "bepaalde tijd",
            uren_per_week=Decimal(hours).quantize(_CENT),
        )
        werknemers.append(werknemer)
        dienstverbanden.append(dienstverband)
        # The amounts per year are the same for every period: compute them once per year.
        monthly_gross = cent(Decimal(2100 + (h >> 17) % 60 * 50) * hours / 40)
        if four_weekly:
            period_gross = cent(monthly_gross * 12 / 13)
            period_hours = cent(Decimal(hours * 4))
        else:
            period_gross = monthly_gross
            period_hours = cent(Decimal(hours) * 52 / 12)
        pay = {y: period_pay(indexed(period_gross, y, last_year)) for y in (last_year, today.year)}
        for period in periods:
            if dienstverband.runs_between(period.first, period.last):
                amounts = pay[period.year]
                wages.append(
                    Loongegevens(
                        dienstverband_id=dienstverband.dienstverband_id,
                        werkgever_id=werkgever_id,
                        jaar=period.year,
                        periode=period.periode,
                        verloningsperiode=verloningsperiode,
                        brutoloon=amounts.brutoloon,
                        sv_loon=amounts.sv_loon,
                        fiscaal_loon=amounts.fiscaal_loon,
                        vakantiegeld=amounts.vakantiegeld,
                        verloonde_uren=period_hours,
                    )
                )
        for year in (last_year, today.year):
            worked = sum(
                1 for y, m in months if y == year and dienstverband.runs_between(*_month(y, m))
            )
            if worked:
                verlof.extend(yearly_verlof(dienstverband, year, worked, last_year))
    return WerkgeverStaff(tuple(werknemers), tuple(dienstverbanden), tuple(wages), tuple(verlof))


def corrected_loongegevens(original: Loongegevens) -> Loongegevens:
    """Values B of the corrected record: Brutoloon raised by :data:`CORRECTION_AMOUNT`."""
    pay = period_pay(original.brutoloon + CORRECTION_AMOUNT)
    return dataclasses.replace(
        original,
        brutoloon=pay.brutoloon,
        sv_loon=pay.sv_loon,
        fiscaal_loon=pay.fiscaal_loon,
        vakantiegeld=pay.vakantiegeld,
    )


def ws_groot_correction(today: datetime.date) -> Correction:
    """The correction of ws-groot: werkgever 3's most recent closed month (see the module)."""
    jaar, periode = ws_groot_corrected_period(today)
    return Correction(
        werkgever_id=ws_groot_werkgever_guid(WS_GROOT_CORRECTED_WERKGEVER),
        jaar=jaar,
        periode=periode,
        revise=corrected_loongegevens,
    )


class WsGrootStaff:
    """The staff of the ws-groot werkgevers of one data build, generated per werkgever on demand.

    ``staff(n)`` is cached (LRU, at most ``cache_size`` werkgevers): a delivery asks for a
    werkgever's werknemers, dienstverbanden and loongegevens one after the other, and a werkgever
    of 500 is a few MB of records, so the cache holds the recent ones, not all 10,000.
    """

    def __init__(self, today: datetime.date, count: int, *, cache_size: int = 128) -> None:
        self.today = today
        self.numbers: Mapping[str, int] = {
            ws_groot_werkgever_guid(n): n for n in range(1, count + 1)
        }
        self.staff: Callable[[int], WerkgeverStaff] = functools.lru_cache(maxsize=cache_size)(
            functools.partial(_generate, today=today)
        )

    def cache_info(self) -> functools._CacheInfo:
        """How many werkgevers have been generated and are kept (``currsize``)."""
        return self.staff.cache_info()  # type: ignore[attr-defined]


def _generate(n: int, *, today: datetime.date) -> WerkgeverStaff:
    return generate_werkgever_staff(n, today)


class StaffMapping(Mapping[str, tuple[_T, ...]], Generic[_T]):
    """One kind of record by WerkgeverId: fixed ones (E1-E3), then ws-groot's, generated on access.

    Membership and iteration need no generation; looking a ws-groot werkgever up generates it
    (through the shared, cached :class:`WsGrootStaff`). Iterating the values of all 10,000
    generates them all: tests and tools look up the werkgevers they need.
    """

    def __init__(
        self,
        fixed: Mapping[str, tuple[_T, ...]],
        generated: WsGrootStaff,
        pick: Callable[[WerkgeverStaff], tuple[_T, ...]],
    ) -> None:
        self._fixed = fixed
        self._generated = generated
        self._pick = pick

    def __getitem__(self, werkgever_id: str) -> tuple[_T, ...]:
        found = self._fixed.get(werkgever_id)
        if found is not None:
            return found
        return self._pick(self._generated.staff(self._generated.numbers[werkgever_id]))

    def __contains__(self, werkgever_id: object) -> bool:
        return werkgever_id in self._fixed or werkgever_id in self._generated.numbers

    def __iter__(self) -> Iterator[str]:
        # The fixed werkgevers (E1-E3) and ws-groot's have different GUIDs: no key twice.
        yield from self._fixed
        yield from self._generated.numbers

    def __len__(self) -> int:
        return len(self._fixed) + len(self._generated.numbers)

    def cache_info(self) -> functools._CacheInfo:
        """The generation cache shared by the data set's four mappings (``currsize``: how many
        ws-groot werkgevers are generated and kept)."""
        return self._generated.cache_info()

    def __repr__(self) -> str:
        return f"StaffMapping(werkgevers={len(self)})"
