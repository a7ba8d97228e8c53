"""The Loket.nl sandbox: a real HTTP SOAP 1.1 server speaking "Loket.nl webservice v1".

Contract: shared/docs/loket-webservice.md and ``locket_client/wsdl/loket-webservice-v1.wsdl``. The
sandbox is what the portal's client, its tests and the benchmarks talk to over real HTTP, so it
keeps to the contract to the letter: the fault codes, their order of precedence, the response
shapes in WSDL order, and the fixed data of :mod:`locket_client.sandbox.data`.

It is also an HTTP endpoint that parses XML from the network, so it is hardened like one: a 1 MiB
body limit, no DTDs or entities at all, no network access from the parser, and every malformed
request answered with the ``ONGELDIGE_INVOER`` fault instead of a traceback. Request bodies carry the
password, so nothing here ever logs a body.

No Django imports: a benchmark script starts the sandbox without settings.
"""

from __future__ import annotations

import datetime
import hmac
import http
import logging
import re
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any, Final, Self
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

from lxml import etree

from locket_client.sandbox.data import (
    Dienstverband,
    Gebruiker,
    Gegevens,
    Loongegevens,
    Verlof,
    Werkgever,
    Werknemer,
    sandbox_data,
)

__all__ = [
    "MAX_BODY_BYTES",
    "NAMESPACE",
    "SOAP_ENV_NAMESPACE",
    "SOAP_PATH",
    "SandboxServer",
    "serve_forever",
    "start_sandbox",
]

logger = logging.getLogger("locket_client.sandbox")

NAMESPACE: Final = "urn:salariskoppeling:loket-webservice:v1"
SOAP_ENV_NAMESPACE: Final = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP_PATH: Final = "/loket/soap"
#: Largest request body read; anything bigger is refused without reading it.
MAX_BODY_BYTES: Final = 1024 * 1024
#: Seconds a connection may stay silent (keep-alive idle or a stalled body) before it is closed.
CONNECTION_TIMEOUT: Final = 60.0

WSDL_PATH: Final = Path(__file__).resolve().parent.parent / "wsdl" / "loket-webservice-v1.wsdl"

_XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"
_WSDL_SOAP_ADDRESS = "{http://schemas.xmlsoap.org/wsdl/soap/}address"
_XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>'
_CONTENT_TYPE = "text/xml; charset=utf-8"

# A DTD (and so any entity declaration) is refused before parsing. The needles are also checked
# in UTF-16, because the document may declare that encoding and hide ASCII needles that way.
_VERBODEN_MARKERS: Final = tuple(
    needle.encode(codec)
    for needle in ("<!DOCTYPE", "<!ENTITY", "<!doctype", "<!entity")
    for codec in ("ascii", "utf-16-le", "utf-16-be")
)

_GUID_RE = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)
_INT_RE = re.compile(r"[+-]?[0-9]+")
# xs:date: YYYY-MM-DD with an optional timezone, which is accepted and ignored.
_DATE_RE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})(?:Z|[+-][0-9]{2}:[0-9]{2})?")


# --- faults ---------------------------------------------------------------------------------------


class LoketFout(Exception):
    """A contract fault; the handler turns it into a SOAP 1.1 Fault with ``detail/LoketFout``.

    ``close`` asks the handler to close the connection after answering, for requests whose body
    was not (fully) read and so cannot be skipped on a keep-alive connection.
    """

    def __init__(self, code: str, melding: str, *, close: bool = False) -> None:
        super().__init__(f"{code}: {melding}")
        self.code = code
        self.melding = melding
        self.close = close


_SERVER_FAULTS: Final = frozenset({"STORING"})

_MELDING_OMGEVING_ONBEKEND: Final = "De omgevingscode is onbekend"
_MELDING_INLOG_ONGELDIG: Final = "De gebruikersnaam of het wachtwoord is onjuist"
_MELDING_GEEN_WEBSERVICEGEBRUIKER: Final = "De gebruiker is geen webservicegebruiker"
_MELDING_GEBLOKKEERD: Final = "De gebruiker is geblokkeerd"
_MELDING_STORING: Final = "De webservice is tijdelijk niet beschikbaar, probeer het later opnieuw"
_MELDING_NIET_GEAUTORISEERD: Final = (
    "De gebruiker is niet geautoriseerd voor functie {functie} (entiteit {entiteit})"
)


def _ongeldig(melding: str, *, close: bool = False) -> LoketFout:
    return LoketFout("ONGELDIGE_INVOER", melding, close=close)


