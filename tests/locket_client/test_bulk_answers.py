"""Issue 14, point 8: the bulk operations read their answers with lxml (locket_client.answers)
instead of through zeep's objects. Against the sandbox over HTTP they give what zeep gave, field
by field; against a server answering badly they refuse what zeep's strict mode refused, with the
same typed errors, and never quote the answer."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.utils import timezone

from locket_client.client import LoketClient
from locket_client.errors import (
    InlogOngeldig,
    LoketTransportError,
    NietGeautoriseerd,
    Storing,
    UnexpectedAnswer,
)
from locket_client.types import Employee, Employer, Employment, Leave, Wage
from tests.conftest import demo_credentials

E1 = "00000000-0000-4000-8000-000000001001"
E2 = "00000000-0000-4000-8000-000000001002"
E3 = "00000000-0000-4000-8000-000000001003"
GUID = "00000000-0000-4000-9000-000000000001"
NS = "urn:salariskoppeling:loket-webservice:v1"


# --- the reference: zeep's own reading, as the client did it before --------------------------


def _zeep_records(loket: LoketClient, operation: str, name: str, **arguments: Any) -> list[Any]:
    answer = loket._call(
        operation, demo_credentials(arguments.pop("user", "ws-benefits")), **arguments
    )
    if answer is None:
        return []
    if isinstance(answer, list):
        return answer
    value = answer[name] if name in answer else None  # noqa: SIM401 - zeep objects have no get()
    return [] if value is None else list(value) if isinstance(value, list) else [value]


def _opt(value: Any, kind: type = str) -> Any:
    return None if value is None else kind(value)


def _zeep_employers(loket, **arguments):
    return [
        Employer(
            id=str(item.WerkgeverId),
            number=int(item.Werkgevernummer),
            name=str(item.Naam),
            kvk_number=_opt(item.KvkNummer),
            payroll_tax_numbers=tuple(str(n) for n in (item.Loonheffingennummer or ())),
            active=bool(item.Actief),
        )
        for item in _zeep_records(loket, "GeefWerkgevers", "Werkgever", **arguments)
    ]


def _zeep_employees(loket, **arguments):
    return [
        Employee(
            id=str(item.WerknemerId),
            employer_id=str(item.WerkgeverId),
            number=int(item.Werknemernummer),
            last_name=str(item.Achternaam),
            bsn=_opt(item.Bsn),
            initials=_opt(item.Voorletters),
            prefix=_opt(item.Voorvoegsel),
            birth_date=item.Geboortedatum,
            gender=_opt(item.Geslacht),
        )
        for item in _zeep_records(loket, "GeefWerknemers", "Werknemer", **arguments)
    ]


def _zeep_employments(loket, **arguments):
    return [
        Employment(
            id=str(item.DienstverbandId),
            employee_id=str(item.WerknemerId),
            income_relationship_number=int(item.Inkomstenverhoudingnummer),
            start_date=item.Begindatum,
            end_date=item.Einddatum,
            contract_type=_opt(item.SoortContract),
            hours_per_week=_opt(item.UrenPerWeek, Decimal),
        )
        for item in _zeep_records(loket, "GeefDienstverbanden", "Dienstverband", **arguments)
    ]


def _zeep_wages(loket, **arguments):
    return [
        Wage(
            employment_id=str(item.DienstverbandId),
            year=int(item.Jaar),
            period=int(item.Periode),
            period_type=str(item.Verloningsperiode),
            gross=Decimal(item.Brutoloon),
            sv_wage=_opt(item.SvLoon, Decimal),
            tax_wage=_opt(item.FiscaalLoon, Decimal),
            holiday_allowance=_opt(item.Vakantiegeld, Decimal),
            hours_paid=_opt(item.VerloondeUren, Decimal),
        )
        for item in _zeep_records(loket, "GeefLoongegevens", "Loongegevens", **arguments)
    ]


def _zeep_leave(loket, **arguments):
    return [
        Leave(
            employment_id=str(item.DienstverbandId),
            year=int(item.Jaar),
            kind=str(item.Verlofsoort),
            accrued=Decimal(item.Opgebouwd),
            taken=Decimal(item.Opgenomen),
            balance=Decimal(item.Saldo),
        )
        for item in _zeep_records(loket, "GeefVerlof", "Verlof", **arguments)
    ]


def _fields(records: list[Any]) -> list[list[tuple[str, type, Any]]]:
    """Every field of every record with its type: 1 == Decimal(1) == True must not pass."""
    return [
        [(f.name, type(getattr(r, f.name)), getattr(r, f.name)) for f in dataclasses.fields(r)]
        for r in records
    ]


def _same(ours: list[Any], zeeps: list[Any]) -> None:
    assert [type(r) for r in ours] == [type(r) for r in zeeps]
    assert _fields(ours) == _fields(zeeps)


@pytest.mark.parametrize(
    ("user", "reference_date"),
    [
        ("ws-benefits", None),
        ("ws-benefits", date(2025, 1, 1)),
        ("ws-andere-partij", None),
        ("ws-zonder-team", None),
        ("ws-groot", None),
    ],
)
def test_employers_are_what_zeep_read_field_by_field(loket, user, reference_date):
    ours = loket.employers(demo_credentials(user), reference_date=reference_date)

    _same(ours, _zeep_employers(loket, user=user, Peildatum=reference_date))
    assert ours or user == "ws-zonder-team"


@pytest.mark.parametrize("employer_id", [E1, E2, E3])
def test_employees_employments_wages_and_leave_are_what_zeep_read_field_by_field(
    loket, employer_id
):
    creds = demo_credentials()
    this_year = timezone.localdate().year

    employees = loket.employees(creds, employer_id=employer_id)
    _same(employees, _zeep_employees(loket, WerkgeverId=employer_id))
    _same(
        loket.employees(creds, employer_id=employer_id, reference_date=date(this_year, 1, 1)),
        _zeep_employees(loket, WerkgeverId=employer_id, Peildatum=date(this_year, 1, 1)),
    )
    _same(
        loket.employments(creds, employer_id=employer_id),
        _zeep_employments(loket, WerkgeverId=employer_id),
    )
    _same(
        loket.employments(creds, employer_id=employer_id, employee_id=employees[0].id),
        _zeep_employments(loket, WerkgeverId=employer_id, WerknemerId=employees[0].id),
    )
    for year in (this_year - 1, this_year):
        _same(
            loket.wages(creds, employer_id=employer_id, year=year),
            _zeep_wages(loket, WerkgeverId=employer_id, Jaar=year),
        )
        _same(
            loket.leave(creds, employer_id=employer_id, year=year),
            _zeep_leave(loket, WerkgeverId=employer_id, Jaar=year),
        )
    _same(
        loket.wages(creds, employer_id=employer_id, year=this_year - 1, period=3),
        _zeep_wages(loket, WerkgeverId=employer_id, Jaar=this_year - 1, Periode=3),
    )


def test_the_sandbox_answers_hold_the_optional_elements_both_present_and_absent(loket):
    """So that the comparisons above cover both paths of an optional element."""
    employees = [
        e for eid in (E1, E2, E3) for e in loket.employees(demo_credentials(), employer_id=eid)
    ]
    employments = [
        m for eid in (E1, E2, E3) for m in loket.employments(demo_credentials(), employer_id=eid)
    ]

    assert {e.prefix is None for e in employees} == {True, False}
    assert {m.end_date is None for m in employments} == {True, False}


# --- faults through the bulk path ---------------------------------------------------------------

BULK_CALLS = {
    "employers": lambda loket, creds: loket.employers(creds),
    "employees": lambda loket, creds: loket.employees(creds, employer_id=E1),
    "employments": lambda loket, creds: loket.employments(creds, employer_id=E1),
    "wages": lambda loket, creds: loket.wages(creds, employer_id=E1, year=2025),
    "leave": lambda loket, creds: loket.leave(creds, employer_id=E1, year=2025),
}


@pytest.mark.parametrize("call", BULK_CALLS.values(), ids=BULK_CALLS.keys())
def test_every_bulk_operation_turns_faults_into_the_same_typed_errors(loket, call):
    with pytest.raises(InlogOngeldig):
        call(loket, demo_credentials(wachtwoord="not-the-password"))
    with pytest.raises(Storing) as caught:
        call(loket, demo_credentials(omgevingscode="STORING"))
    assert caught.value.retryable is True


@pytest.mark.parametrize("call", [c for name, c in BULK_CALLS.items() if name != "employers"])
def test_a_partial_authorisation_names_the_missing_function(loket, call):
    with pytest.raises(NietGeautoriseerd) as caught:
        call(loket, demo_credentials("ws-zonder-loon"))

    assert caught.value.function in {"WERKNEMERS", "DIENSTVERBANDEN", "LOONGEGEVENS", "VERLOF"}


def test_an_answer_over_the_size_limit_is_unexpected(sandbox):
    small = LoketClient(endpoint=sandbox.url, timeout=10, max_answer_bytes=256 * 1024)

    with pytest.raises(UnexpectedAnswer, match=r"size limit|exceeds"):
        small.employers(demo_credentials("ws-groot"))


# --- a server that answers what the test says ------------------------------------------------


class _Answering(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        status, content_type, body = self.server.answer  # type: ignore[attr-defined]
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        return


@pytest.fixture(scope="module")
def scripted() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Answering)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def answering(scripted):
    """``answering(body, status=200, content_type=...)`` -> a client whose server says that."""

    def client(body: str | bytes, status: int = 200, content_type: str = "text/xml") -> LoketClient:
        scripted.answer = (status, content_type, body.encode() if isinstance(body, str) else body)
        return LoketClient(endpoint=f"http://127.0.0.1:{scripted.server_address[1]}/x", timeout=5)

    return client


def envelope(operation: str, records: str, *, prolog: str = "") -> str:
    return (
        f'{prolog}<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
        f'<soap:Body><{operation}Response xmlns="{NS}">{records}</{operation}Response>'
        "</soap:Body></soap:Envelope>"
    )


def werkgever(**overrides: str | None) -> str:
    """A Werkgever record; an override of None leaves the element out, "" empties it."""
    values: dict[str, str | None] = {
        "WerkgeverId": GUID,
        "Werkgevernummer": "100001",
        "Naam": "Bakkerij &amp; Zn.",
        "KvkNummer": "12345678",
        "Loonheffingennummer": "144068989L01",
        "Actief": "true",
        **overrides,
    }
    inner = "".join(f"<{k}>{v}</{k}>" for k, v in values.items() if v is not None)
    return f"<Werkgever>{inner}</Werkgever>"


def loongegevens(**overrides: str | None) -> str:
    values: dict[str, str | None] = {
        "DienstverbandId": GUID,
        "Jaar": "2025",
        "Periode": "3",
        "Verloningsperiode": "maand",
        "Brutoloon": "3150.00",
        "SvLoon": "2980.50",
        "FiscaalLoon": "2980.50",
        "Vakantiegeld": "252.00",
        "VerloondeUren": "173.33",
        **overrides,
    }
    inner = "".join(f"<{k}>{v}</{k}>" for k, v in values.items() if v is not None)
    return f"<Loongegevens>{inner}</Loongegevens>"


def test_a_plain_answer_becomes_the_dataclasses(answering):
    body = envelope(
        "GeefWerkgevers",
        werkgever()
        + werkgever(KvkNummer=None, Loonheffingennummer=None)
        + werkgever(Actief=" 0 ").replace(
            "</Loonheffingennummer>",
            "</Loonheffingennummer><Loonheffingennummer>173718528L02</Loonheffingennummer>",
        ),
    )

    first, second, third = answering(body).employers(demo_credentials())

    assert first == Employer(GUID, 100001, "Bakkerij & Zn.", "12345678", ("144068989L01",), True)
    assert second == Employer(GUID, 100001, "Bakkerij & Zn.", None, (), True)
    assert third.payroll_tax_numbers == ("144068989L01", "173718528L02")
    assert third.active is False


def test_an_answer_with_prefixes_whitespace_and_comments_reads_the_same(answering):
    body = (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/">\n <s:Header/>\n'
        f' <s:Body>\n  <l:GeefLoongegevensResponse xmlns:l="{NS}">\n'
        "   <l:Loongegevens>\n"
        f"    <l:DienstverbandId>{GUID}</l:DienstverbandId><!-- een opmerking -->\n"
        "    <l:Jaar> 2025 </l:Jaar><l:Periode>+3</l:Periode>\n"
        "    <l:Verloningsperiode>4weken</l:Verloningsperiode><l:Brutoloon>\n1.5\n</l:Brutoloon>\n"
        "    <l:SvLoon/><l:VerloondeUren>.25</l:VerloondeUren>\n"
        "   </l:Loongegevens>\n  </l:GeefLoongegevensResponse>\n </s:Body>\n</s:Envelope>\n"
    )

    (wage,) = answering(body).wages(demo_credentials(), employer_id=E1, year=2025)

    assert wage == Wage(GUID, 2025, 3, "4weken", Decimal("1.5"), None, None, None, Decimal(".25"))


def test_elements_out_of_wsdl_order_are_read_by_name(answering):
    """zeep's strict mode refused these; the values are unambiguous, so they are read."""
    body = envelope(
        "GeefWerkgevers",
        f"<Werkgever><Naam>X</Naam><Actief>true</Actief><WerkgeverId>{GUID}</WerkgeverId>"
        "<Werkgevernummer>7</Werkgevernummer></Werkgever>",
    )

    assert answering(body).employers(demo_credentials()) == [Employer(GUID, 7, "X", None, (), True)]


