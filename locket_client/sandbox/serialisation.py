"""The sandbox's XML: requests parsed safely and checked against the contract, answers and SOAP
faults built as bytes.

Request XML comes from the network, so it is parsed with every dangerous feature off and no DTD
allowed at all; every malformed request becomes the ``ONGELDIGE_INVOER`` fault. Request bodies
carry the password: nothing here logs them, and :class:`ParsedRequest` hides it from ``repr``.

Answers are written as strings in the contract's lexical forms and WSDL order, not through a
serialiser: the bytes depend on the data only, which is what the tests compare and what makes
cached answers possible.

No Django imports: a benchmark script starts the sandbox without settings.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final
from xml.sax.saxutils import escape

from lxml import etree

from locket_client.sandbox.contract import (
    NAMESPACE,
    OPERATIONS,
    SERVER_FAULTS,
    SOAP_ENV_NAMESPACE,
    Operation,
    invalid_input,
)
from locket_client.sandbox.model import Dienstverband, Loongegevens, Verlof, Werkgever, Werknemer

__all__ = [
    "ParsedRequest",
    "answer_xml",
    "dienstverband_xml",
    "element",
    "fault_xml",
    "loongegevens_xml",
    "parse_parameters",
    "parse_request",
    "verlof_xml",
    "werkgever_xml",
    "werknemer_xml",
]

_XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"
_XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>'

# A DTD (and so any entity declaration) is refused before parsing. The needles are also checked
# in UTF-16, because the document may declare that encoding and hide ASCII needles that way.
_FORBIDDEN_MARKERS: Final = tuple(
    needle.encode(codec)
    for needle in ("<!DOCTYPE", "<!ENTITY", "<!doctype", "<!entity")
    for codec in ("ascii", "utf-16-le", "utf-16-be")
)
_MESSAGE_DTD: Final = "Een verzoek met een DTD of entiteitdeclaratie wordt niet verwerkt"
_AUTHENTICATIE_FIELDS: Final = ("Omgevingscode", "Gebruikersnaam", "Wachtwoord")


# --- requests -------------------------------------------------------------------------------------


def parse_xml(body: bytes) -> etree._Element:
    """Parse a request body with every XML feature an attacker could use switched off.

    Any DOCTYPE is refused (before parsing by a byte scan, after parsing by the docinfo), which
    also refuses entity declarations, billion laughs and external entities: a SOAP message has no
    business carrying a DTD (SOAP 1.1, section 3).
    """
    if any(marker in body for marker in _FORBIDDEN_MARKERS):
        raise invalid_input(_MESSAGE_DTD)
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
        raise invalid_input("Het verzoek is geen geldig XML-document") from exc
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise invalid_input(_MESSAGE_DTD)
    return root


def _child_elements(parent: etree._Element) -> list[etree._Element]:
    """The element children (the parser drops comments; processing instructions are skipped)."""
    return [child for child in parent if isinstance(child.tag, str)]


def _text_of(node: etree._Element, name: str) -> str:
    """The text of a simple-typed element; child elements are refused."""
    if _child_elements(node):
        raise invalid_input(f"{name} mag geen elementen bevatten")
    return node.text or ""


@dataclass(frozen=True)
class ParsedRequest:
    """A structurally valid SOAP request: operation, the Authenticatie header, operation element.

    The credential fields are named after the header's elements, like
    :class:`locket_client.types.Credentials`.
    """

    operation: str
    omgevingscode: str
    gebruikersnaam: str
    wachtwoord: str
    element: etree._Element

    def __repr__(self) -> str:
        # Never show the password, not even in a traceback.
        return (
            f"ParsedRequest(operation={self.operation!r}, gebruikersnaam={self.gebruikersnaam!r})"
        )


def parse_request(body: bytes, soap_action: str | None) -> ParsedRequest:
    """Check the envelope, the operation, the SOAPAction and the Authenticatie header structure."""
    root = parse_xml(body)
    if root.tag != f"{{{SOAP_ENV_NAMESPACE}}}Envelope":
        raise invalid_input("Het verzoek is geen SOAP 1.1-envelop")
    headers = [c for c in _child_elements(root) if c.tag == f"{{{SOAP_ENV_NAMESPACE}}}Header"]
    bodies = [c for c in _child_elements(root) if c.tag == f"{{{SOAP_ENV_NAMESPACE}}}Body"]
    if len(bodies) != 1 or len(headers) > 1:
        raise invalid_input("De SOAP-envelop moet precies een Body en hoogstens een Header hebben")
    body_children = _child_elements(bodies[0])
    if len(body_children) != 1:
        raise invalid_input("De SOAP-Body moet precies een operatie bevatten")
    operation_element = body_children[0]
    qname = etree.QName(operation_element)
    if qname.namespace != NAMESPACE or qname.localname not in OPERATIONS:
        raise invalid_input("Onbekende operatie")
    operation = qname.localname
    if soap_action is not None:
        action = soap_action.strip()
        if len(action) >= 2 and action.startswith('"') and action.endswith('"'):
            action = action[1:-1]
        if action != f"{NAMESPACE}/{operation}":
            raise invalid_input("De SOAPAction past niet bij de operatie")
    if not headers:
        raise invalid_input("De SOAP-Header met Authenticatie ontbreekt")
    authenticaties = [
        c for c in _child_elements(headers[0]) if c.tag == f"{{{NAMESPACE}}}Authenticatie"
    ]
    if len(authenticaties) != 1:
        raise invalid_input("De SOAP-Header moet precies een Authenticatie bevatten")
    fields = _child_elements(authenticaties[0])
    if [c.tag for c in fields] != [f"{{{NAMESPACE}}}{name}" for name in _AUTHENTICATIE_FIELDS]:
        raise invalid_input(
            "Authenticatie moet Omgevingscode, Gebruikersnaam en Wachtwoord bevatten"
        )
    omgevingscode, gebruikersnaam, wachtwoord = (
        _text_of(field, name) for field, name in zip(fields, _AUTHENTICATIE_FIELDS, strict=True)
    )
    return ParsedRequest(operation, omgevingscode, gebruikersnaam, wachtwoord, operation_element)


def parse_parameters(operation_element: etree._Element, operation: Operation) -> dict[str, Any]:
    """Validate the operation's children against its WSDL sequence: order, presence, types.

    Unknown or repeated children are refused rather than ignored, so a client sending something
    the contract does not know learns it at once. An optional child with ``xsi:nil="true"`` counts
    as absent. The result maps element names to parsed values.
    """
    values: dict[str, Any] = {}
    position = 0
    for child in _child_elements(operation_element):
        qname = etree.QName(child)
        while position < len(operation.parameters):
            name, parser, required = operation.parameters[position]
            if qname.namespace == NAMESPACE and qname.localname == name:
                break
            if required:
                raise invalid_input(f"{name} ontbreekt")
            position += 1
        else:
            raise invalid_input(f"Onverwacht element {qname.localname}")
        position += 1
        if child.get(_XSI_NIL) in ("true", "1") and not required:
            continue
        values[name] = parser(_text_of(child, name), name)
    for name, _parser, required in operation.parameters[position:]:
        if required:
            raise invalid_input(f"{name} ontbreekt")
    return values


# --- answers --------------------------------------------------------------------------------------


def _decimal_text(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01')):f}"


def element(name: str, value: str | int | Decimal | datetime.date | bool | None) -> str:
    """One child element in the contract's lexical forms; absent optional values are omitted."""
    if value is None:
        return ""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, Decimal):
        text = _decimal_text(value)
    elif isinstance(value, datetime.date):
        text = value.isoformat()
    elif isinstance(value, int):
        text = str(value)
    else:
        text = escape(value)
    return f"<{name}>{text}</{name}>"


