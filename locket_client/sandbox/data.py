"""The fixed data of the Loket.nl sandbox (shared/docs/loket-webservice.md, "Sandbox data").

Tests, demos and benchmarks rely on these exact environments, users, werkgevers and numbers, so
everything here is deterministic. The only moving part is the calendar: loongegevens exist for every
month of the previous calendar year and for the months of the current year so far, and verlof for
both years, counted from the day the data is built (``build_sandbox_data(today=...)`` pins it).

The data is built once per process, lazily, by :func:`sandbox_data`. This module deliberately has
no Django imports: the sandbox server runs standalone from a benchmark script.
"""

from __future__ import annotations

import calendar
import datetime
import functools
import types
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal, TypeVar

from locket_client.identifiers import eleven_test, eleven_test_check_digit

__all__ = [
    "ENTITEITEN",
    "FUNCTIES",
    "SANDBOX_WACHTWOORD",
    "Dienstverband",
    "Gebruiker",
    "Gegevens",
    "Loongegevens",
    "Omgeving",
    "SandboxData",
    "Verlof",
    "Werkgever",
    "Werknemer",
    "build_sandbox_data",
    "eleven_test",
    "sandbox_data",
    "werkgever_guid",
]

#: The password of every sandbox user (documented, so not a secret).
SANDBOX_WACHTWOORD = "Demo#Loket2026"

#: The functions a webservicepartij can be authorised for, in ControleerToegang's order.
FUNCTIES: tuple[str, ...] = (
    "WERKGEVERS",
    "WERKNEMERS",
    "DIENSTVERBANDEN",
    "LOONGEGEVENS",
    "VERLOF",
)
#: The entities a webservicepartij can be authorised for.
ENTITEITEN: tuple[str, ...] = ("werkgever", "persoon", "verlof")

#: Number of generated werkgevers in the team of ``ws-groot`` (for benchmarks).
GROOT_AANTAL_WERKGEVERS = 10_000

_CENT = Decimal("0.01")

Soort = Literal["webservice", "standaard"]
Gedrag = Literal["normaal", "traag", "storing"]


