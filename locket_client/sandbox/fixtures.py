"""The fixed demo data of the Loket.nl sandbox (shared/docs/loket-webservice.md, "Sandbox data").

Environment ``DEMO001`` with its users (``ws-benefits``, ``ws-andere-partij``, ...), the werkgevers
E1-E4, the 10,000 generated werkgevers of ``ws-groot``, and the werknemers, dienstverbanden,
loongegevens and verlof of E1-E3; ``TRAAG`` and ``STORING`` share that data. Tests, demos and
benchmarks rely on these exact values, so everything here is deterministic. The only moving part is
the calendar: loongegevens exist for every month of the previous calendar year and for the months
of the current year so far, and verlof for both years, counted from the day the data is built
(``build_sandbox_data(today=...)`` pins it).

The staff of the ``ws-groot`` werkgevers (1 to 500 werknemers each, hires and leavers, werkgever
7 paid four-weekly, a correction of werkgever 3's most recent closed month) is generated per
werkgever when first looked up: see :mod:`locket_client.sandbox.staff`, which also holds the pay
and leave rules E1-E3 follow.

The data is built once per process, lazily, by :func:`sandbox_data`. No Django imports: the
sandbox server runs standalone from a benchmark script.
"""

from __future__ import annotations

import calendar
import datetime
import functools
import types
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from operator import attrgetter
from typing import TypeVar

from locket_client.identifiers import eleven_test_check_digit
from locket_client.sandbox.model import (
    DataSet,
    Dienstverband,
    Environment,
    Loongegevens,
    SandboxData,
    User,
    Verlof,
    Werkgever,
    Werknemer,
)
from locket_client.sandbox.staff import (
    StaffMapping,
    WerkgeverStaff,
    WsGrootStaff,
    cent,
    indexed,
    period_pay,
    ws_groot_correction,
    ws_groot_werkgever_guid,
    yearly_verlof,
)

__all__ = [
    "ENTITIES",
    "FUNCTIONS",
    "SANDBOX_PASSWORD",
    "WS_GROOT_WERKGEVER_COUNT",
    "build_sandbox_data",
    "sandbox_data",
    "werkgever_guid",
]

#: The password of every sandbox user (documented, so not a secret).
SANDBOX_PASSWORD = "Demo#Loket2026"  # noqa: S105 - published in the docs, not a secret

#: The functions a webservicepartij can be authorised for, in ControleerToegang's order.
FUNCTIONS: tuple[str, ...] = (
    "WERKGEVERS",
    "WERKNEMERS",
    "DIENSTVERBANDEN",
    "LOONGEGEVENS",
    "VERLOF",
)
#: The entities a webservicepartij can be authorised for.
ENTITIES: tuple[str, ...] = ("werkgever", "persoon", "verlof")

#: Number of generated werkgevers in the team of ``ws-groot`` (for benchmarks).
WS_GROOT_WERKGEVER_COUNT = 10_000

_CENT = Decimal("0.01")

_T = TypeVar("_T", Werknemer, Dienstverband, Loongegevens, Verlof)


def _eleven_test_numbers(start_prefix: int) -> Iterator[str]:
    """Yield, in increasing order, the 9-digit numbers passing the 11-test from ``start_prefix`` on.

    ``start_prefix`` is the first eight digits. Each prefix has at most one valid check digit, and
    none when that would be 10, so the walk skips such prefixes. Every number yielded has a
    distinct prefix, hence the numbers are unique.
    """
    prefix = start_prefix
    while prefix <= 99_999_999:
        digits = f"{prefix:08d}"
        check = eleven_test_check_digit(digits)
        if check is not None:
            yield f"{digits}{check}"
        prefix += 1


def werkgever_guid(n: int) -> str:
    """GUID of sandbox werkgever ``E<n>`` (``00000000-0000-4000-8000-00000000100N``)."""
    return f"00000000-0000-4000-8000-{1000 + n:012d}"


def _werknemer_guid(werkgever: int, index: int) -> str:
    return f"00000000-0000-4000-8000-{20000 + werkgever * 100 + index:012d}"