def test_an_empty_required_string_is_empty_and_an_empty_optional_one_is_absent(answering):
    body = envelope("GeefWerkgevers", werkgever(Naam="", KvkNummer="") + werkgever())

    first, second = answering(body).employers(demo_credentials())

    assert (first.name, first.kvk_number) == ("", None)
    assert (second.name, second.kvk_number) == ("Bakkerij & Zn.", "12345678")


def test_records_of_mixed_shapes_keep_each_value_with_its_record(answering):
    body = envelope(
        "GeefLoongegevens",
        loongegevens(VerloondeUren=None, SvLoon="1")
        + loongegevens(Periode="4", SvLoon=None)
        + loongegevens(Periode="5", FiscaalLoon=None, Vakantiegeld=None, SvLoon="3"),
    )

    wages = answering(body).wages(demo_credentials(), employer_id=E1, year=2025)

    assert [(w.period, w.sv_wage, w.tax_wage, w.hours_paid) for w in wages] == [
        (3, Decimal("1"), Decimal("2980.50"), None),
        (4, None, Decimal("2980.50"), Decimal("173.33")),
        (5, Decimal("3"), None, Decimal("173.33")),
    ]
    assert wages[2].holiday_allowance is None


BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + "".join(
        f' <!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n'
        for i in range(1, 10)
    )
    + "]>\n"
)


