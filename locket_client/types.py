"""The project's own values for what Loket.nl answers. Nothing outside ``locket_client`` ever sees
a zeep object: these dataclasses are the boundary's vocabulary."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

REQUIRED_PARTY = "Benefits-Plaza"
"""The webservicepartij the salary link runs through (manual, step 1)."""

REQUIRED_FUNCTIONS = ("WERKGEVERS", "WERKNEMERS", "DIENSTVERBANDEN", "LOONGEGEVENS")
REQUIRED_ENTITIES = ("werkgever", "persoon")


def _is_clean(value: str) -> bool:
    """No control characters (NUL, line breaks, ...): they have no place in a SOAP header."""
    return not any(unicodedata.category(char) in {"Cc", "Cs"} for char in value)


@dataclass(frozen=True, slots=True)
class Credentials:
    """A webservicegebruiker's credentials. ``repr``/``str`` never show the password, so an
    object that ends up in a log line, a traceback or a debugger stays harmless."""

    omgevingscode: str
    gebruikersnaam: str
    wachtwoord: str = field(repr=False)

    def __post_init__(self) -> None:
        for name in ("omgevingscode", "gebruikersnaam", "wachtwoord"):
            value = getattr(self, name)
            # The messages name the field, never the value: it may be the password.
            if not isinstance(value, str) or not value:
                raise ValueError(f"Credentials.{name} must be a non-empty string")
            if not _is_clean(value):
                raise ValueError(f"Credentials.{name} contains control characters")

    def __repr__(self) -> str:
        return (
            f"Credentials(omgevingscode={self.omgevingscode!r}, "
            f"gebruikersnaam={self.gebruikersnaam!r}, wachtwoord='***')"
        )

    __str__ = __repr__


@dataclass(frozen=True, slots=True)
class AccessInfo:
    """Answer of ``ControleerToegang``: who the user is and what its webservicepartij may do."""

    username: str
    party: str
    functions: frozenset[str]
    entities: frozenset[str]

    @property
    def missing_functions(self) -> tuple[str, ...]:
        return tuple(f for f in REQUIRED_FUNCTIONS if f not in self.functions)

    @property
    def missing_entities(self) -> tuple[str, ...]:
        return tuple(e for e in REQUIRED_ENTITIES if e not in self.entities)

    @property
    def has_required_party(self) -> bool:
        return self.party.strip().casefold() == REQUIRED_PARTY.casefold()


@dataclass(frozen=True, slots=True)
class Employer:
    """A werkgever visible to the web-service user."""

    id: str
    number: int
    name: str
    kvk_number: str | None
    payroll_tax_numbers: tuple[str, ...]
    active: bool

    def __reduce__(self):
        # Pickled by its fields: a processor's view of 10,000 employers is cached, and the
        # default state handling of slotted dataclasses unpickles it at half this speed.
        fields = (self.id, self.number, self.name, self.kvk_number, self.payroll_tax_numbers)
        return (Employer, (*fields, self.active))


@dataclass(frozen=True, slots=True)
class Employee:
    id: str
    employer_id: str
    number: int
    last_name: str
    bsn: str | None = None
    initials: str | None = None
    prefix: str | None = None
    birth_date: date | None = None
    gender: str | None = None


@dataclass(frozen=True, slots=True)
class Employment:
    id: str
    employee_id: str
    income_relationship_number: int
    start_date: date
    end_date: date | None = None
    contract_type: str | None = None
    hours_per_week: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Wage:
    employment_id: str
    year: int
    period: int
    period_type: str
    gross: Decimal
    sv_wage: Decimal | None = None
    tax_wage: Decimal | None = None
    holiday_allowance: Decimal | None = None
    hours_paid: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Leave:
    employment_id: str
    year: int
    kind: str
    accrued: Decimal
    taken: Decimal
    balance: Decimal