def fault_xml(code: str, melding: str) -> bytes:
    """The complete SOAP 1.1 Fault envelope for a contract fault.

    ``faultstring`` carries the Dutch melding too, so a generic SOAP client that only shows the
    faultstring still tells the user what went wrong. The bytes depend on code and melding only,
    which is what makes the ``INLOG_ONGELDIG`` answers for an unknown user and a wrong password
    identical.
    """
    faultcode = "soap:Server" if code in _SERVER_FAULTS else "soap:Client"
    melding_xml = escape(melding)
    return (
        f"{_XML_DECLARATION}"
        f'<soap:Envelope xmlns:soap="{SOAP_ENV_NAMESPACE}"><soap:Body><soap:Fault>'
        f"<faultcode>{faultcode}</faultcode><faultstring>{melding_xml}</faultstring>"
        f'<detail><LoketFout xmlns="{NAMESPACE}"><Code>{escape(code)}</Code>'
        f"<Melding>{melding_xml}</Melding></LoketFout></detail>"
        f"</soap:Fault></soap:Body></soap:Envelope>"
    ).encode()


# --- request parsing ------------------------------------------------------------------------------


def _parse_xml(body: bytes) -> etree._Element:
    """Parse a request body with every XML feature an attacker could use switched off.

    Any DOCTYPE is refused (before parsing by a byte scan, after parsing by the docinfo), which
    also refuses entity declarations, billion laughs and external entities: a SOAP message has no
    business carrying a DTD (SOAP 1.1, section 3).
    """
    if any(marker in body for marker in _VERBODEN_MARKERS):
        raise _ongeldig("Een verzoek met een DTD of entiteitdeclaratie wordt niet verwerkt")
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
    )
    try:
        root = etree.fromstring(body, parser)
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise _ongeldig("Het verzoek is geen geldig XML-document") from exc
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise _ongeldig("Een verzoek met een DTD of entiteitdeclaratie wordt niet verwerkt")
    return root


def _elementen(parent: etree._Element) -> list[etree._Element]:
    """The element children (comments are removed by the parser; processing instructions skipped)."""
    return [child for child in parent if isinstance(child.tag, str)]


def _tekst(element: etree._Element, naam: str) -> str:
    if _elementen(element):
        raise _ongeldig(f"{naam} mag geen elementen bevatten")
    return element.text or ""


@dataclass(frozen=True)
class _Verzoek:
    """A structurally valid SOAP request: operation, credentials and the operation element."""

    operatie: str
    omgevingscode: str
    gebruikersnaam: str
    wachtwoord: str
    element: etree._Element

    def __repr__(self) -> str:
        # Never show the password, not even in a traceback.
        return f"_Verzoek(operatie={self.operatie!r}, gebruikersnaam={self.gebruikersnaam!r})"


def _lees_verzoek(body: bytes, soap_action: str | None) -> _Verzoek:
    """Check the envelope, the operation, the SOAPAction and the Authenticatie header structure."""
    root = _parse_xml(body)
    if root.tag != f"{{{SOAP_ENV_NAMESPACE}}}Envelope":
        raise _ongeldig("Het verzoek is geen SOAP 1.1-envelop")
    headers = [c for c in _elementen(root) if c.tag == f"{{{SOAP_ENV_NAMESPACE}}}Header"]
    bodies = [c for c in _elementen(root) if c.tag == f"{{{SOAP_ENV_NAMESPACE}}}Body"]
    if len(bodies) != 1 or len(headers) > 1:
        raise _ongeldig("De SOAP-envelop moet precies een Body en hoogstens een Header hebben")
    inhoud = _elementen(bodies[0])
    if len(inhoud) != 1:
        raise _ongeldig("De SOAP-Body moet precies een operatie bevatten")
    operatie_element = inhoud[0]
    qname = etree.QName(operatie_element)
    if qname.namespace != NAMESPACE or qname.localname not in _OPERATIES:
        raise _ongeldig("Onbekende operatie")
    operatie = qname.localname
    if soap_action is not None:
        actie = soap_action.strip()
        if len(actie) >= 2 and actie.startswith('"') and actie.endswith('"'):
            actie = actie[1:-1]
        if actie != f"{NAMESPACE}/{operatie}":
            raise _ongeldig("De SOAPAction past niet bij de operatie")
    if not headers:
        raise _ongeldig("De SOAP-Header met Authenticatie ontbreekt")
    authenticaties = [c for c in _elementen(headers[0]) if c.tag == f"{{{NAMESPACE}}}Authenticatie"]
    if len(authenticaties) != 1:
        raise _ongeldig("De SOAP-Header moet precies een Authenticatie bevatten")
    velden = _elementen(authenticaties[0])
    verwacht = ("Omgevingscode", "Gebruikersnaam", "Wachtwoord")
    if [c.tag for c in velden] != [f"{{{NAMESPACE}}}{naam}" for naam in verwacht]:
        raise _ongeldig("Authenticatie moet Omgevingscode, Gebruikersnaam en Wachtwoord bevatten")
    omgevingscode, gebruikersnaam, wachtwoord = (
        _tekst(veld, naam) for veld, naam in zip(velden, verwacht, strict=True)
    )
    return _Verzoek(operatie, omgevingscode, gebruikersnaam, wachtwoord, operatie_element)