@pytest.mark.parametrize(
    "body",
    [
        envelope("GeefWerkgevers", werkgever(Naam="&lol9;"), prolog=BILLION_LAUGHS),
        envelope(
            "GeefWerkgevers",
            werkgever(Naam="&xxe;"),
            prolog='<!DOCTYPE x [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>',
        ),
        envelope("GeefWerkgevers", werkgever(), prolog="<!DOCTYPE x>"),
    ],
    ids=["billion-laughs", "external-entity", "plain-dtd"],
)
def test_an_answer_with_a_dtd_or_entities_is_refused(answering, body):
    with pytest.raises(UnexpectedAnswer) as caught:
        answering(body).employers(demo_credentials())

    assert caught.value.retryable is False
    assert "root:" not in str(caught.value)
    assert "lol" not in str(caught.value)


SECRET = "Geheim-in-het-antwoord"


@pytest.mark.parametrize(
    ("records", "complaint"),
    [
        (werkgever(Naam=None), "lacks Naam"),
        (werkgever(WerkgeverId=None), "lacks WerkgeverId"),
        (werkgever().replace("<Naam>", f"<Naam>{SECRET}</Naam><Naam>"), "Naam"),
        (
            werkgever(KvkNummer="1").replace("<KvkNummer>", "<KvkNummer>2</KvkNummer><KvkNummer>"),
            "KvkNummer twice",
        ),
        (werkgever(Naam=f"<WerkgeverId>{GUID}</WerkgeverId>"), "WerkgeverId"),
        (werkgever().replace("<Actief>", f"<{SECRET}>x</{SECRET}><Actief>"), "outside"),
        (werkgever() + f"<{SECRET}/>", "other than Werkgever"),
        (werkgever(WerkgeverId=SECRET), "not a valid Guid"),
        (werkgever(WerkgeverId=""), "not a valid Guid"),
        (werkgever(Werkgevernummer=SECRET), "not a valid int"),
        (werkgever(Werkgevernummer="1_000"), "not a valid int"),
        (werkgever(Werkgevernummer="1e3"), "not a valid int"),
        (werkgever(Werkgevernummer="2147483648"), "not a valid int"),
        (werkgever(Werkgevernummer="\u0661\u0662"), "not a valid int"),
        (werkgever(Actief="ja"), "not a valid boolean"),
        (werkgever(Actief=""), "not a valid boolean"),
    ],
)
def test_a_werkgever_outside_its_wsdl_type_is_an_unexpected_answer(answering, records, complaint):
    with pytest.raises(UnexpectedAnswer, match=complaint) as caught:
        answering(envelope("GeefWerkgevers", werkgever() + records)).employers(demo_credentials())

    assert SECRET not in str(caught.value)
    assert caught.value.retryable is False