def _dienstverband_guid(werkgever: int, index: int) -> str:
    return f"00000000-0000-4000-8000-{30000 + werkgever * 100 + index:012d}"


# --- werknemers, dienstverbanden, pay and leave of E1-E3 ------------------------------------------


@dataclass(frozen=True)
class _WerknemerTemplate:
    """One werknemer with its single dienstverband; begin/end as functions of the previous year."""

    voorletters: str
    voorvoegsel: str | None
    achternaam: str
    geboortedatum: datetime.date
    geslacht: str
    start: datetime.date | int  # a fixed date, or the month of the previous year it starts in
    ends_in_month_of_last_year: int | None  # ends at the end of this month of last year
    soort_contract: str
    uren_per_week: int
    monthly_gross: Decimal  # brutoloon per month in the previous year


def _templates() -> dict[int, tuple[_WerknemerTemplate, ...]]:
    """Per werkgever (1..3) three werknemers: the second works 24 hours, the third has left."""
    d = datetime.date
    m = Decimal
    return {
        1: (
            _WerknemerTemplate("J.", "de", "Boer", d(1979, 5, 12), "M", d(2012, 3, 1), None,
                               "onbepaalde tijd", 40, m("3150.00")),
            _WerknemerTemplate("A.M.", None, "Jansen", d(1994, 8, 23), "V", d(2019, 9, 1), None,
                               "onbepaalde tijd", 24, m("1980.00")),
            _WerknemerTemplate("P.J.", None, "Visser", d(1986, 1, 30), "M", d(2020, 2, 1), 6,
                               "bepaalde tijd", 40, m("2875.00")),
        ),
        2: (
            _WerknemerTemplate("S.", "van den", "Berg", d(1983, 11, 2), "V", d(2010, 1, 1), None,
                               "onbepaalde tijd", 40, m("4210.00")),
            _WerknemerTemplate("K.", None, "Bakker", d(1990, 4, 17), "M", d(2018, 5, 1), None,
                               "onbepaalde tijd", 24, m("2340.00")),
            _WerknemerTemplate("L.", "de", "Wit", d(1997, 12, 5), "V", d(2022, 1, 1), 9,
                               "bepaalde tijd", 40, m("3020.00")),
        ),
        3: (
            _WerknemerTemplate("M.", None, "Smit", d(1975, 6, 9), "V", d(2008, 8, 1), None,
                               "onbepaalde tijd", 40, m("3890.00")),
            _WerknemerTemplate("T.", None, "Mulder", d(1988, 3, 21), "M", 4, None,
                               "onbepaalde tijd", 24, m("2150.00")),
            _WerknemerTemplate("E.", "van", "Leeuwen", d(1992, 10, 14), "V", d(2016, 1, 1), 12,
                               "bepaalde tijd", 40, m("3275.00")),
        ),
    }  # fmt: skip


def _monthly_loongegevens(
    dienstverband: Dienstverband, monthly_gross: Decimal, year: int, period: int, last_year: int
) -> Loongegevens:
    """Monthly pay by the sandbox's rules (:func:`~locket_client.sandbox.staff.period_pay`);
    paid hours are the weekly hours times 52/12."""
    pay = period_pay(indexed(monthly_gross, year, last_year))
    hours = dienstverband.uren_per_week or Decimal(0)
    return Loongegevens(
        dienstverband_id=dienstverband.dienstverband_id,
        werkgever_id=dienstverband.werkgever_id,
        jaar=year,
        periode=period,
        verloningsperiode="maand",
        brutoloon=pay.brutoloon,
        sv_loon=pay.sv_loon,
        fiscaal_loon=pay.fiscaal_loon,
        vakantiegeld=pay.vakantiegeld,
        verloonde_uren=cent(hours * 52 / 12),
    )


