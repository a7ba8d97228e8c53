"""The answers of the bulk operations, read straight from the XML instead of through zeep.

zeep reads an answer by building a value object per element through its XSD machinery: for
``GeefWerkgevers`` with 10,000 werkgevers that is ten times the cost of the HTTP exchange and an
lxml parse together. zeep still builds every request (WSDL, ``Authenticatie`` header, argument
types) and still reads ``ControleerToegang``; the answers of ``GeefWerkgevers``,
``GeefWerknemers``, ``GeefDienstverbanden``, ``GeefLoongegevens`` and ``GeefVerlof`` are read here:

- one parse with every dangerous XML feature off (no DTD, no entities, no network, no huge
  trees); an answer carrying a DTD is refused, as zeep's ``forbid_dtd``/``forbid_entities`` did;
- the SOAP 1.1 envelope checked as zeep checks it: a ``Fault`` (or a status other than 200)
  becomes the typed error of its ``LoketFout`` code (:func:`fault_error`, shared with the zeep
  path), the body must hold exactly the ``<Operation>Response`` element;
- every record checked against its WSDL type: every required element there once, no element
  twice (but a repeated one), none unknown, none outside its record, no value holding an
  element (values are text only), and every value of its XSD type (``Guid``, ``int``,
  ``date``, ``decimal``, ``boolean``, the ``Verloningsperiode`` enumeration). Anything else is
  :class:`~locket_client.errors.UnexpectedAnswer`, whose message names the record, the element
  and the type, never a value from the answer. One leniency: the values are found by name, so a
  record with its elements out of WSDL order is read (zeep's strict mode refused it); which
  value is which is never in doubt.

What makes it fast (10,000 werkgevers: from ten times the raw floor to about one and a half):
the answer is read an element at a time across all records, not record by record (see
:class:`RecordType`); values are found, checked and converted a column at a time, each step a
C-level ``map``; and the dataclasses are filled a field at a time across all records.
"""

from __future__ import annotations

import dataclasses
import gc
import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from itertools import compress, count, groupby, repeat
from operator import attrgetter, itemgetter, lt
from types import MemberDescriptorType
from typing import Any, Generic, TypeVar

import requests
from lxml import etree

from locket_client.errors import (
    FAULTS_BY_CODE,
    LoketError,
    LoketTransportError,
    UnexpectedAnswer,
)
from locket_client.types import Employee, Employer, Employment, Leave, Wage

NAMESPACE = "urn:salariskoppeling:loket-webservice:v1"
SOAP_ENV_NAMESPACE = "http://schemas.xmlsoap.org/soap/envelope/"

_ENVELOPE = f"{{{SOAP_ENV_NAMESPACE}}}Envelope"
_BODY = f"{{{SOAP_ENV_NAMESPACE}}}Body"
_FAULT = f"{{{SOAP_ENV_NAMESPACE}}}Fault"
_LOKET_FOUT_CODE = f"{{{NAMESPACE}}}LoketFout/{{{NAMESPACE}}}Code"
_LOKET_FOUT_MELDING = f"{{{NAMESPACE}}}LoketFout/{{{NAMESPACE}}}Melding"

T = TypeVar("T")


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off while an answer is parsed and read.

    Reading 10,000 records makes some 100,000 short-lived objects (lxml's element proxies, the
    texts, the dataclasses), none of them in a reference cycle. Each 700 allocations would start
    a collection, and every hundredth of those walks every object of the process (Django, zeep,
    the WSDL: hundreds of thousands), which costs more than the read itself. Paused, the
    collector finds the same nothing after the read.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


# --- faults -------------------------------------------------------------------------------------


def fault_error(detail: etree._Element | None, faultstring: str | None) -> LoketError:
    """The typed error of a SOAP fault: its ``detail/LoketFout/Code``, with the ``Melding``
    (else the faultstring) as message. A fault without a known code is an unexpected answer."""
    code = message = None
    if detail is not None:
        code = detail.findtext(_LOKET_FOUT_CODE)
        message = detail.findtext(_LOKET_FOUT_MELDING)
    error_class = FAULTS_BY_CODE.get((code or "").strip())
    if error_class is None:
        # Not quoted: an unknown code is the server's text.
        return UnexpectedAnswer("SOAP fault without a known LoketFout code")
    return error_class((message or faultstring or "").strip()[:500])