@pytest.mark.parametrize(
    ("records", "complaint"),
    [
        (loongegevens(Brutoloon="NaN"), "Brutoloon is not a valid decimal"),
        (loongegevens(Brutoloon="1e3"), "Brutoloon is not a valid decimal"),
        (loongegevens(Brutoloon="1.2.3"), "Brutoloon is not a valid decimal"),
        (loongegevens(SvLoon="Infinity"), "SvLoon is not a valid decimal"),
        (loongegevens(Verloningsperiode="jaar"), "not a valid Verloningsperiode"),
        (loongegevens(Jaar=""), "Jaar is not a valid int"),
    ],
)
def test_loongegevens_outside_their_wsdl_type_are_an_unexpected_answer(
    answering, records, complaint
):
    with pytest.raises(UnexpectedAnswer, match=complaint):
        answering(envelope("GeefLoongegevens", loongegevens() + records)).wages(
            demo_credentials(), employer_id=E1, year=2025
        )


@pytest.mark.parametrize(
    ("records", "complaint"),
    [
        (werkgever(Naam=f"A<b>{SECRET}</b>d"), "Werkgever/Naam holds an element"),
        (werkgever(Naam=f"<b>{SECRET}</b>"), "Werkgever/Naam holds an element"),
        (werkgever(KvkNummer=f"<{SECRET}/>"), "Werkgever/KvkNummer holds an element"),
        (werkgever(Actief="true<x/>"), "Werkgever/Actief holds an element"),
        (
            werkgever(Loonheffingennummer=f"144068989L01<x><y>{SECRET}</y></x>"),
            "Werkgever/Loonheffingennummer holds an element",
        ),
    ],
)
def test_a_werkgever_value_holding_an_element_is_not_read_as_its_first_text(
    answering, records, complaint
):
    """Without the check these read as "A", "", None, True and ("144068989L01",)."""
    with pytest.raises(UnexpectedAnswer, match=complaint) as caught:
        answering(envelope("GeefWerkgevers", werkgever() + records)).employers(demo_credentials())

    assert SECRET not in str(caught.value)
    assert caught.value.retryable is False