def _guid(waarde: str, naam: str) -> str:
    waarde = waarde.strip()
    if not _GUID_RE.fullmatch(waarde):
        raise _ongeldig(f"{naam} is geen geldige GUID")
    return waarde.lower()


def _datum(waarde: str, naam: str) -> datetime.date:
    match = _DATE_RE.fullmatch(waarde.strip())
    if match is None:
        raise _ongeldig(f"{naam} is geen geldige datum (JJJJ-MM-DD)")
    try:
        return datetime.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError as exc:
        raise _ongeldig(f"{naam} is geen geldige datum (JJJJ-MM-DD)") from exc


def _geheel_getal(waarde: str, naam: str, minimum: int, maximum: int) -> int:
    waarde = waarde.strip()
    if not _INT_RE.fullmatch(waarde):
        raise _ongeldig(f"{naam} is geen geheel getal")
    getal = int(waarde)
    if not minimum <= getal <= maximum:
        raise _ongeldig(f"{naam} moet tussen {minimum} en {maximum} liggen")
    return getal


def _jaar(waarde: str, naam: str) -> int:
    return _geheel_getal(waarde, naam, 1, 9999)


def _periode(waarde: str, naam: str) -> int:
    # 53 covers weekly pay runs; monthly ones (the sandbox's) only use 1-12.
    return _geheel_getal(waarde, naam, 1, 53)


_Parser = Callable[[str, str], Any]


@dataclass(frozen=True)
class _Operatie:
    """What the contract says about one operation: its parameters (in WSDL order) and its rights."""

    parameters: tuple[tuple[str, _Parser, bool], ...]  # (element, parser, required)
    functie: str | None
    entiteit: str | None


_OPERATIES: Final[dict[str, _Operatie]] = {
    "ControleerToegang": _Operatie((), None, None),
    "GeefWerkgevers": _Operatie((("Peildatum", _datum, False),), "WERKGEVERS", "werkgever"),
    "GeefWerknemers": _Operatie(
        (("WerkgeverId", _guid, True), ("Peildatum", _datum, False)), "WERKNEMERS", "persoon"
    ),
    "GeefDienstverbanden": _Operatie(
        (("WerkgeverId", _guid, True), ("WerknemerId", _guid, False)), "DIENSTVERBANDEN", "persoon"
    ),
    "GeefLoongegevens": _Operatie(
        (("WerkgeverId", _guid, True), ("Jaar", _jaar, True), ("Periode", _periode, False)),
        "LOONGEGEVENS",
        "persoon",
    ),
    "GeefVerlof": _Operatie(
        (("WerkgeverId", _guid, True), ("Jaar", _jaar, True)), "VERLOF", "verlof"
    ),
}


def _lees_parameters(element: etree._Element, operatie: _Operatie) -> dict[str, Any]:
    """Validate the operation's children against its WSDL sequence: order, presence, types.

    Unknown or repeated children are refused rather than ignored, so a client sending something
    the contract does not know learns it at once. An optional child with ``xsi:nil="true"`` counts
    as absent.
    """
    waarden: dict[str, Any] = {}
    positie = 0
    for kind in _elementen(element):
        qname = etree.QName(kind)
        while positie < len(operatie.parameters):
            naam, parser, verplicht = operatie.parameters[positie]
            if qname.namespace == NAMESPACE and qname.localname == naam:
                break
            if verplicht:
                raise _ongeldig(f"{naam} ontbreekt")
            positie += 1
        else:
            raise _ongeldig(f"Onverwacht element {qname.localname}")
        positie += 1
        if kind.get(_XSI_NIL) in ("true", "1") and not verplicht:
            continue
        waarden[naam] = parser(_tekst(kind, naam), naam)
    for naam, _parser, verplicht in operatie.parameters[positie:]:
        if verplicht:
            raise _ongeldig(f"{naam} ontbreekt")
    return waarden


