"""The shapes of the sandbox's data: the contract's records and the environments that hold them.

The records (:class:`Werkgever`, :class:`Werknemer`, :class:`Dienstverband`,
:class:`Loongegevens`, :class:`Verlof`) are the contract types of the same name, one field per
contract element (snake_case of the element's name), so their names stay the contract's Dutch;
they use slots, as ws-groot generates hundreds of thousands of them. The plumbing around them
(:class:`Correction`, :class:`User`, :class:`DataSet`, :class:`Environment`,
:class:`SandboxData`) is English. The values themselves live in
:mod:`locket_client.sandbox.fixtures`.

No Django imports: a benchmark script starts the sandbox without settings.
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

__all__ = [
    "Behaviour",
    "Correction",
    "DataSet",
    "Dienstverband",
    "Environment",
    "Loongegevens",
    "SandboxData",
    "User",
    "UserKind",
    "Verlof",
    "Werkgever",
    "Werknemer",
]

#: "Soort gebruiker" in Loket.nl: only a *Webservice gebruiker* may use the webservice.
UserKind = Literal["webservice", "standaard"]
#: How an environment answers: ``slow`` is ``TRAAG`` (after a delay), ``down`` is ``STORING``.
Behaviour = Literal["normal", "slow", "down"]


@dataclass(frozen=True, slots=True)
class Werkgever:
    """A werkgever of an environment (contract type ``Werkgever``)."""

    werkgever_id: str
    werkgevernummer: int
    naam: str
    kvk_nummer: str | None
    loonheffingennummers: tuple[str, ...]
    actief: bool = True


@dataclass(frozen=True, slots=True)
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


@dataclass(frozen=True, slots=True)
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

    def active_on(self, day: datetime.date) -> bool:
        """Whether the dienstverband runs on ``day`` (begin and end day included)."""
        return self.begindatum <= day and (self.einddatum is None or day <= self.einddatum)

    def runs_between(self, first: datetime.date, last: datetime.date) -> bool:
        """Whether the dienstverband runs on at least one day from ``first`` to ``last``."""
        return self.begindatum <= last and (self.einddatum is None or self.einddatum >= first)

    def runs_in_month(self, year: int, month: int) -> bool:
        """Whether the dienstverband runs on at least one day of the given month."""
        first = datetime.date(year, month, 1)
        last = datetime.date(year, month, calendar.monthrange(year, month)[1])
        return self.runs_between(first, last)


@dataclass(frozen=True, slots=True)
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


@dataclass(frozen=True, slots=True)
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
class Correction:
    """A pay period that Loket.nl corrects after it was first delivered.

    The first GeefLoongegevens answer of the werkgever that covers (``jaar``, ``periode``) holds
    the records as they are (values A); every later one has the period's first record (the lowest
    werknemernummer paid in it) replaced by ``revise(record)`` (values B). Which answers came
    first is the service's state, not the data's.
    """

    werkgever_id: str
    jaar: int
    periode: int
    revise: Callable[[Loongegevens], Loongegevens]

    def covers(self, jaar: int, periode: int | None) -> bool:
        """Whether an answer for ``jaar`` (and ``periode``, ``None``: the whole year) holds it."""
        return jaar == self.jaar and periode in (None, self.periode)

    def apply(self, records: Iterable[Loongegevens]) -> Iterator[Loongegevens]:
        """The records with values B: the corrected period's first record revised."""
        pending = True
        for record in records:
            if pending and record.jaar == self.jaar and record.periode == self.periode:
                pending = False
                yield self.revise(record)
            else:
                yield record


@dataclass(frozen=True)
class User:
    """A Loket.nl user of an environment as the webservice sees it.

    ``functions`` and ``entities`` are what its webservicepartij is authorised for. ``team`` holds
    the WerkgeverIds (lower case) the user is linked to through a team; werkgevers outside it are
    invisible to the user.
    """

    username: str
    password: str
    kind: UserKind
    webservicepartij: str | None
    functions: tuple[str, ...]
    entities: tuple[str, ...]
    team: frozenset[str]
    blocked: bool = False

    @property
    def is_webservicegebruiker(self) -> bool:
        """Only a *Webservice gebruiker* assigned to a webservicepartij may use the webservice."""
        return self.kind == "webservice" and self.webservicepartij is not None

    def __repr__(self) -> str:
        # Keep the password (and the 10,000-id team of ws-groot) out of logs and tracebacks.
        return f"User(username={self.username!r}, kind={self.kind!r})"


@dataclass(frozen=True, eq=False)
class DataSet:
    """The data of one environment, with read-only indexes by WerkgeverId.

    ``key`` names the data set; environments sharing it (``DEMO001`` and ``TRAAG``) share the
    object, which is what lets the service cache answers per (data set, user). The
    ``*_by_werkgever`` mappings may generate a werkgever's records when it is looked up (ws-groot's
    are, see :mod:`locket_client.sandbox.staff`): look up the werkgevers you need rather than
    iterating all values.
    """

    key: str
    users: Mapping[str, User]
    werkgevers: tuple[Werkgever, ...]
    werkgevers_by_id: Mapping[str, Werkgever]
    werknemers_by_werkgever: Mapping[str, tuple[Werknemer, ...]]
    dienstverbanden_by_werkgever: Mapping[str, tuple[Dienstverband, ...]]
    loongegevens_by_werkgever: Mapping[str, tuple[Loongegevens, ...]]
    verlof_by_werkgever: Mapping[str, tuple[Verlof, ...]]
    #: Corrected periods by WerkgeverId (at most one per werkgever).
    corrections: Mapping[str, Correction] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"DataSet(key={self.key!r}, werkgevers={len(self.werkgevers)})"


@dataclass(frozen=True)
class Environment:
    """A Loket.nl environment, identified by its omgevingscode."""

    omgevingscode: str
    name: str
    behaviour: Behaviour
    data: DataSet


@dataclass(frozen=True)
class SandboxData:
    """Everything the sandbox serves, by omgevingscode. ``today`` is the day it was built for."""

    today: datetime.date
    environments: Mapping[str, Environment]