@pytest.mark.parametrize(
    ("records", "complaint"),
    [
        (loongegevens(Brutoloon="1<x/>000.00"), "Loongegevens/Brutoloon holds an element"),
        (loongegevens(SvLoon="<x/>"), "Loongegevens/SvLoon holds an element"),
        (loongegevens(Periode="3<x/>"), "Loongegevens/Periode holds an element"),
    ],
)
def test_a_loongegevens_value_holding_an_element_is_not_read_as_its_first_text(
    answering, records, complaint
):
    """Without the check the first reads as Decimal("1"), the second as an absent SvLoon."""
    with pytest.raises(UnexpectedAnswer, match=complaint):
        answering(envelope("GeefLoongegevens", loongegevens() + records)).wages(
            demo_credentials(), employer_id=E1, year=2025
        )


@pytest.mark.parametrize(
    "value", ["2025-02-30", "01-02-2025", "20250201", "2025-W05-1", "gisteren"]
)
def test_a_date_outside_xs_date_is_an_unexpected_answer(answering, value):
    record = (
        f"<Dienstverband><DienstverbandId>{GUID}</DienstverbandId><WerknemerId>{GUID}</WerknemerId>"
        f"<Inkomstenverhoudingnummer>1</Inkomstenverhoudingnummer><Begindatum>{value}</Begindatum>"
        "</Dienstverband>"
    )

    with pytest.raises(UnexpectedAnswer, match="Begindatum is not a valid date"):
        answering(envelope("GeefDienstverbanden", record)).employments(
            demo_credentials(), employer_id=E1
        )