# --- response building ----------------------------------------------------------------------------


def _dec(waarde: Decimal) -> str:
    return f"{waarde.quantize(Decimal('0.01')):f}"


def _el(naam: str, waarde: str | int | Decimal | datetime.date | bool | None) -> str:
    """One child element in the contract's lexical forms; absent optional values are omitted."""
    if waarde is None:
        return ""
    if isinstance(waarde, bool):
        tekst = "true" if waarde else "false"
    elif isinstance(waarde, Decimal):
        tekst = _dec(waarde)
    elif isinstance(waarde, datetime.date):
        tekst = waarde.isoformat()
    elif isinstance(waarde, int):
        tekst = str(waarde)
    else:
        tekst = escape(waarde)
    return f"<{naam}>{tekst}</{naam}>"


def _werkgever_xml(w: Werkgever) -> str:
    return "".join(
        (
            "<Werkgever>",
            _el("WerkgeverId", w.werkgever_id),
            _el("Werkgevernummer", w.werkgevernummer),
            _el("Naam", w.naam),
            _el("KvkNummer", w.kvk_nummer),
            *(_el("Loonheffingennummer", nummer) for nummer in w.loonheffingennummers),
            _el("Actief", w.actief),
            "</Werkgever>",
        )
    )


def _werknemer_xml(w: Werknemer) -> str:
    return "".join(
        (
            "<Werknemer>",
            _el("WerknemerId", w.werknemer_id),
            _el("WerkgeverId", w.werkgever_id),
            _el("Werknemernummer", w.werknemernummer),
            _el("Bsn", w.bsn),
            _el("Voorletters", w.voorletters),
            _el("Voorvoegsel", w.voorvoegsel),
            _el("Achternaam", w.achternaam),
            _el("Geboortedatum", w.geboortedatum),
            _el("Geslacht", w.geslacht),
            "</Werknemer>",
        )
    )


def _dienstverband_xml(d: Dienstverband) -> str:
    return "".join(
        (
            "<Dienstverband>",
            _el("DienstverbandId", d.dienstverband_id),
            _el("WerknemerId", d.werknemer_id),
            _el("Inkomstenverhoudingnummer", d.inkomstenverhoudingnummer),
            _el("Begindatum", d.begindatum),
            _el("Einddatum", d.einddatum),
            _el("SoortContract", d.soort_contract),
            _el("UrenPerWeek", d.uren_per_week),
            "</Dienstverband>",
        )
    )


def _loongegevens_xml(lg: Loongegevens) -> str:
    return "".join(
        (
            "<Loongegevens>",
            _el("DienstverbandId", lg.dienstverband_id),
            _el("Jaar", lg.jaar),
            _el("Periode", lg.periode),
            _el("Verloningsperiode", lg.verloningsperiode),
            _el("Brutoloon", lg.brutoloon),
            _el("SvLoon", lg.sv_loon),
            _el("FiscaalLoon", lg.fiscaal_loon),
            _el("Vakantiegeld", lg.vakantiegeld),
            _el("VerloondeUren", lg.verloonde_uren),
            "</Loongegevens>",
        )
    )


def _verlof_xml(v: Verlof) -> str:
    return "".join(
        (
            "<Verlof>",
            _el("DienstverbandId", v.dienstverband_id),
            _el("Jaar", v.jaar),
            _el("Verlofsoort", v.verlofsoort),
            _el("Opgebouwd", v.opgebouwd),
            _el("Opgenomen", v.opgenomen),
            _el("Saldo", v.saldo),
            "</Verlof>",
        )
    )


def _antwoord(operatie: str, fragmenten: Iterable[str]) -> bytes:
    """Wrap the response children in ``<Operation>Response`` (default namespace = contract)."""
    return "".join(
        (
            _XML_DECLARATION,
            f'<soap:Envelope xmlns:soap="{SOAP_ENV_NAMESPACE}"><soap:Body>',
            f'<{operatie}Response xmlns="{NAMESPACE}">',
            *fragmenten,
            f"</{operatie}Response></soap:Body></soap:Envelope>",
        )
    ).encode()


# --- the service ----------------------------------------------------------------------------------