def _status_error(operation: str, status: int, what: str) -> LoketError:
    """An HTTP answer that is no SOAP message: retryable when the status says the server (or a
    proxy) is in trouble, as zeep's ``TransportError`` was mapped."""
    if status >= 500 or status in (408, 429):
        return LoketTransportError(f"{operation}: HTTP {status}, {what}")
    return UnexpectedAnswer(f"{operation}: HTTP {status}, {what}")


# --- the envelope ---------------------------------------------------------------------------------


def _parser() -> etree.XMLParser:
    """A fresh parser per answer: nothing shared between threads, at a cost of microseconds."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        collect_ids=False,
    )


def operation_response(response: requests.Response, operation: str) -> etree._Element:
    """The ``<operation>Response`` element of an answer, or the error the answer amounts to."""
    status = response.status_code
    content = response.content
    if not content:
        raise _status_error(operation, status, "empty answer")
    try:
        root = etree.fromstring(content, _parser())
    except etree.XMLSyntaxError:
        raise _status_error(operation, status, "answer is not XML") from None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        # A SOAP message has no business carrying a DTD (SOAP 1.1, section 3); entities,
        # billion laughs and external entities all need one.
        raise UnexpectedAnswer(f"{operation}: DTDForbidden")
    if root.tag != _ENVELOPE:
        raise UnexpectedAnswer(f"{operation}: the answer is not a SOAP 1.1 envelope")
    body = root.find(_BODY)
    if body is None:
        raise UnexpectedAnswer(f"{operation}: the answer has no SOAP Body")
    fault = body.find(_FAULT)
    if fault is not None:
        raise fault_error(fault.find("detail"), fault.findtext("faultstring"))
    if status != 200:
        raise UnexpectedAnswer(f"{operation}: HTTP {status} without a SOAP fault")
    children = list(body)
    if len(children) != 1 or children[0].tag != f"{{{NAMESPACE}}}{operation}Response":
        raise UnexpectedAnswer(f"{operation}: the SOAP Body is not one {operation}Response")
    return children[0]


# --- values, a column at a time -----------------------------------------------------------------
#
# Each converter takes the texts of one element's occurrences across all records (None for an
# empty element) and returns their values. A value outside its type raises TypeError,
# ValueError, KeyError or ArithmeticError; RecordType.read turns that into UnexpectedAnswer
# naming the element and the type.

# Joined by a character XML 1.0 does not allow in text (so no value can hold it), a column is
# checked by one regular expression match instead of one per value.
_SEPARATOR = "\x1f"
_GUID = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
# xs:int, xs:decimal, xs:date and xs:boolean collapse XML white space; ASCII digits only.
_WS = "[ \t\r\n]*"
_INT = f"{_WS}[-+]?[0-9]+{_WS}"
_DECIMAL = rf"{_WS}[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+){_WS}"
# A time zone on a date is allowed by xs:date and carries nothing for a pay date: dropped.
_DATE = re.compile(f"{_WS}([0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}})(?:Z|[-+][0-9]{{2}}:[0-9]{{2}})?{_WS}")
_BOOLEANS = {"true": True, "1": True, "false": False, "0": False}
_INT_RANGE = (-(2**31), 2**31 - 1)
_PERIOD_TYPES = frozenset({"maand", "4weken", "week"})


def _column_of(value: str) -> Callable[[Iterable[str | None]], None]:
    """A check that every text matches ``value`` (None, an empty element, fails)."""
    pattern = re.compile(f"(?:{value}{_SEPARATOR})*{value}")

    def check(texts: Iterable[str | None]) -> None:
        joined = _SEPARATOR.join(texts)  # type: ignore[arg-type]
        if joined and pattern.fullmatch(joined) is None:
            raise ValueError

    return check


_check_guids = _column_of(_GUID)
_check_ints = _column_of(_INT)
_check_decimals = _column_of(_DECIMAL)


def _by_value(texts: Sequence[str | None], convert: Callable[[list[Any]], list[Any]]) -> list[Any]:
    """``convert`` applied to each distinct text once (a column repeats itself: the same year,
    period, salary or date in record after record), its (immutable) values shared."""
    if not texts:
        return []
    distinct = set(texts)
    if len(distinct) * 2 > len(texts):  # mostly distinct (ids, names): each converted once anyway
        return convert(list(texts))
    unique = list(distinct)
    lookup = dict(zip(unique, convert(unique), strict=True))
    return list(map(lookup.__getitem__, texts))


def _guids(texts: Sequence[str | None]) -> Sequence[str]:
    _check_guids(set(texts))
    return texts  # type: ignore[return-value]


def _ints(texts: Sequence[str | None]) -> list[int]:
    def convert(distinct: list[str]) -> list[int]:
        _check_ints(distinct)
        values = list(map(int, distinct))
        if min(values) < _INT_RANGE[0] or max(values) > _INT_RANGE[1]:
            raise ValueError
        return values

    return _by_value(texts, convert)


def _decimals(texts: Sequence[str | None]) -> list[Decimal]:
    def convert(distinct: list[str]) -> list[Decimal]:
        _check_decimals(distinct)
        return list(map(Decimal, distinct))

    return _by_value(texts, convert)


def _dates(texts: Sequence[str | None]) -> list[date]:
    def convert(distinct: list[str]) -> list[date]:
        matches = list(map(_DATE.fullmatch, distinct))
        if not all(matches):
            raise ValueError
        return [date.fromisoformat(match[1]) for match in matches]  # type: ignore[index]

    return _by_value(texts, convert)


def _booleans(texts: Sequence[str | None]) -> list[bool]:
    def convert(distinct: list[str]) -> list[bool]:
        return list(map(_BOOLEANS.__getitem__, map(str.strip, distinct)))

    return _by_value(texts, convert)


def _period_types(texts: Sequence[str | None]) -> Sequence[str]:
    if not _PERIOD_TYPES.issuperset(texts):
        raise ValueError
    return texts  # type: ignore[return-value]


def _strings(texts: Sequence[str | None]) -> Sequence[str]:
    """xs:string: an empty element is the empty string."""
    if None in texts:
        return ["" if text is None else text for text in texts]
    return texts  # type: ignore[return-value]


_TYPE_NAMES: dict[Callable[..., Any], str] = {
    _guids: "Guid",
    _ints: "int",
    _decimals: "decimal",
    _dates: "date",
    _booleans: "boolean",
    _period_types: "Verloningsperiode",
    _strings: "string",
}


# --- records ------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class _Element:
    """One element of a record's WSDL sequence, and the dataclass field it fills."""

    name: str
    attribute: str
    convert: Callable[[Sequence[Any]], Sequence[Any]]
    required: bool = True
    repeated: bool = False

    @property
    def tag(self) -> str:
        return f"{{{NAMESPACE}}}{self.name}"