def _elfproef_nummers(start_prefix: int) -> Iterator[str]:
    """Yield, in increasing order, the 9-digit numbers passing the 11-test from ``start_prefix`` on.

    ``start_prefix`` is the first eight digits. Each prefix has at most one valid check digit (the
    weighted sum modulo 11), and none when that would be 10, so the walk skips such prefixes. Every
    number yielded has a distinct prefix, hence the numbers are unique.
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


def _groot_werkgever_guid(n: int) -> str:
    return f"00000000-0000-4000-9000-{n:012d}"


def _werknemer_guid(werkgever: int, index: int) -> str:
    return f"00000000-0000-4000-8000-{20000 + werkgever * 100 + index:012d}"


def _dienstverband_guid(werkgever: int, index: int) -> str:
    return f"00000000-0000-4000-8000-{30000 + werkgever * 100 + index:012d}"


@dataclass(frozen=True)
class Werkgever:
    """A werkgever of an environment (contract type ``Werkgever``)."""

    werkgever_id: str
    werkgevernummer: int
    naam: str
    kvk_nummer: str | None
    loonheffingennummers: tuple[str, ...]
    actief: bool = True


@dataclass(frozen=True)
class Werknemer:
    """A werknemer (contract type ``Werknemer``)."""

    werknemer_id: str
    werkgever_id: str
    werknemernummer: int
    bsn: str | None
    voorletters: str | None
    voorvoegsel: str | None
    achternaam: str
    geboortedatum: datetime.date | None
    geslacht: str | None


@dataclass(frozen=True)
class Dienstverband:
    """A dienstverband (contract type ``Dienstverband``); ``werkgever_id`` is for lookups only."""

    dienstverband_id: str
    werknemer_id: str
    werkgever_id: str
    inkomstenverhoudingnummer: int
    begindatum: datetime.date
    einddatum: datetime.date | None
    soort_contract: str | None
    uren_per_week: Decimal | None

    def actief_op(self, peildatum: datetime.date) -> bool:
        """Whether the dienstverband runs on ``peildatum`` (begin and end day included)."""
        return self.begindatum <= peildatum and (
            self.einddatum is None or peildatum <= self.einddatum
        )

    def loopt_in_maand(self, jaar: int, maand: int) -> bool:
        """Whether the dienstverband runs on at least one day of the given month."""
        eerste = datetime.date(jaar, maand, 1)
        laatste = datetime.date(jaar, maand, calendar.monthrange(jaar, maand)[1])
        return self.begindatum <= laatste and (self.einddatum is None or self.einddatum >= eerste)


@dataclass(frozen=True)
class Loongegevens:
    """Pay data of one dienstverband for one period (contract type ``Loongegevens``)."""

    dienstverband_id: str
    werkgever_id: str
    jaar: int
    periode: int
    verloningsperiode: str
    brutoloon: Decimal
    sv_loon: Decimal | None
    fiscaal_loon: Decimal | None
    vakantiegeld: Decimal | None
    verloonde_uren: Decimal | None


@dataclass(frozen=True)
class Verlof:
    """Leave balance of one dienstverband for one year and kind (contract type ``Verlof``)."""

    dienstverband_id: str
    werkgever_id: str
    jaar: int
    verlofsoort: str
    opgebouwd: Decimal
    opgenomen: Decimal
    saldo: Decimal


@dataclass(frozen=True)
class Gebruiker:
    """A Loket.nl user of an environment as the webservice sees it.

    ``team`` holds the WerkgeverIds (lower case) the user is linked to through a team; werkgevers
    outside it are invisible to the user.
    """

    gebruikersnaam: str
    wachtwoord: str
    soort: Soort
    webservicepartij: str | None
    functies: tuple[str, ...]
    entiteiten: tuple[str, ...]
    team: frozenset[str]
    geblokkeerd: bool = False

    @property
    def is_webservicegebruiker(self) -> bool:
        """Only a *Webservice gebruiker* assigned to a webservicepartij may use the webservice."""
        return self.soort == "webservice" and self.webservicepartij is not None

    def __repr__(self) -> str:
        # Keep the password (and the 10,000-id team of ws-groot) out of logs and tracebacks.
        return f"Gebruiker(gebruikersnaam={self.gebruikersnaam!r}, soort={self.soort!r})"


@dataclass(frozen=True, eq=False)
class Gegevens:
    """The data set of one environment, with read-only indexes by WerkgeverId.

    ``sleutel`` names the data set; environments sharing it (``DEMO001`` and ``TRAAG``) share the
    object, which is what lets the server cache answers per (data set, user).
    """

    sleutel: str
    gebruikers: Mapping[str, Gebruiker]
    werkgevers: tuple[Werkgever, ...]
    werkgevers_per_id: Mapping[str, Werkgever]
    werknemers_per_werkgever: Mapping[str, tuple[Werknemer, ...]]
    dienstverbanden_per_werkgever: Mapping[str, tuple[Dienstverband, ...]]
    loongegevens_per_werkgever: Mapping[str, tuple[Loongegevens, ...]]
    verlof_per_werkgever: Mapping[str, tuple[Verlof, ...]]

    def __repr__(self) -> str:
        return f"Gegevens(sleutel={self.sleutel!r}, werkgevers={len(self.werkgevers)})"


@dataclass(frozen=True)
class Omgeving:
    """A Loket.nl environment, identified by its omgevingscode."""

    code: str
    naam: str
    gedrag: Gedrag
    gegevens: Gegevens


@dataclass(frozen=True)
class SandboxData:
    """Everything the sandbox serves. ``peildatum`` is the "today" the data was built for."""

    peildatum: datetime.date
    omgevingen: Mapping[str, Omgeving]


_T = TypeVar("_T", Werknemer, Dienstverband, Loongegevens, Verlof)


# --- werknemers, dienstverbanden, pay and leave of E1-E3 ------------------------------------------


@dataclass(frozen=True)
class _WerknemerSjabloon:
    """One werknemer with its single dienstverband; begin/end as functions of the previous year."""

    voorletters: str
    voorvoegsel: str | None
    achternaam: str
    geboortedatum: datetime.date
    geslacht: str
    begin: datetime.date | int  # a fixed date, or the month of the previous year it starts in
    einde_maand_vorig_jaar: int | None  # the dienstverband ends at the end of this month (past)
    soort_contract: str
    uren_per_week: int
    maandloon: Decimal  # brutoloon per month in the previous year


def _sjablonen() -> dict[int, tuple[_WerknemerSjabloon, ...]]:
    """Per werkgever (1..3) three werknemers: the second works 24 hours, the third has left."""
    d = datetime.date
    m = Decimal
    return {
        1: (
            _WerknemerSjabloon("J.", "de", "Boer", d(1979, 5, 12), "M", d(2012, 3, 1), None,
                               "onbepaalde tijd", 40, m("3150.00")),
            _WerknemerSjabloon("A.M.", None, "Jansen", d(1994, 8, 23), "V", d(2019, 9, 1), None,
                               "onbepaalde tijd", 24, m("1980.00")),
            _WerknemerSjabloon("P.J.", None, "Visser", d(1986, 1, 30), "M", d(2020, 2, 1), 6,
                               "bepaalde tijd", 40, m("2875.00")),
        ),
        2: (
            _WerknemerSjabloon("S.", "van den", "Berg", d(1983, 11, 2), "V", d(2010, 1, 1), None,
                               "onbepaalde tijd", 40, m("4210.00")),
            _WerknemerSjabloon("K.", None, "Bakker", d(1990, 4, 17), "M", d(2018, 5, 1), None,
                               "onbepaalde tijd", 24, m("2340.00")),
            _WerknemerSjabloon("L.", "de", "Wit", d(1997, 12, 5), "V", d(2022, 1, 1), 9,
                               "bepaalde tijd", 40, m("3020.00")),
        ),
        3: (
            _WerknemerSjabloon("M.", None, "Smit", d(1975, 6, 9), "V", d(2008, 8, 1), None,
                               "onbepaalde tijd", 40, m("3890.00")),
            _WerknemerSjabloon("T.", None, "Mulder", d(1988, 3, 21), "M", 4, None,
                               "onbepaalde tijd", 24, m("2150.00")),
            _WerknemerSjabloon("E.", "van", "Leeuwen", d(1992, 10, 14), "V", d(2016, 1, 1), 12,
                               "bepaalde tijd", 40, m("3275.00")),
        ),
    }  # fmt: skip


def _cent(value: Decimal) -> Decimal:
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)


def _loongegevens(
    dienstverband: Dienstverband, maandloon: Decimal, jaar: int, periode: int, vorig_jaar: int
) -> Loongegevens:
    """Deterministic monthly pay: 3% indexation in the current year, 5% employee pension premium.

    SV-loon and fiscaal loon are the gross pay minus the employee's pension premium; vakantiegeld
    is the 8% reservation on the gross pay; paid hours are the weekly hours times 52/12.
    """
    bruto = maandloon if jaar == vorig_jaar else _cent(maandloon * Decimal("1.03"))
    pensioen = _cent(bruto * Decimal("0.05"))
    uren = dienstverband.uren_per_week or Decimal(0)
    return Loongegevens(
        dienstverband_id=dienstverband.dienstverband_id,
        werkgever_id=dienstverband.werkgever_id,
        jaar=jaar,
        periode=periode,
        verloningsperiode="maand",
        brutoloon=bruto,
        sv_loon=bruto - pensioen,
        fiscaal_loon=bruto - pensioen,
        vakantiegeld=_cent(bruto * Decimal("0.08")),
        verloonde_uren=_cent(uren * 52 / 12),
    )


def _verlof(
    dienstverband: Dienstverband, jaar: int, maanden: int, vorig_jaar: int
) -> tuple[Verlof, ...]:
    """Leave for one year: 4x (wettelijk) and 1x (bovenwettelijk) the weekly hours per full year.

    Built up pro rata over the months worked in that year; taken is a fixed share of it.
    """
    uren = dienstverband.uren_per_week or Decimal(0)
    soorten = (
        ("Wettelijk", uren * 4, Decimal("0.75") if jaar == vorig_jaar else Decimal("0.25")),
        ("Bovenwettelijk", uren, Decimal("0.50") if jaar == vorig_jaar else Decimal(0)),
    )
    result = []
    for verlofsoort, jaarrecht, aandeel_opgenomen in soorten:
        opgebouwd = _cent(jaarrecht * maanden / 12)
        opgenomen = _cent(opgebouwd * aandeel_opgenomen)
        result.append(
            Verlof(
                dienstverband_id=dienstverband.dienstverband_id,
                werkgever_id=dienstverband.werkgever_id,
                jaar=jaar,
                verlofsoort=verlofsoort,
                opgebouwd=opgebouwd,
                opgenomen=opgenomen,
                saldo=opgebouwd - opgenomen,
            )
        )
    return tuple(result)


def _personeel(
    werkgever_nr: int, today: datetime.date
) -> tuple[
    tuple[Werknemer, ...], tuple[Dienstverband, ...], tuple[Loongegevens, ...], tuple[Verlof, ...]
]:
    vorig_jaar = today.year - 1
    werkgever_id = werkgever_guid(werkgever_nr)
    bsns = _elfproef_nummers(10_000_000 + werkgever_nr * 1_234_567)
    werknemers: list[Werknemer] = []
    dienstverbanden: list[Dienstverband] = []
    loon: list[Loongegevens] = []
    verlof: list[Verlof] = []
    for index, sjabloon in enumerate(_sjablonen()[werkgever_nr], start=1):
        werknemer = Werknemer(
            werknemer_id=_werknemer_guid(werkgever_nr, index),
            werkgever_id=werkgever_id,
            werknemernummer=index,
            bsn=next(bsns),
            voorletters=sjabloon.voorletters,
            voorvoegsel=sjabloon.voorvoegsel,
            achternaam=sjabloon.achternaam,
            geboortedatum=sjabloon.geboortedatum,
            geslacht=sjabloon.geslacht,
        )
        if isinstance(sjabloon.begin, datetime.date):
            begindatum = sjabloon.begin
        else:
            begindatum = datetime.date(vorig_jaar, sjabloon.begin, 1)
        einddatum = None
        if sjabloon.einde_maand_vorig_jaar is not None:
            maand = sjabloon.einde_maand_vorig_jaar
            einddatum = datetime.date(vorig_jaar, maand, calendar.monthrange(vorig_jaar, maand)[1])
        dienstverband = Dienstverband(
            dienstverband_id=_dienstverband_guid(werkgever_nr, index),
            werknemer_id=werknemer.werknemer_id,
            werkgever_id=werkgever_id,
            inkomstenverhoudingnummer=1,
            begindatum=begindatum,
            einddatum=einddatum,
            soort_contract=sjabloon.soort_contract,
            uren_per_week=Decimal(sjabloon.uren_per_week).quantize(_CENT),
        )
        werknemers.append(werknemer)
        dienstverbanden.append(dienstverband)
        for jaar, laatste_maand in ((vorig_jaar, 12), (today.year, today.month)):
            maanden = [
                maand
                for maand in range(1, laatste_maand + 1)
                if dienstverband.loopt_in_maand(jaar, maand)
            ]
            loon.extend(
                _loongegevens(dienstverband, sjabloon.maandloon, jaar, maand, vorig_jaar)
                for maand in maanden
            )
            if maanden:
                verlof.extend(_verlof(dienstverband, jaar, len(maanden), vorig_jaar))
    return tuple(werknemers), tuple(dienstverbanden), tuple(loon), tuple(verlof)


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


def _groot_werkgevers() -> tuple[Werkgever, ...]:
    """The 10,000 generated werkgevers of ``ws-groot``: identical on every run.

    Their loonheffingennummers are the 11-test-proof numbers from prefix 40000000 on, in order,
    so they are unique and never collide with the documented ones (which start with 1 or 2).
    """
    nummers = _elfproef_nummers(40_000_000)
    return tuple(
        Werkgever(
            werkgever_id=_groot_werkgever_guid(n),
            werkgevernummer=100_000 + n,
            naam=f"Groot Werkgever {n:05d} B.V.",
            kvk_nummer=f"{60_000_000 + n}",
            loonheffingennummers=(f"{next(nummers)}L01",),
        )
        for n in range(1, GROOT_AANTAL_WERKGEVERS + 1)
    )


def _gebruikers(groot_team: frozenset[str]) -> dict[str, Gebruiker]:
    e1, e2, e3 = werkgever_guid(1), werkgever_guid(2), werkgever_guid(3)
    benefits = "Benefits-Plaza"

    def webservice(
        naam: str,
        team: frozenset[str],
        *,
        partij: str = benefits,
        functies: tuple[str, ...] = FUNCTIES,
        entiteiten: tuple[str, ...] = ENTITEITEN,
        geblokkeerd: bool = False,
    ) -> Gebruiker:
        return Gebruiker(
            gebruikersnaam=naam,
            wachtwoord=SANDBOX_WACHTWOORD,
            soort="webservice",
            webservicepartij=partij,
            functies=functies,
            entiteiten=entiteiten,
            team=team,
            geblokkeerd=geblokkeerd,
        )

    gebruikers = (
        webservice("ws-benefits", frozenset({e1, e2, e3})),
        webservice("ws-andere-partij", frozenset({e1}), partij="Andere Partij B.V."),
        webservice(
            "ws-zonder-loon",
            frozenset({e1, e2}),
            functies=("WERKGEVERS",),
            entiteiten=("werkgever",),
        ),
        webservice("ws-zonder-team", frozenset()),
        Gebruiker(
            gebruikersnaam="ak-standaard",
            wachtwoord=SANDBOX_WACHTWOORD,
            soort="standaard",
            webservicepartij=None,
            functies=(),
            entiteiten=(),
            team=frozenset({e1}),
        ),
        webservice("ws-geblokkeerd", frozenset({e1}), geblokkeerd=True),
        webservice("ws-groot", groot_team),
    )
    return {gebruiker.gebruikersnaam: gebruiker for gebruiker in gebruikers}


def _per_werkgever(items: tuple[_T, ...]) -> Mapping[str, tuple[_T, ...]]:
    groepen: dict[str, list[_T]] = {}
    for item in items:
        groepen.setdefault(item.werkgever_id, []).append(item)
    return types.MappingProxyType({key: tuple(value) for key, value in groepen.items()})


def build_sandbox_data(today: datetime.date | None = None) -> SandboxData:
    """Build the sandbox data from scratch (uncached; :func:`sandbox_data` is the cached one).

    ``today`` decides which years and months carry loongegevens and verlof; it defaults to the
    machine's local date, the same calendar a tester looking at the data uses.
    """
    if today is None:
        today = datetime.date.today()  # noqa: DTZ011 - the sandbox follows the local calendar
    demo = _demo_werkgevers()
    groot = _groot_werkgevers()
    werknemers: list[Werknemer] = []
    dienstverbanden: list[Dienstverband] = []
    loon: list[Loongegevens] = []
    verlof: list[Verlof] = []
    for werkgever_nr in (1, 2, 3):
        w, d, lg, v = _personeel(werkgever_nr, today)
        werknemers.extend(w)
        dienstverbanden.extend(d)
        loon.extend(lg)
        verlof.extend(v)
    werkgevers = demo + groot
    gegevens = Gegevens(
        sleutel="DEMO001",
        gebruikers=types.MappingProxyType(_gebruikers(frozenset(w.werkgever_id for w in groot))),
        werkgevers=werkgevers,
        werkgevers_per_id=types.MappingProxyType({w.werkgever_id: w for w in werkgevers}),
        werknemers_per_werkgever=_per_werkgever(tuple(werknemers)),
        dienstverbanden_per_werkgever=_per_werkgever(tuple(dienstverbanden)),
        loongegevens_per_werkgever=_per_werkgever(tuple(loon)),
        verlof_per_werkgever=_per_werkgever(tuple(verlof)),
    )
    naam = "Salarisbureau Demo B.V."
    omgevingen = (
        Omgeving("DEMO001", naam, "normaal", gegevens),
        Omgeving("TRAAG", naam, "traag", gegevens),
        Omgeving("STORING", naam, "storing", gegevens),
    )
    return SandboxData(
        peildatum=today,
        omgevingen=types.MappingProxyType({omgeving.code: omgeving for omgeving in omgevingen}),
    )


@functools.cache
def sandbox_data() -> SandboxData:
    """The sandbox data of this process, built on first use (the data is fixed, so build once)."""
    return build_sandbox_data()