class LoketDienst:
    """The webservice behind the HTTP layer: from request bytes to response bytes.

    Separate from the handler so that the contract logic reads top to bottom in
    :meth:`verwerk`, in the contract's order of checks.
    """

    def __init__(self, *, traag_delay: float, stopping: threading.Event) -> None:
        self.traag_delay = traag_delay
        self._stopping = stopping
        # Serialized GeefWerkgevers answers per (data set, user): the data is fixed, and ws-groot's
        # 10,000 werkgevers are the benchmark's hot path. Plain dict: a race only builds twice.
        self._werkgevers_cache: dict[tuple[str, str], bytes] = {}

    def verwerk(self, body: bytes, soap_action: str | None) -> bytes:
        """Answer one SOAP request or raise :class:`LoketFout`; the order of checks is contractual."""
        verzoek = _lees_verzoek(body, soap_action)
        omgeving = sandbox_data().omgevingen.get(verzoek.omgevingscode)
        if omgeving is None:
            raise LoketFout("OMGEVING_ONBEKEND", _MELDING_OMGEVING_ONBEKEND)
        if omgeving.gedrag == "storing":
            raise LoketFout("STORING", _MELDING_STORING)
        if omgeving.gedrag == "traag":
            # An Event instead of time.sleep, so that stopping the server releases slow requests.
            self._stopping.wait(self.traag_delay)
        gegevens = omgeving.gegevens
        gebruiker = self._inloggen(gegevens, verzoek.gebruikersnaam, verzoek.wachtwoord)
        operatie = _OPERATIES[verzoek.operatie]
        if operatie.functie is not None and operatie.entiteit is not None:
            if (
                operatie.functie not in gebruiker.functies
                or operatie.entiteit not in gebruiker.entiteiten
            ):
                raise LoketFout(
                    "NIET_GEAUTORISEERD",
                    _MELDING_NIET_GEAUTORISEERD.format(
                        functie=operatie.functie, entiteit=operatie.entiteit
                    ),
                )
        parameters = _lees_parameters(verzoek.element, operatie)
        match verzoek.operatie:
            case "ControleerToegang":
                return self._controleer_toegang(gebruiker)
            case "GeefWerkgevers":
                return self._geef_werkgevers(gegevens, gebruiker)
            case "GeefWerknemers":
                return self._geef_werknemers(gegevens, gebruiker, **parameters)
            case "GeefDienstverbanden":
                return self._geef_dienstverbanden(gegevens, gebruiker, **parameters)
            case "GeefLoongegevens":
                return self._geef_loongegevens(gegevens, gebruiker, **parameters)
            case "GeefVerlof":
                return self._geef_verlof(gegevens, gebruiker, **parameters)
        raise AssertionError(verzoek.operatie)  # pragma: no cover - _OPERATIES is exhaustive

    @staticmethod
    def _inloggen(gegevens: Gegevens, gebruikersnaam: str, wachtwoord: str) -> Gebruiker:
        """Authenticate, then check the kind of user and whether it is blocked (in that order).

        An unknown user and a wrong password give the same fault, and both still compare a
        password in constant time, so neither the answer nor its timing tells which it was.
        """
        gebruiker = gegevens.gebruikers.get(gebruikersnaam)
        verwacht = gebruiker.wachtwoord if gebruiker is not None else "\x00onbekende-gebruiker"
        wachtwoord_klopt = hmac.compare_digest(wachtwoord.encode(), verwacht.encode())
        if gebruiker is None or not wachtwoord_klopt:
            raise LoketFout("INLOG_ONGELDIG", _MELDING_INLOG_ONGELDIG)
        if not gebruiker.is_webservicegebruiker:
            raise LoketFout("GEEN_WEBSERVICEGEBRUIKER", _MELDING_GEEN_WEBSERVICEGEBRUIKER)
        if gebruiker.geblokkeerd:
            raise LoketFout("GEBRUIKER_GEBLOKKEERD", _MELDING_GEBLOKKEERD)
        return gebruiker

    @staticmethod
    def _zichtbare_werkgever(gegevens: Gegevens, gebruiker: Gebruiker, werkgever_id: str) -> str:
        """The werkgever's id if the user sees it through a team; otherwise ``NIET_GEVONDEN``.

        Existing-but-unlinked and non-existent werkgevers give the same answer, so the fault
        reveals nothing about other offices' werkgevers.
        """
        if werkgever_id not in gebruiker.team or werkgever_id not in gegevens.werkgevers_per_id:
            raise LoketFout("NIET_GEVONDEN", "De werkgever is niet gevonden")
        return werkgever_id

    @staticmethod
    def _controleer_toegang(gebruiker: Gebruiker) -> bytes:
        return _antwoord(
            "ControleerToegang",
            (
                _el("Gebruikersnaam", gebruiker.gebruikersnaam),
                _el("Webservicepartij", gebruiker.webservicepartij),
                *(_el("Functie", functie) for functie in gebruiker.functies),
                *(_el("Entiteit", entiteit) for entiteit in gebruiker.entiteiten),
            ),
        )

    def _geef_werkgevers(self, gegevens: Gegevens, gebruiker: Gebruiker) -> bytes:
        # Peildatum is validated but does not filter: every sandbox werkgever is active.
        sleutel = (gegevens.sleutel, gebruiker.gebruikersnaam)
        antwoord = self._werkgevers_cache.get(sleutel)
        if antwoord is None:
            antwoord = _antwoord(
                "GeefWerkgevers",
                (
                    _werkgever_xml(werkgever)
                    for werkgever in gegevens.werkgevers
                    if werkgever.werkgever_id in gebruiker.team
                ),
            )
            self._werkgevers_cache[sleutel] = antwoord
        return antwoord

    def _geef_werknemers(
        self,
        gegevens: Gegevens,
        gebruiker: Gebruiker,
        *,
        WerkgeverId: str,  # noqa: N803 - named after the contract element
        Peildatum: datetime.date | None = None,  # noqa: N803
    ) -> bytes:
        werkgever_id = self._zichtbare_werkgever(gegevens, gebruiker, WerkgeverId)
        werknemers = gegevens.werknemers_per_werkgever.get(werkgever_id, ())
        if Peildatum is not None:
            actief = {
                d.werknemer_id
                for d in gegevens.dienstverbanden_per_werkgever.get(werkgever_id, ())
                if d.actief_op(Peildatum)
            }
            werknemers = tuple(w for w in werknemers if w.werknemer_id in actief)
        return _antwoord("GeefWerknemers", map(_werknemer_xml, werknemers))

    def _geef_dienstverbanden(
        self,
        gegevens: Gegevens,
        gebruiker: Gebruiker,
        *,
        WerkgeverId: str,  # noqa: N803 - named after the contract element
        WerknemerId: str | None = None,  # noqa: N803
    ) -> bytes:
        werkgever_id = self._zichtbare_werkgever(gegevens, gebruiker, WerkgeverId)
        dienstverbanden = gegevens.dienstverbanden_per_werkgever.get(werkgever_id, ())
        if WerknemerId is not None:
            werknemers = gegevens.werknemers_per_werkgever.get(werkgever_id, ())
            if all(w.werknemer_id != WerknemerId for w in werknemers):
                raise LoketFout("NIET_GEVONDEN", "De werknemer is niet gevonden")
            dienstverbanden = tuple(d for d in dienstverbanden if d.werknemer_id == WerknemerId)
        return _antwoord("GeefDienstverbanden", map(_dienstverband_xml, dienstverbanden))

    def _geef_loongegevens(
        self,
        gegevens: Gegevens,
        gebruiker: Gebruiker,
        *,
        WerkgeverId: str,  # noqa: N803 - named after the contract element
        Jaar: int,  # noqa: N803
        Periode: int | None = None,  # noqa: N803
    ) -> bytes:
        werkgever_id = self._zichtbare_werkgever(gegevens, gebruiker, WerkgeverId)
        loongegevens = (
            lg
            for lg in gegevens.loongegevens_per_werkgever.get(werkgever_id, ())
            if lg.jaar == Jaar and (Periode is None or lg.periode == Periode)
        )
        return _antwoord("GeefLoongegevens", map(_loongegevens_xml, loongegevens))

    def _geef_verlof(
        self,
        gegevens: Gegevens,
        gebruiker: Gebruiker,
        *,
        WerkgeverId: str,  # noqa: N803 - named after the contract element
        Jaar: int,  # noqa: N803
    ) -> bytes:
        werkgever_id = self._zichtbare_werkgever(gegevens, gebruiker, WerkgeverId)
        verlof = (v for v in gegevens.verlof_per_werkgever.get(werkgever_id, ()) if v.jaar == Jaar)
        return _antwoord("GeefVerlof", map(_verlof_xml, verlof))