def test_a_date_with_a_time_zone_is_read_as_its_day(answering):
    record = (
        f"<Dienstverband><DienstverbandId>{GUID}</DienstverbandId><WerknemerId>{GUID}</WerknemerId>"
        "<Inkomstenverhoudingnummer>1</Inkomstenverhoudingnummer>"
        "<Begindatum>2025-02-01+01:00</Begindatum><Einddatum>2025-12-31Z</Einddatum></Dienstverband>"
    )

    (employment,) = answering(envelope("GeefDienstverbanden", record)).employments(
        demo_credentials(), employer_id=E1
    )

    assert (employment.start_date, employment.end_date) == (date(2025, 2, 1), date(2025, 12, 31))


FAULT = (
    '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
    "<soap:Fault><faultcode>soap:Client</faultcode><faultstring>Nee</faultstring><detail>"
    f'<LoketFout xmlns="{NS}"><Code>{{code}}</Code><Melding>De melding</Melding></LoketFout>'
    "</detail></soap:Fault></soap:Body></soap:Envelope>"
)


@pytest.mark.parametrize(
    ("status", "content_type", "body", "error"),
    [
        (500, "text/xml", FAULT.format(code="INLOG_ONGELDIG"), InlogOngeldig),
        (200, "text/xml", FAULT.format(code="STORING"), Storing),
        (500, "text/xml", FAULT.format(code="BESTAAT_NIET"), UnexpectedAnswer),
        (500, "text/xml", envelope("GeefWerkgevers", ""), UnexpectedAnswer),
        (500, "text/xml", "<<<geen xml", LoketTransportError),
        (502, "text/html", "<html>Bad gateway</html>", LoketTransportError),
        (404, "text/html", "<html>Not found</html>", UnexpectedAnswer),
        (200, "text/xml", "<<<geen xml", UnexpectedAnswer),
        (202, "text/xml", "", UnexpectedAnswer),
        (200, "text/xml", envelope("GeefWerknemers", ""), UnexpectedAnswer),
        (200, "text/xml", f'<Envelope xmlns="{NS}"><Body/></Envelope>', UnexpectedAnswer),
    ],
    ids=[
        "fault-500",
        "fault-200",
        "unknown-code",
        "500-without-fault",
        "500-not-xml",
        "proxy-502",
        "not-found",
        "200-not-xml",
        "202-empty",
        "other-operation",
        "not-soap",
    ],
)
def test_a_bulk_answer_that_is_no_answer_becomes_its_typed_error(
    answering, status, content_type, body, error
):
    with pytest.raises(error) as caught:
        answering(body, status=status, content_type=content_type).employers(demo_credentials())

    assert type(caught.value) is error
    if error is InlogOngeldig:
        assert caught.value.message == "De melding"
    assert "BESTAAT_NIET" not in str(caught.value)