def _staff(
    werkgever_number: int, today: datetime.date
) -> tuple[
    tuple[Werknemer, ...], tuple[Dienstverband, ...], tuple[Loongegevens, ...], tuple[Verlof, ...]
]:
    last_year = today.year - 1
    werkgever_id = werkgever_guid(werkgever_number)
    bsns = _eleven_test_numbers(10_000_000 + werkgever_number * 1_234_567)
    werknemers: list[Werknemer] = []
    dienstverbanden: list[Dienstverband] = []
    wages: list[Loongegevens] = []
    verlof: list[Verlof] = []
    for index, template in enumerate(_templates()[werkgever_number], start=1):
        werknemer = Werknemer(
            werknemer_id=_werknemer_guid(werkgever_number, index),
            werkgever_id=werkgever_id,
            werknemernummer=index,
            bsn=next(bsns),
            voorletters=template.voorletters,
            voorvoegsel=template.voorvoegsel,
            achternaam=template.achternaam,
            geboortedatum=template.geboortedatum,
            geslacht=template.geslacht,
        )
        if isinstance(template.start, datetime.date):
            begindatum = template.start
        else:
            begindatum = datetime.date(last_year, template.start, 1)
        einddatum = None
        if template.ends_in_month_of_last_year is not None:
            month = template.ends_in_month_of_last_year
            einddatum = datetime.date(last_year, month, calendar.monthrange(last_year, month)[1])
        dienstverband = Dienstverband(
            dienstverband_id=_dienstverband_guid(werkgever_number, index),
            werknemer_id=werknemer.werknemer_id,
            werkgever_id=werkgever_id,
            inkomstenverhoudingnummer=1,
            begindatum=begindatum,
            einddatum=einddatum,
            soort_contract=template.soort_contract,
            uren_per_week=Decimal(template.uren_per_week).quantize(_CENT),
        )
        werknemers.append(werknemer)
        dienstverbanden.append(dienstverband)
        for year, last_month in ((last_year, 12), (today.year, today.month)):
            months = [
                month
                for month in range(1, last_month + 1)
                if dienstverband.runs_in_month(year, month)
            ]
            wages.extend(
                _monthly_loongegevens(dienstverband, template.monthly_gross, year, month, last_year)
                for month in months
            )
            if months:
                verlof.extend(yearly_verlof(dienstverband, year, len(months), last_year))
    return tuple(werknemers), tuple(dienstverbanden), tuple(wages), tuple(verlof)


# --- werkgevers and users -------------------------------------------------------------------------


def _demo_werkgevers() -> tuple[Werkgever, ...]:
    return (
        Werkgever(werkgever_guid(1), 1001, "Bakkerij Van Dijk B.V.", "12345678", ("144068989L01",)),
        Werkgever(
            werkgever_guid(2),
            1002,
            "Installatiebedrijf De Vries B.V.",
            "23456789",
            ("173718528L01", "173718528L02"),
        ),
        Werkgever(werkgever_guid(3), 1003, "Zorggroep Tilburg", "34567890", ("177756184L01",)),
        Werkgever(werkgever_guid(4), 1004, "Transport Jansen B.V.", "45678901", ("211946217L01",)),
    )


def _ws_groot_werkgevers() -> tuple[Werkgever, ...]:
    """The 10,000 generated werkgevers of ``ws-groot``: identical on every run.

    Their loonheffingennummers are the 11-test-proof numbers from prefix 40000000 on, in order,
    so they are unique and never collide with the documented ones (which start with 1 or 2).
    """
    numbers = _eleven_test_numbers(40_000_000)
    return tuple(
        Werkgever(
            werkgever_id=ws_groot_werkgever_guid(n),
            werkgevernummer=100_000 + n,
            naam=f"Groot Werkgever {n:05d} B.V.",
            kvk_nummer=f"{60_000_000 + n}",
            loonheffingennummers=(f"{next(numbers)}L01",),
        )
        for n in range(1, WS_GROOT_WERKGEVER_COUNT + 1)
    )