def _one(name: str, attribute: str, convert: Callable[..., Sequence[Any]]) -> _Element:
    return _Element(name, attribute, convert)


def _optional(name: str, attribute: str, convert: Callable[..., Sequence[Any]]) -> _Element:
    return _Element(name, attribute, convert, required=False)


def _repeated(name: str, attribute: str, convert: Callable[..., Sequence[Any]]) -> _Element:
    return _Element(name, attribute, convert, required=False, repeated=True)


class RecordType(Generic[T]):
    """A complex type of the WSDL (``Werkgever``, ...) and the dataclass its records become.

    :meth:`read` works an element at a time across all records, not record by record: lxml
    finds every ``WerkgeverId`` (say) of the answer in C, and each one's parent is checked to be
    the next record (identity of lxml's proxies, no tag strings built). That gives, per element,
    a column of texts in record order, which is then checked and converted as one; per record,
    Python builds nothing but the dataclass. Each element's occurrences are found once and
    both their parents and their texts read from them; the client reads with the garbage
    collector paused (:func:`collector_paused`), so holding 10,000 proxies for a moment costs
    no collections of the whole process. The values
    are found by name: a record whose elements are all there but out of WSDL order is read all
    the same (zeep's strict mode refused it), while a missing, repeated, misplaced or unknown
    element is refused.
    """

    def __init__(self, name: str, build: Callable[..., T], *elements: _Element) -> None:
        self.name = name
        self.tag = f"{{{NAMESPACE}}}{name}"
        self.build = build
        self.elements = elements
        # The dataclass's fields may come in another order than the WSDL's elements.
        position = {element.attribute: i for i, element in enumerate(elements)}
        fields = [field.name for field in dataclasses.fields(build)]  # type: ignore[arg-type]
        if sorted(fields) != sorted(position):
            raise ValueError(f"{name}: the elements do not fill {build.__name__} exactly")
        # The instances are built a field at a time across all records, through the slots'
        # descriptors (twice as fast as 10,000 calls of the generated __init__, which does
        # nothing else): only for a slotted dataclass whose __init__ has nothing more to do.
        setters = [vars(build).get(field) for field in fields]
        if "__post_init__" in vars(build) or not all(
            isinstance(setter, MemberDescriptorType) for setter in setters
        ):
            raise ValueError(f"{name}: {build.__name__} is not a plain slotted dataclass")
        self._fill = [
            (setter.__set__, position[field])  # type: ignore[union-attr]
            for setter, field in zip(setters, fields, strict=True)
        ]

    def read(self, response: etree._Element, operation: str) -> list[T]:
        """The records of an ``<operation>Response`` element, checked and converted."""
        # Kept alive for the whole read: lxml then hands out these same proxy objects as the
        # parents of the records' children, which makes the parent checks identity checks.
        records = list(response.iterchildren(self.tag))
        if len(records) != len(response):
            raise UnexpectedAnswer(
                f"{operation}: the answer holds an element other than {self.name}"
            )
        if not records:
            return []
        children = sum(map(etree._Element.__len__, records))
        found = 0
        record_index: dict[int, int] = {}
        columns: list[Sequence[Any]] = []
        for element in self.elements:
            occurrences = list(response.iter(element.tag))
            parents = list(map(_PARENT, occurrences))
            texts: Sequence[str | None] = list(map(_TEXT, occurrences))
            del occurrences
            found += len(parents)
            # The usual case, for optional elements too: one in every record, in record order.
            one_each = parents == records
            positions = None
            if element.required:
                if not one_each:
                    raise UnexpectedAnswer(
                        f"{operation}: a {self.name} lacks {element.name} or has it twice"
                    )
            elif not one_each or (not element.repeated and None in texts):
                if not record_index:
                    record_index = dict(zip(map(id, records), count(), strict=False))
                positions = self._positions(element, parents, record_index, operation)
                if not element.repeated and None in texts:
                    # An empty optional element counts as absent (as zeep read it).
                    present = [text is not None for text in texts]
                    positions = list(compress(positions, present))
                    texts = list(compress(texts, present))
            try:
                values = element.convert(texts)
            except (TypeError, ValueError, KeyError, ArithmeticError):
                kind = _TYPE_NAMES.get(element.convert, "value")
                raise UnexpectedAnswer(
                    f"{operation}: {self.name}/{element.name} is not a valid {kind}"
                ) from None
            if positions is None:
                columns.append(list(zip(values)) if element.repeated else values)
            elif element.repeated:
                columns.append(_grouped(positions, values, len(records)))
            else:
                column: list[Any] = [None] * len(records)
                deque(map(column.__setitem__, positions, values), maxlen=0)
                columns.append(column)
        if found != children:
            # Every element found has a record as parent: the rest are not the contract's.
            raise UnexpectedAnswer(
                f"{operation}: a {self.name} holds an element outside its WSDL sequence"
            )
        if response.xpath(_COUNT_DESCENDANTS) != len(records) + children:
            # Every value is a text: an element inside one (``<Naam>A<b>c</b>d</Naam>``) would
            # leave only the text before it as the value. Counted in C by libxml2, no proxies.
            raise UnexpectedAnswer(
                f"{operation}: a {self.name}/{self._holding_an_element(records)} holds an "
                "element inside its value"
            )
        instances = list(map(object.__new__, repeat(self.build, len(records))))
        for set_field, column in self._fill:
            deque(map(set_field, instances, columns[column]), maxlen=0)
        return instances

    @staticmethod
    def _holding_an_element(records: list[etree._Element]) -> str:
        """The name of the first value holding an element (only its WSDL name, which every
        child of a record has by now: the answer's text is never quoted)."""
        for record in records:
            for child in record:
                if len(child):
                    return etree.QName(child).localname
        return "?"

    def _positions(
        self,
        element: _Element,
        parents: list[etree._Element],
        record_index: dict[int, int],
        operation: str,
    ) -> list[int]:
        """The record (index) of each occurrence of an optional or repeated element."""
        try:
            positions = list(map(record_index.__getitem__, map(id, parents)))
        except KeyError:
            raise UnexpectedAnswer(
                f"{operation}: {element.name} outside a {self.name}, where it has no place"
            ) from None
        if not element.repeated and not all(map(lt, positions, positions[1:])):
            raise UnexpectedAnswer(f"{operation}: a {self.name} has {element.name} twice")
        return positions