def werkgever_xml(w: Werkgever) -> str:
    return "".join(
        (
            "<Werkgever>",
            element("WerkgeverId", w.werkgever_id),
            element("Werkgevernummer", w.werkgevernummer),
            element("Naam", w.naam),
            element("KvkNummer", w.kvk_nummer),
            *(element("Loonheffingennummer", number) for number in w.loonheffingennummers),
            element("Actief", w.actief),
            "</Werkgever>",
        )
    )


def werknemer_xml(w: Werknemer) -> str:
    return "".join(
        (
            "<Werknemer>",
            element("WerknemerId", w.werknemer_id),
            element("WerkgeverId", w.werkgever_id),
            element("Werknemernummer", w.werknemernummer),
            element("Bsn", w.bsn),
            element("Voorletters", w.voorletters),
            element("Voorvoegsel", w.voorvoegsel),
            element("Achternaam", w.achternaam),
            element("Geboortedatum", w.geboortedatum),
            element("Geslacht", w.geslacht),
            "</Werknemer>",
        )
    )


def dienstverband_xml(d: Dienstverband) -> str:
    return "".join(
        (
            "<Dienstverband>",
            element("DienstverbandId", d.dienstverband_id),
            element("WerknemerId", d.werknemer_id),
            element("Inkomstenverhoudingnummer", d.inkomstenverhoudingnummer),
            element("Begindatum", d.begindatum),
            element("Einddatum", d.einddatum),
            element("SoortContract", d.soort_contract),
            element("UrenPerWeek", d.uren_per_week),
            "</Dienstverband>",
        )
    )