def _users(ws_groot_team: frozenset[str]) -> dict[str, User]:
    e1, e2, e3 = werkgever_guid(1), werkgever_guid(2), werkgever_guid(3)

    def webservice(
        username: str,
        team: frozenset[str],
        *,
        webservicepartij: str = "Benefits-Plaza",
        functions: tuple[str, ...] = FUNCTIONS,
        entities: tuple[str, ...] = ENTITIES,
        blocked: bool = False,
    ) -> User:
        return User(
            username=username,
            password=SANDBOX_PASSWORD,
            kind="webservice",
            webservicepartij=webservicepartij,
            functions=functions,
            entities=entities,
            team=team,
            blocked=blocked,
        )

    users = (
        webservice("ws-benefits", frozenset({e1, e2, e3})),
        webservice("ws-andere-partij", frozenset({e1}), webservicepartij="Andere Partij B.V."),
        webservice(
            "ws-zonder-loon",
            frozenset({e1, e2}),
            functions=("WERKGEVERS",),
            entities=("werkgever",),
        ),
        webservice("ws-zonder-team", frozenset()),
        User(
            username="ak-standaard",
            password=SANDBOX_PASSWORD,
            kind="standaard",
            webservicepartij=None,
            functions=(),
            entities=(),
            team=frozenset({e1}),
        ),
        webservice("ws-geblokkeerd", frozenset({e1}), blocked=True),
        webservice("ws-groot", ws_groot_team),
    )
    return {user.username: user for user in users}


def _by_werkgever(items: tuple[_T, ...]) -> Mapping[str, tuple[_T, ...]]:
    groups: dict[str, list[_T]] = {}
    for item in items:
        groups.setdefault(item.werkgever_id, []).append(item)
    return types.MappingProxyType({key: tuple(value) for key, value in groups.items()})


def build_sandbox_data(today: datetime.date | None = None) -> SandboxData:
    """Build the sandbox data from scratch (uncached; :func:`sandbox_data` is the cached one).

    ``today`` decides which years and months carry loongegevens and verlof; it defaults to the
    machine's local date, the same calendar a tester looking at the data uses.
    """
    if today is None:
        today = datetime.date.today()  # noqa: DTZ011 - the sandbox follows the local calendar
    demo = _demo_werkgevers()
    ws_groot = _ws_groot_werkgevers()
    werknemers: list[Werknemer] = []
    dienstverbanden: list[Dienstverband] = []
    wages: list[Loongegevens] = []
    verlof: list[Verlof] = []
    for werkgever_number in (1, 2, 3):
        w, d, lg, v = _staff(werkgever_number, today)
        werknemers.extend(w)
        dienstverbanden.extend(d)
        wages.extend(lg)
        verlof.extend(v)
    werkgevers = demo + ws_groot
    # ws-groot's staff is generated per werkgever when first asked for (see staff.py).
    generated = WsGrootStaff(today, WS_GROOT_WERKGEVER_COUNT)

    def by_werkgever(
        items: tuple[_T, ...], pick: Callable[[WerkgeverStaff], tuple[_T, ...]]
    ) -> StaffMapping[_T]:
        return StaffMapping(_by_werkgever(items), generated, pick)  # read-only, like the proxies

    data = DataSet(
        key="DEMO001",
        users=types.MappingProxyType(_users(frozenset(w.werkgever_id for w in ws_groot))),
        werkgevers=werkgevers,
        werkgevers_by_id=types.MappingProxyType({w.werkgever_id: w for w in werkgevers}),
        werknemers_by_werkgever=by_werkgever(tuple(werknemers), attrgetter("werknemers")),
        dienstverbanden_by_werkgever=by_werkgever(
            tuple(dienstverbanden), attrgetter("dienstverbanden")
        ),
        loongegevens_by_werkgever=by_werkgever(tuple(wages), attrgetter("loongegevens")),
        verlof_by_werkgever=by_werkgever(tuple(verlof), attrgetter("verlof")),
        corrections=types.MappingProxyType(
            {correction.werkgever_id: correction for correction in (ws_groot_correction(today),)}
        ),
    )
    name = "Salarisbureau Demo B.V."
    environments = (
        Environment("DEMO001", name, "normal", data),
        Environment("TRAAG", name, "slow", data),
        Environment("STORING", name, "down", data),
    )
    return SandboxData(
        today=today,
        environments=types.MappingProxyType({e.omgevingscode: e for e in environments}),
    )


@functools.cache
def sandbox_data() -> SandboxData:
    """The sandbox data of this process, built on first use (the data is fixed, so build once)."""
    return build_sandbox_data()