def _grouped(positions: list[int], values: Sequence[Any], count: int) -> list[tuple[Any, ...]]:
    """A repeated element's column: per record the tuple of its values (in document order)."""
    column: list[tuple[Any, ...]] = [()] * count
    if all(map(lt, positions, positions[1:])):  # at most one per record: 1-tuples, in C
        deque(map(column.__setitem__, positions, zip(values)), maxlen=0)
    else:
        for position, group in groupby(zip(positions, values, strict=True), key=itemgetter(0)):
            column[position] = tuple(map(itemgetter(1), group))
    return column


_PARENT = etree._Element.getparent
_COUNT_DESCENDANTS = "count(descendant::*)"
_TEXT = attrgetter("text")


EMPLOYER = RecordType(
    "Werkgever",
    Employer,
    _one("WerkgeverId", "id", _guids),
    _one("Werkgevernummer", "number", _ints),
    _one("Naam", "name", _strings),
    _optional("KvkNummer", "kvk_number", _strings),
    _repeated("Loonheffingennummer", "payroll_tax_numbers", _strings),
    _one("Actief", "active", _booleans),
)
EMPLOYEE = RecordType(
    "Werknemer",
    Employee,
    _one("WerknemerId", "id", _guids),
    _one("WerkgeverId", "employer_id", _guids),
    _one("Werknemernummer", "number", _ints),
    _optional("Bsn", "bsn", _strings),
    _optional("Voorletters", "initials", _strings),
    _optional("Voorvoegsel", "prefix", _strings),
    _one("Achternaam", "last_name", _strings),
    _optional("Geboortedatum", "birth_date", _dates),
    _optional("Geslacht", "gender", _strings),
)
EMPLOYMENT = RecordType(
    "Dienstverband",
    Employment,
    _one("DienstverbandId", "id", _guids),
    _one("WerknemerId", "employee_id", _guids),
    _one("Inkomstenverhoudingnummer", "income_relationship_number", _ints),
    _one("Begindatum", "start_date", _dates),
    _optional("Einddatum", "end_date", _dates),
    _optional("SoortContract", "contract_type", _strings),
    _optional("UrenPerWeek", "hours_per_week", _decimals),
)
WAGE = RecordType(
    "Loongegevens",
    Wage,
    _one("DienstverbandId", "employment_id", _guids),
    _one("Jaar", "year", _ints),
    _one("Periode", "period", _ints),
    _one("Verloningsperiode", "period_type", _period_types),
    _one("Brutoloon", "gross", _decimals),
    _optional("SvLoon", "sv_wage", _decimals),
    _optional("FiscaalLoon", "tax_wage", _decimals),
    _optional("Vakantiegeld", "holiday_allowance", _decimals),
    _optional("VerloondeUren", "hours_paid", _decimals),
)
LEAVE = RecordType(
    "Verlof",
    Leave,
    _one("DienstverbandId", "employment_id", _guids),
    _one("Jaar", "year", _ints),
    _one("Verlofsoort", "kind", _strings),
    _one("Opgebouwd", "accrued", _decimals),
    _one("Opgenomen", "taken", _decimals),
    _one("Saldo", "balance", _decimals),
)