# --- HTTP -----------------------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    """HTTP/1.1 with keep-alive: a benchmark measures client latency over reused connections."""

    protocol_version = "HTTP/1.1"
    server_version = "LoketSandbox/1.0"
    sys_version = ""
    timeout = CONNECTION_TIMEOUT
    # Headers and a small body leave in one write, and no Nagle/delayed-ACK stall on keep-alive.
    disable_nagle_algorithm = True
    wbufsize = -1
    server: SandboxServer

    # -- logging: request line and status only; bodies hold the password and are never logged --

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - signature of the base
        logger.debug("%s %s", self.address_string(), format % args)

    # -- methods --

    def __getattr__(self, name: str) -> Any:
        # BaseHTTPRequestHandler answers 501 for a method without a do_<METHOD>; the contract
        # wants 405 for every method other than GET (WSDL) and POST (SOAP) on a known path.
        if name.startswith("do_"):
            return self._niet_toegestaan
        raise AttributeError(name)

    def do_GET(self) -> None:
        deel = urlsplit(self.path)
        if deel.path != SOAP_PATH:
            self._tekst_antwoord(http.HTTPStatus.NOT_FOUND, "Niet gevonden")
        elif deel.query.lower() in ("wsdl", "wsdl="):
            self._verstuur(http.HTTPStatus.OK, self.server.wsdl_bytes)
        else:
            self._niet_toegestaan()

    def do_POST(self) -> None:
        if urlsplit(self.path).path != SOAP_PATH:
            self._tekst_antwoord(http.HTTPStatus.NOT_FOUND, "Niet gevonden")
            return
        try:
            body = self._lees_body()
            if body is None:  # the client stalled or went away mid-body: nothing to answer
                return
            antwoord = self.server.dienst.verwerk(body, self.headers.get("SOAPAction"))
        except LoketFout as fout:
            if fout.close:
                self.close_connection = True
            self._verstuur(
                http.HTTPStatus.INTERNAL_SERVER_ERROR, fault_xml(fout.code, fout.melding)
            )
            return
        except Exception:
            # The sandbox never crashes and never shows a traceback to the client; the log gets
            # the traceback, but never the body (it holds the password).
            logger.exception("Onverwachte fout in de Loket.nl-sandbox bij %s", self.requestline)
            self._verstuur(
                http.HTTPStatus.INTERNAL_SERVER_ERROR, fault_xml("STORING", _MELDING_STORING)
            )
            return
        self._verstuur(http.HTTPStatus.OK, antwoord)

    def handle_expect_100(self) -> bool:
        # Do not invite a body that will be refused unread (too big or of unknown length).
        if self._content_length() is None:
            return True
        return super().handle_expect_100()

    # -- helpers --

    def _content_length(self) -> int | None:
        """The declared body length if it is usable: one header, digits only, within the limit."""
        waarden = self.headers.get_all("Content-Length") or []
        if len(waarden) != 1 or self.headers.get("Transfer-Encoding") is not None:
            return None
        waarde = waarden[0].strip()
        if not waarde.isascii() or not waarde.isdigit():
            return None
        lengte = int(waarde)
        return lengte if lengte <= MAX_BODY_BYTES else None

    def _lees_body(self) -> bytes | None:
        """Read exactly Content-Length bytes, never more than :data:`MAX_BODY_BYTES`.

        A missing, invalid or too large length is refused without reading the body; the
        connection is then closed, since the unread body cannot be skipped safely.
        """
        lengte = self._content_length()
        if lengte is None:
            raise _ongeldig(
                "Het verzoek heeft geen geldige Content-Length of is groter dan 1 MiB", close=True
            )
        try:
            body = self.rfile.read(lengte)
        except (TimeoutError, OSError):
            logger.debug("Body van %s niet (volledig) ontvangen", self.address_string())
            self.close_connection = True
            return None
        if len(body) != lengte:
            self.close_connection = True
            return None
        return body

    def _niet_toegestaan(self) -> None:
        if urlsplit(self.path).path != SOAP_PATH:
            self._tekst_antwoord(http.HTTPStatus.NOT_FOUND, "Niet gevonden")
        else:
            self._tekst_antwoord(
                http.HTTPStatus.METHOD_NOT_ALLOWED, "Methode niet toegestaan", allow="GET, POST"
            )

    def _tekst_antwoord(
        self, status: http.HTTPStatus, tekst: str, *, allow: str | None = None
    ) -> None:
        # Not a SOAP answer, and any request body was left unread: close the connection.
        self.close_connection = True
        self._verstuur(status, f"{tekst}\n".encode(), content_type="text/plain; charset=utf-8",
                       allow=allow)  # fmt: skip

    def _verstuur(
        self,
        status: http.HTTPStatus,
        body: bytes,
        *,
        content_type: str = _CONTENT_TYPE,
        allow: str | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if allow is not None:
            self.send_header("Allow", allow)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


class SandboxServer(ThreadingHTTPServer):
    """The sandbox's HTTP server: one daemon thread per connection, open connections tracked.

    Start it with :func:`start_sandbox` (background thread) or :func:`serve_forever` (blocking).
    ``url`` and ``wsdl_url`` use the bound address (so port 0 gives the real port), never a Host
    header.
    """

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, *, traag_delay: float = 20.0
    ) -> None:
        if ":" in host:
            self.address_family = socket.AF_INET6
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._verbindingen: set[socket.socket] = set()
        self._thread: threading.Thread | None = None
        self._gestopt = False
        self.dienst = LoketDienst(traag_delay=traag_delay, stopping=self._stopping)
        super().__init__((host, port), _Handler)
        try:
            bound_host, bound_port = self.server_address[:2]
            host_in_url = f"[{bound_host}]" if ":" in str(bound_host) else str(bound_host)
            self.url = f"http://{host_in_url}:{bound_port}{SOAP_PATH}"
            self.wsdl_url = f"{self.url}?wsdl"
            self.wsdl_bytes = _wsdl_met_adres(self.url)
            sandbox_data()  # build the data now rather than during the first (timed) request
        except BaseException:
            self.server_close()
            raise

    @property
    def traag_delay(self) -> float:
        """Seconds the ``TRAAG`` environment waits before answering."""
        return self.dienst.traag_delay

    def start(self) -> Self:
        """Serve in a daemon thread; returns the server itself."""
        with self._lock:
            if self._gestopt:
                raise RuntimeError("De sandbox is al gestopt")
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self.serve_forever,
                    kwargs={"poll_interval": 0.1},
                    name=f"loket-sandbox-{self.server_address[1]}",
                    daemon=True,
                )
                self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, release slow requests, close the socket and open connections. Idempotent."""
        with self._lock:
            if self._gestopt:
                return
            self._gestopt = True
            thread = self._thread
        self._stopping.set()
        if thread is not None:
            self.shutdown()  # only with a running loop: shutdown() waits for it to exit
            thread.join(timeout=5)
        self.server_close()
        with self._lock:
            verbindingen = list(self._verbindingen)
        for verbinding in verbindingen:
            # Wakes the handler threads blocked on idle keep-alive connections.
            try:
                verbinding.shutdown(socket.SHUT_RDWR)
            except OSError:
                logger.debug("Verbinding was al gesloten")

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- socketserver hooks --

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._lock:
            self._verbindingen.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._lock:
            self._verbindingen.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # The default prints a traceback to stderr. A client hanging up is routine; anything
        # else is a bug worth an error in the log.
        if isinstance(__import__("sys").exc_info()[1], OSError):
            logger.debug("Verbinding met %s afgebroken", client_address[0])
        else:
            logger.exception("Fout bij het afhandelen van een verbinding van %s", client_address[0])


def _wsdl_met_adres(url: str) -> bytes:
    """The shipped WSDL with every ``soap:address`` pointing at this server."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    tree = etree.parse(str(WSDL_PATH), parser)
    for address in tree.iter(_WSDL_SOAP_ADDRESS):
        address.set("location", url)
    return etree.tostring(tree, xml_declaration=True, encoding="utf-8")


