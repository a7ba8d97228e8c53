"""The contract logic of the Loket.nl sandbox: from SOAP request bytes to SOAP response bytes.

Contract: shared/docs/loket-webservice.md and ``locket_client/wsdl/loket-webservice-v1.wsdl``. This
module knows the envelope, the Authenticatie header, the operations and their parameters, the fault
codes and their order of precedence, and the response shapes in WSDL order; the HTTP layer around
it is :mod:`locket_client.sandbox.server`.

Request XML comes from the network, so it is parsed with every dangerous feature off and no DTD
allowed at all; every malformed request becomes the ``ONGELDIGE_INVOER`` fault. Request bodies
carry the password: nothing here logs them, and the request object hides it from ``repr``.

No Django imports: a benchmark script starts the sandbox without settings.
"""

from __future__ import annotations

import datetime
import hmac
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final
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
    "MELDING_STORING",
    "NAMESPACE",
    "SOAP_ENV_NAMESPACE",
    "LoketDienst",
    "LoketFout",
    "fault_xml",
    "ongeldige_invoer",
]

NAMESPACE: Final = "urn:salariskoppeling:loket-webservice:v1"
SOAP_ENV_NAMESPACE: Final = "http://schemas.xmlsoap.org/soap/envelope/"

_XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"
_XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>'

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
MELDING_STORING: Final = "De webservice is tijdelijk niet beschikbaar, probeer het later opnieuw"
_MELDING_NIET_GEAUTORISEERD: Final = (
    "De gebruiker is niet geautoriseerd voor functie {functie} (entiteit {entiteit})"
)


def ongeldige_invoer(melding: str, *, close: bool = False) -> LoketFout:
    """The ``ONGELDIGE_INVOER`` fault for a malformed request."""
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
        raise ongeldige_invoer("Een verzoek met een DTD of entiteitdeclaratie wordt niet verwerkt")
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
        raise ongeldige_invoer("Het verzoek is geen geldig XML-document") from exc
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise ongeldige_invoer("Een verzoek met een DTD of entiteitdeclaratie wordt niet verwerkt")
    return root


def _elementen(parent: etree._Element) -> list[etree._Element]:
    """The element children (the parser drops comments; processing instructions are skipped)."""
    return [child for child in parent if isinstance(child.tag, str)]


def _tekst(element: etree._Element, naam: str) -> str:
    if _elementen(element):
        raise ongeldige_invoer(f"{naam} mag geen elementen bevatten")
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
        raise ongeldige_invoer("Het verzoek is geen SOAP 1.1-envelop")
    headers = [c for c in _elementen(root) if c.tag == f"{{{SOAP_ENV_NAMESPACE}}}Header"]
    bodies = [c for c in _elementen(root) if c.tag == f"{{{SOAP_ENV_NAMESPACE}}}Body"]
    if len(bodies) != 1 or len(headers) > 1:
        raise ongeldige_invoer(
            "De SOAP-envelop moet precies een Body en hoogstens een Header hebben"
        )
    inhoud = _elementen(bodies[0])
    if len(inhoud) != 1:
        raise ongeldige_invoer("De SOAP-Body moet precies een operatie bevatten")
    operatie_element = inhoud[0]
    qname = etree.QName(operatie_element)
    if qname.namespace != NAMESPACE or qname.localname not in _OPERATIES:
        raise ongeldige_invoer("Onbekende operatie")
    operatie = qname.localname
    if soap_action is not None:
        actie = soap_action.strip()
        if len(actie) >= 2 and actie.startswith('"') and actie.endswith('"'):
            actie = actie[1:-1]
        if actie != f"{NAMESPACE}/{operatie}":
            raise ongeldige_invoer("De SOAPAction past niet bij de operatie")
    if not headers:
        raise ongeldige_invoer("De SOAP-Header met Authenticatie ontbreekt")
    authenticaties = [c for c in _elementen(headers[0]) if c.tag == f"{{{NAMESPACE}}}Authenticatie"]
    if len(authenticaties) != 1:
        raise ongeldige_invoer("De SOAP-Header moet precies een Authenticatie bevatten")
    velden = _elementen(authenticaties[0])
    verwacht = ("Omgevingscode", "Gebruikersnaam", "Wachtwoord")
    if [c.tag for c in velden] != [f"{{{NAMESPACE}}}{naam}" for naam in verwacht]:
        raise ongeldige_invoer(
            "Authenticatie moet Omgevingscode, Gebruikersnaam en Wachtwoord bevatten"
        )
    omgevingscode, gebruikersnaam, wachtwoord = (
        _tekst(veld, naam) for veld, naam in zip(velden, verwacht, strict=True)
    )
    return _Verzoek(operatie, omgevingscode, gebruikersnaam, wachtwoord, operatie_element)


def _guid(waarde: str, naam: str) -> str:
    waarde = waarde.strip()
    if not _GUID_RE.fullmatch(waarde):
        raise ongeldige_invoer(f"{naam} is geen geldige GUID")
    return waarde.lower()


def _datum(waarde: str, naam: str) -> datetime.date:
    match = _DATE_RE.fullmatch(waarde.strip())
    if match is None:
        raise ongeldige_invoer(f"{naam} is geen geldige datum (JJJJ-MM-DD)")
    try:
        return datetime.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError as exc:
        raise ongeldige_invoer(f"{naam} is geen geldige datum (JJJJ-MM-DD)") from exc


def _geheel_getal(waarde: str, naam: str, minimum: int, maximum: int) -> int:
    waarde = waarde.strip()
    if not _INT_RE.fullmatch(waarde):
        raise ongeldige_invoer(f"{naam} is geen geheel getal")
    getal = int(waarde)
    if not minimum <= getal <= maximum:
        raise ongeldige_invoer(f"{naam} moet tussen {minimum} en {maximum} liggen")
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
                raise ongeldige_invoer(f"{naam} ontbreekt")
            positie += 1
        else:
            raise ongeldige_invoer(f"Onverwacht element {qname.localname}")
        positie += 1
        if kind.get(_XSI_NIL) in ("true", "1") and not verplicht:
            continue
        waarden[naam] = parser(_tekst(kind, naam), naam)
    for naam, _parser, verplicht in operatie.parameters[positie:]:
        if verplicht:
            raise ongeldige_invoer(f"{naam} ontbreekt")
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
        """Answer one SOAP request or raise :class:`LoketFout`, checking in the contract's order."""
        verzoek = _lees_verzoek(body, soap_action)
        omgeving = sandbox_data().omgevingen.get(verzoek.omgevingscode)
        if omgeving is None:
            raise LoketFout("OMGEVING_ONBEKEND", _MELDING_OMGEVING_ONBEKEND)
        if omgeving.gedrag == "storing":
            raise LoketFout("STORING", MELDING_STORING)
        if omgeving.gedrag == "traag":
            # An Event instead of time.sleep, so that stopping the server releases slow requests.
            self._stopping.wait(self.traag_delay)
        gegevens = omgeving.gegevens
        gebruiker = self._inloggen(gegevens, verzoek.gebruikersnaam, verzoek.wachtwoord)
        operatie = _OPERATIES[verzoek.operatie]
        if not self._geautoriseerd(gebruiker, operatie):
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
    def _geautoriseerd(gebruiker: Gebruiker, operatie: _Operatie) -> bool:
        """Whether the user's webservicepartij has the operation's function *and* entity.

        ControleerToegang checks neither: any valid webservicegebruiker may call it.
        """
        if operatie.functie is None or operatie.entiteit is None:
            return True
        return operatie.functie in gebruiker.functies and operatie.entiteit in gebruiker.entiteiten

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