def loongegevens_xml(lg: Loongegevens) -> str:
    return "".join(
        (
            "<Loongegevens>",
            element("DienstverbandId", lg.dienstverband_id),
            element("Jaar", lg.jaar),
            element("Periode", lg.periode),
            element("Verloningsperiode", lg.verloningsperiode),
            element("Brutoloon", lg.brutoloon),
            element("SvLoon", lg.sv_loon),
            element("FiscaalLoon", lg.fiscaal_loon),
            element("Vakantiegeld", lg.vakantiegeld),
            element("VerloondeUren", lg.verloonde_uren),
            "</Loongegevens>",
        )
    )


def verlof_xml(v: Verlof) -> str:
    return "".join(
        (
            "<Verlof>",
            element("DienstverbandId", v.dienstverband_id),
            element("Jaar", v.jaar),
            element("Verlofsoort", v.verlofsoort),
            element("Opgebouwd", v.opgebouwd),
            element("Opgenomen", v.opgenomen),
            element("Saldo", v.saldo),
            "</Verlof>",
        )
    )


def answer_xml(operation: str, children: Iterable[str]) -> bytes:
    """Wrap the response children in ``<Operation>Response`` (default namespace = contract)."""
    return "".join(
        (
            _XML_DECLARATION,
            f'<soap:Envelope xmlns:soap="{SOAP_ENV_NAMESPACE}"><soap:Body>',
            f'<{operation}Response xmlns="{NAMESPACE}">',
            *children,
            f"</{operation}Response></soap:Body></soap:Envelope>",
        )
    ).encode()


def fault_xml(code: str, message: str) -> bytes:
    """The complete SOAP 1.1 Fault envelope for a contract fault.

    ``faultstring`` carries the Dutch ``Melding`` too, so a generic SOAP client that only shows
    the faultstring still tells the user what went wrong. The bytes depend on code and message
    only, which is what makes the ``INLOG_ONGELDIG`` answers for an unknown user and a wrong
    password identical.
    """
    faultcode = "soap:Server" if code in SERVER_FAULTS else "soap:Client"
    message_xml = escape(message)
    return (
        f"{_XML_DECLARATION}"
        f'<soap:Envelope xmlns:soap="{SOAP_ENV_NAMESPACE}"><soap:Body><soap:Fault>'
        f"<faultcode>{faultcode}</faultcode><faultstring>{message_xml}</faultstring>"
        f'<detail><LoketFout xmlns="{NAMESPACE}"><Code>{escape(code)}</Code>'
        f"<Melding>{message_xml}</Melding></LoketFout></detail>"
        f"</soap:Fault></soap:Body></soap:Envelope>"
    ).encode()