def start_sandbox(
    host: str = "127.0.0.1", port: int = 0, traag_delay: float = 20.0
) -> SandboxServer:
    """Start the sandbox in a daemon thread (port 0: a free port) and return the running server.

    Use as a context manager, or call ``stop()``, to shut it down.
    """
    return SandboxServer(host, port, traag_delay=traag_delay).start()


def serve_forever(
    host: str,
    port: int,
    traag_delay: float,
    *,
    on_ready: Callable[[SandboxServer], None] | None = None,
) -> None:
    """Serve until KeyboardInterrupt or SIGTERM, then stop cleanly (for the management command).

    ``on_ready`` is called with the bound server before blocking, e.g. to announce its URL.
    """
    gestopt = threading.Event()
    vorige_handler: Any = None
    in_main_thread = threading.current_thread() is threading.main_thread()

    def bij_sigterm(signum: int, frame: FrameType | None) -> None:
        gestopt.set()

    with SandboxServer(host, port, traag_delay=traag_delay) as server:
        if in_main_thread:
            vorige_handler = signal.signal(signal.SIGTERM, bij_sigterm)
        try:
            server.start()
            if on_ready is not None:
                on_ready(server)
            logger.info("Loket.nl-sandbox luistert op %s", server.url)
            # A timed wait keeps the main thread responsive to KeyboardInterrupt.
            while not gestopt.wait(0.5):
                pass
        except KeyboardInterrupt:
            logger.info("Loket.nl-sandbox gestopt")
        finally:
            if in_main_thread:
                signal.signal(signal.SIGTERM, vorige_handler)


# Referenced so linters keep the import; time is handy for callers measuring TRAAG.
_ = time
