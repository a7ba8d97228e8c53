"""What "Loket.nl webservice v1" says, as data: namespaces, operations, their parameters and
limits, the rights each needs, and the fault codes with their messages.

Contract: shared/docs/loket-webservice.md and the shipped WSDL (:mod:`locket_client.wsdl`). The
fault messages are sent over SOAP and read by people, so they stay in the contract's Dutch. The
parameter parsers here raise the ``ONGELDIGE_INVOER`` fault for a value outside the contract;
:mod:`locket_client.sandbox.serialisation` applies them in WSDL order.

No Django imports: a benchmark script starts the sandbox without settings.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

__all__ = [
    "MESSAGE_GEBRUIKER_GEBLOKKEERD",
    "MESSAGE_GEEN_WEBSERVICEGEBRUIKER",
    "MESSAGE_INLOG_ONGELDIG",
    "MESSAGE_NIET_GEAUTORISEERD",
    "MESSAGE_OMGEVING_ONBEKEND",
    "MESSAGE_STORING",
    "NAMESPACE",
    "OPERATIONS",
    "SERVER_FAULTS",
    "SOAP_ENV_NAMESPACE",
    "Operation",
    "SandboxFault",
    "invalid_input",
]

NAMESPACE: Final = "urn:salariskoppeling:loket-webservice:v1"
SOAP_ENV_NAMESPACE: Final = "http://schemas.xmlsoap.org/soap/envelope/"


# --- faults ---------------------------------------------------------------------------------------


class SandboxFault(Exception):
    """A contract fault; the HTTP layer turns it into a SOAP 1.1 Fault with ``detail/LoketFout``.

    ``code`` is the fault code (``INLOG_ONGELDIG``, ...), ``message`` the Dutch ``Melding``.
    ``close`` asks the handler to close the connection after answering, for requests whose body
    was not (fully) read and so cannot be skipped on a keep-alive connection.
    """

    def __init__(self, code: str, message: str, *, close: bool = False) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.close = close


#: Fault codes answered with ``soap:Server`` (the service's fault); all others are ``soap:Client``.
SERVER_FAULTS: Final = frozenset({"STORING"})

MESSAGE_OMGEVING_ONBEKEND: Final = "De omgevingscode is onbekend"
MESSAGE_INLOG_ONGELDIG: Final = "De gebruikersnaam of het wachtwoord is onjuist"
MESSAGE_GEEN_WEBSERVICEGEBRUIKER: Final = "De gebruiker is geen webservicegebruiker"
MESSAGE_GEBRUIKER_GEBLOKKEERD: Final = "De gebruiker is geblokkeerd"
MESSAGE_STORING: Final = "De webservice is tijdelijk niet beschikbaar, probeer het later opnieuw"
MESSAGE_NIET_GEAUTORISEERD: Final = (
    "De gebruiker is niet geautoriseerd voor functie {function} (entiteit {entity})"
)


def invalid_input(message: str, *, close: bool = False) -> SandboxFault:
    """The ``ONGELDIGE_INVOER`` fault for a malformed request."""
    return SandboxFault("ONGELDIGE_INVOER", message, close=close)


# --- parameter types and their limits -------------------------------------------------------------

_GUID_RE = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)
_INT_RE = re.compile(r"[+-]?[0-9]+")
# xs:date: YYYY-MM-DD with an optional timezone, which is accepted and ignored.
_DATE_RE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})(?:Z|[+-][0-9]{2}:[0-9]{2})?")


def parse_guid(value: str, name: str) -> str:
    """A GUID in any case, returned in lower case (the form the sandbox data uses)."""
    value = value.strip()
    if not _GUID_RE.fullmatch(value):
        raise invalid_input(f"{name} is geen geldige GUID")
    return value.lower()


def parse_date(value: str, name: str) -> datetime.date:
    match = _DATE_RE.fullmatch(value.strip())
    if match is None:
        raise invalid_input(f"{name} is geen geldige datum (JJJJ-MM-DD)")
    try:
        return datetime.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError as exc:
        raise invalid_input(f"{name} is geen geldige datum (JJJJ-MM-DD)") from exc


def parse_int(value: str, name: str, minimum: int, maximum: int) -> int:
    value = value.strip()
    if not _INT_RE.fullmatch(value):
        raise invalid_input(f"{name} is geen geheel getal")
    number = int(value)
    if not minimum <= number <= maximum:
        raise invalid_input(f"{name} moet tussen {minimum} en {maximum} liggen")
    return number


def parse_year(value: str, name: str) -> int:
    return parse_int(value, name, 1, 9999)


def parse_period(value: str, name: str) -> int:
    # 53 covers weekly pay runs; monthly ones (the sandbox's) only use 1-12.
    return parse_int(value, name, 1, 53)


# --- operations -----------------------------------------------------------------------------------

ParameterParser = Callable[[str, str], Any]


@dataclass(frozen=True)
class Operation:
    """What the contract says about one operation: its parameters (in WSDL order) and its rights.

    ``function`` and ``entity`` are what the webservicepartij must be authorised for; ``None``
    for ``ControleerToegang``, which any valid webservicegebruiker may call.
    """

    parameters: tuple[tuple[str, ParameterParser, bool], ...]  # (element, parser, required)
    function: str | None
    entity: str | None


OPERATIONS: Final[dict[str, Operation]] = {
    "ControleerToegang": Operation((), None, None),
    "GeefWerkgevers": Operation((("Peildatum", parse_date, False),), "WERKGEVERS", "werkgever"),
    "GeefWerknemers": Operation(
        (("WerkgeverId", parse_guid, True), ("Peildatum", parse_date, False)),
        "WERKNEMERS",
        "persoon",
    ),
    "GeefDienstverbanden": Operation(
        (("WerkgeverId", parse_guid, True), ("WerknemerId", parse_guid, False)),
        "DIENSTVERBANDEN",
        "persoon",
    ),
    "GeefLoongegevens": Operation(
        (
            ("WerkgeverId", parse_guid, True),
            ("Jaar", parse_year, True),
            ("Periode", parse_period, False),
        ),
        "LOONGEGEVENS",
        "persoon",
    ),
    "GeefVerlof": Operation(
        (("WerkgeverId", parse_guid, True), ("Jaar", parse_year, True)), "VERLOF", "verlof"
    ),
}
