"""The Loket.nl sandbox over raw HTTP (requests + lxml, no zeep): contract, faults and hardening.

The zeep client's contract tests live in test_client.py; these check the server itself, byte for
byte where the contract demands it, so a client bug and a sandbox bug cannot cancel each other out.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
import requests
from lxml import etree

from locket_client.identifiers import eleven_test
from locket_client.sandbox import SandboxServer, start_sandbox
from locket_client.sandbox.fixtures import build_sandbox_data, sandbox_data
from locket_client.sandbox.server import MAX_BODY_BYTES

NS = "urn:salariskoppeling:loket-webservice:v1"
SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
PASSWORD = "Demo#Loket2026"
TRAAG_DELAY = 1.0

E1 = "00000000-0000-4000-8000-000000001001"
E2 = "00000000-0000-4000-8000-000000001002"
E3 = "00000000-0000-4000-8000-000000001003"
E4 = "00000000-0000-4000-8000-000000001004"
ALL_FUNCTIONS = ["WERKGEVERS", "WERKNEMERS", "DIENSTVERBANDEN", "LOONGEGEVENS", "VERLOF"]
ALL_ENTITIES = ["werkgever", "persoon", "verlof"]


# --- helpers --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    with start_sandbox(port=0, slow_delay=TRAAG_DELAY) as running:
        yield running


@pytest.fixture(scope="module")
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


def envelope(
    operation: str,
    params: str = "",
    *,
    omgeving: str = "DEMO001",
    user: str = "ws-benefits",
    password: str = PASSWORD,
    header: str | None = None,
) -> bytes:
    if header is None:
        header = (
            f'<soap:Header><l:Authenticatie xmlns:l="{NS}">'
            f"<l:Omgevingscode>{omgeving}</l:Omgevingscode>"
            f"<l:Gebruikersnaam>{user}</l:Gebruikersnaam>"
            f"<l:Wachtwoord>{password}</l:Wachtwoord>"
            f"</l:Authenticatie></soap:Header>"
        )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="{SOAP}">{header}'
        f'<soap:Body><l:{operation} xmlns:l="{NS}">{params}</l:{operation}></soap:Body>'
        f"</soap:Envelope>"
    ).encode()


def post(
    server: SandboxServer,
    http: requests.Session,
    body: bytes,
    operation: str | None = None,
    *,
    headers: dict[str, str] | None = None,
    timeout: float = 10,
) -> requests.Response:
    sent = {"Content-Type": "text/xml; charset=utf-8"}
    if operation is not None:
        sent["SOAPAction"] = f'"{NS}/{operation}"'
    sent.update(headers or {})
    return http.post(server.url, data=body, headers=sent, timeout=timeout)


def call(
    server: SandboxServer, http: requests.Session, operation: str, params: str = "", **kwargs: str
) -> requests.Response:
    return post(server, http, envelope(operation, params, **kwargs), operation)


def answer(response: requests.Response, operation: str) -> etree._Element:
    """The ``<Operation>Response`` element of a successful answer."""
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "text/xml; charset=utf-8"
    root = etree.fromstring(response.content)
    assert root.tag == f"{{{SOAP}}}Envelope"
    (body,) = root.findall(f"{{{SOAP}}}Body")
    (result,) = list(body)
    assert result.tag == f"{{{NS}}}{operation}Response"
    return result


def fault(response: requests.Response) -> tuple[str, str, str, str]:
    """(faultcode, faultstring, Code, Melding) of a fault answer, checking its SOAP 1.1 shape."""
    assert response.status_code == 500, response.text
    assert response.headers["Content-Type"] == "text/xml; charset=utf-8"
    root = etree.fromstring(response.content)
    (soap_fault,) = root.findall(f"{{{SOAP}}}Body/{{{SOAP}}}Fault")
    faultcode = soap_fault.findtext("faultcode")
    prefix, _, _local = faultcode.partition(":")
    assert soap_fault.nsmap[prefix] == SOAP
    (loket_fout,) = soap_fault.findall(f"detail/{{{NS}}}LoketFout")
    assert [child.tag for child in loket_fout] == [f"{{{NS}}}Code", f"{{{NS}}}Melding"]
    return (
        faultcode,
        soap_fault.findtext("faultstring"),
        loket_fout.findtext(f"{{{NS}}}Code"),
        loket_fout.findtext(f"{{{NS}}}Melding"),
    )


def fault_code(response: requests.Response) -> str:
    return fault(response)[2]


def items(result: etree._Element, name: str) -> list[dict[str, str | list[str]]]:
    """Each repeated child as {local name: text}, repeated grandchildren as lists."""
    rows = []
    for element in result.findall(f"{{{NS}}}{name}"):
        row: dict[str, str | list[str]] = {}
        for child in element:
            assert child.tag.startswith(f"{{{NS}}}"), child.tag
            local = etree.QName(child).localname
            if local in row:
                existing = row[local]
                row[local] = (
                    [*existing, child.text]
                    if isinstance(existing, list)
                    else [
                        existing,
                        child.text,
                    ]
                )
            else:
                row[local] = child.text
        rows.append(row)
    return rows


def child_names(element: etree._Element) -> list[str]:
    return [etree.QName(child).localname for child in element]


def raw_exchange(server: SandboxServer, request: bytes) -> tuple[bytes, bool]:
    """Send raw bytes; return everything received and whether the server closed the connection."""
    address = urlsplit(server.url)
    with socket.create_connection((address.hostname, address.port), timeout=5) as sock:
        sock.sendall(request)
        received = b""
        closed = False
        sock.settimeout(2)
        try:
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    closed = True
                    break
                received += chunk
        except TimeoutError:
            closed = False
    return received, closed


def assert_still_serving(server: SandboxServer) -> None:
    with requests.Session() as fresh:
        result = answer(call(server, fresh, "ControleerToegang"), "ControleerToegang")
    assert result.findtext(f"{{{NS}}}Gebruikersnaam") == "ws-benefits"


def today() -> date:
    return sandbox_data().today


# --- WSDL and HTTP --------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["wsdl", "WSDL"])
def test_it_serves_the_wsdl_with_its_own_bound_address(server, http, query):
    response = http.get(f"{server.url}?{query}", headers={"Host": "evil.example"}, timeout=5)

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/xml; charset=utf-8"
    wsdl = etree.fromstring(response.content)
    locations = wsdl.xpath(
        "//soap:address/@location", namespaces={"soap": "http://schemas.xmlsoap.org/wsdl/soap/"}
    )
    assert locations == [server.url]
    assert server.url.startswith("http://127.0.0.1:")
    assert server.wsdl_url == f"{server.url}?wsdl"
    assert wsdl.get("targetNamespace") == NS


def test_it_answers_404_for_other_paths(server, http):
    assert http.get(server.url.replace("/loket/soap", "/elders"), timeout=5).status_code == 404
    assert http.post(f"{server.url}/extra", data=b"<x/>", timeout=5).status_code == 404


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "OPTIONS", "FROBNICATE"])
def test_it_answers_405_for_other_methods_on_the_endpoint(server, http, method):
    response = http.request(method, server.url, timeout=5)

    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]


def test_it_answers_405_for_a_get_of_the_endpoint_without_wsdl(server, http):
    assert http.get(server.url, timeout=5).status_code == 405


def test_it_keeps_the_connection_alive_between_requests(server):
    request = envelope("ControleerToegang")
    one = (
        f"POST /loket/soap HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml; charset=utf-8\r\n"
        f"Content-Length: {len(request)}\r\n\r\n"
    ).encode() + request

    received, closed = raw_exchange(server, one + one)

    assert received.count(b"HTTP/1.1 200 OK") == 2
    assert received.count(b"<ControleerToegangResponse") == 2
    assert not closed


# --- happy paths for ws-benefits ------------------------------------------------------------------


def test_controleer_toegang_returns_user_party_functions_and_entities(server, http):
    result = answer(call(server, http, "ControleerToegang"), "ControleerToegang")

    assert child_names(result) == [
        "Gebruikersnaam",
        "Webservicepartij",
        *(["Functie"] * 5),
        *(["Entiteit"] * 3),
    ]
    assert result.findtext(f"{{{NS}}}Gebruikersnaam") == "ws-benefits"
    assert result.findtext(f"{{{NS}}}Webservicepartij") == "Benefits-Plaza"
    assert [e.text for e in result.findall(f"{{{NS}}}Functie")] == ALL_FUNCTIONS
    assert [e.text for e in result.findall(f"{{{NS}}}Entiteit")] == ALL_ENTITIES


def test_geef_werkgevers_returns_the_three_team_werkgevers_in_wsdl_order(server, http):
    result = answer(call(server, http, "GeefWerkgevers"), "GeefWerkgevers")

    werkgevers = items(result, "Werkgever")
    assert [w["WerkgeverId"] for w in werkgevers] == [E1, E2, E3]
    assert werkgevers[0] == {
        "WerkgeverId": E1,
        "Werkgevernummer": "1001",
        "Naam": "Bakkerij Van Dijk B.V.",
        "KvkNummer": "12345678",
        "Loonheffingennummer": "144068989L01",
        "Actief": "true",
    }
    assert werkgevers[1]["Loonheffingennummer"] == ["173718528L01", "173718528L02"]
    assert werkgevers[2]["Naam"] == "Zorggroep Tilburg"
    assert child_names(result[1]) == [
        "WerkgeverId",
        "Werkgevernummer",
        "Naam",
        "KvkNummer",
        "Loonheffingennummer",
        "Loonheffingennummer",
        "Actief",
    ]


def test_geef_werkgevers_validates_peildatum_and_still_returns_all_team_werkgevers(server, http):
    result = answer(
        call(server, http, "GeefWerkgevers", "<l:Peildatum>2001-01-01</l:Peildatum>"),
        "GeefWerkgevers",
    )

    assert len(items(result, "Werkgever")) == 3


def test_geef_werknemers_returns_all_three_without_peildatum(server, http):
    result = answer(
        call(server, http, "GeefWerknemers", f"<l:WerkgeverId>{E1}</l:WerkgeverId>"),
        "GeefWerknemers",
    )

    werknemers = items(result, "Werknemer")
    assert len(werknemers) == 3
    assert werknemers[0]["WerkgeverId"] == E1
    assert werknemers[0]["Achternaam"] == "Boer"
    assert werknemers[0]["Voorvoegsel"] == "de"
    assert {w["Geslacht"] for w in werknemers} <= {"M", "V"}
    assert all(eleven_test(w["Bsn"]) for w in werknemers)
    assert "Voorvoegsel" not in werknemers[1]  # absent optional elements are omitted
    assert child_names(result[0]) == [
        "WerknemerId",
        "WerkgeverId",
        "Werknemernummer",
        "Bsn",
        "Voorletters",
        "Voorvoegsel",
        "Achternaam",
        "Geboortedatum",
        "Geslacht",
    ]


def test_geef_werknemers_with_peildatum_leaves_out_those_without_an_active_dienstverband(
    server, http
):
    params = f"<l:WerkgeverId>{E1}</l:WerkgeverId><l:Peildatum>{today():%Y-%m-%d}</l:Peildatum>"

    result = answer(call(server, http, "GeefWerknemers", params), "GeefWerknemers")

    assert [w["Achternaam"] for w in items(result, "Werknemer")] == ["Boer", "Jansen"]


def test_geef_dienstverbanden_returns_all_of_the_werkgever_or_one_werknemers(server, http):
    every = items(
        answer(
            call(server, http, "GeefDienstverbanden", f"<l:WerkgeverId>{E1}</l:WerkgeverId>"),
            "GeefDienstverbanden",
        ),
        "Dienstverband",
    )
    werknemer = every[2]["WerknemerId"]
    one = items(
        answer(
            call(
                server,
                http,
                "GeefDienstverbanden",
                f"<l:WerkgeverId>{E1}</l:WerkgeverId><l:WerknemerId>{werknemer}</l:WerknemerId>",
            ),
            "GeefDienstverbanden",
        ),
        "Dienstverband",
    )

    assert len(every) == 3
    assert [d["UrenPerWeek"] for d in every] == ["40.00", "24.00", "40.00"]
    assert "Einddatum" not in every[0]
    assert date.fromisoformat(every[2]["Einddatum"]) < today()
    assert every[0]["SoortContract"] == "onbepaalde tijd"
    assert every[2]["SoortContract"] == "bepaalde tijd"
    assert one == [every[2]]


def test_geef_loongegevens_returns_every_month_of_the_year_within_the_dienstverband(server, http):
    previous = today().year - 1
    params = f"<l:WerkgeverId>{E1}</l:WerkgeverId><l:Jaar>{previous}</l:Jaar>"

    result = answer(call(server, http, "GeefLoongegevens", params), "GeefLoongegevens")

    rows = items(result, "Loongegevens")
    # two dienstverbanden all year, the third ended on 30 June of the previous year
    assert len(rows) == 12 + 12 + 6
    first = rows[0]
    assert first == {
        "DienstverbandId": "00000000-0000-4000-8000-000000030101",
        "Jaar": str(previous),
        "Periode": "1",
        "Verloningsperiode": "maand",
        "Brutoloon": "3150.00",
        "SvLoon": "2992.50",
        "FiscaalLoon": "2992.50",
        "Vakantiegeld": "252.00",
        "VerloondeUren": "173.33",
    }
    assert all(
        Decimal(r["Vakantiegeld"])
        == (Decimal(r["Brutoloon"]) * Decimal("0.08")).quantize(Decimal("0.01"))
        for r in rows
    )


def test_geef_loongegevens_of_this_year_stop_at_the_current_month(server, http):
    this_year = today().year
    params = f"<l:WerkgeverId>{E1}</l:WerkgeverId><l:Jaar>{this_year}</l:Jaar>"

    rows = items(
        answer(call(server, http, "GeefLoongegevens", params), "GeefLoongegevens"),
        "Loongegevens",
    )

    assert len(rows) == 2 * today().month
    assert max(int(r["Periode"]) for r in rows) == today().month


def test_geef_loongegevens_with_periode_returns_only_that_period(server, http):
    params = (
        f"<l:WerkgeverId>{E1}</l:WerkgeverId><l:Jaar>{today().year - 1}</l:Jaar>"
        f"<l:Periode>7</l:Periode>"
    )

    rows = items(
        answer(call(server, http, "GeefLoongegevens", params), "GeefLoongegevens"),
        "Loongegevens",
    )

    assert [r["Periode"] for r in rows] == ["7", "7"]  # the third dienstverband ended in June


def test_geef_verlof_returns_both_kinds_per_dienstverband_with_saldo(server, http):
    params = f"<l:WerkgeverId>{E1}</l:WerkgeverId><l:Jaar>{today().year - 1}</l:Jaar>"

    rows = items(answer(call(server, http, "GeefVerlof", params), "GeefVerlof"), "Verlof")

    assert len(rows) == 6
    assert {r["Verlofsoort"] for r in rows} == {"Wettelijk", "Bovenwettelijk"}
    assert rows[0] == {
        "DienstverbandId": "00000000-0000-4000-8000-000000030101",
        "Jaar": str(today().year - 1),
        "Verlofsoort": "Wettelijk",
        "Opgebouwd": "160.00",
        "Opgenomen": "120.00",
        "Saldo": "40.00",
    }
    assert all(
        Decimal(r["Saldo"]) == Decimal(r["Opgebouwd"]) - Decimal(r["Opgenomen"]) for r in rows
    )


def test_it_accepts_an_unquoted_or_absent_soapaction(server, http):
    body = envelope("ControleerToegang")

    unquoted = post(server, http, body, headers={"SOAPAction": f"{NS}/ControleerToegang"})
    absent = post(server, http, body)

    assert unquoted.status_code == 200
    assert absent.status_code == 200


# --- team scoping ---------------------------------------------------------------------------------


def test_ws_andere_partij_sees_its_own_party_and_only_e1(server, http):
    access = answer(
        call(server, http, "ControleerToegang", user="ws-andere-partij"), "ControleerToegang"
    )
    werkgevers = answer(
        call(server, http, "GeefWerkgevers", user="ws-andere-partij"), "GeefWerkgevers"
    )

    assert access.findtext(f"{{{NS}}}Webservicepartij") == "Andere Partij B.V."
    assert [w["WerkgeverId"] for w in items(werkgevers, "Werkgever")] == [E1]


def test_ws_zonder_team_gets_an_empty_list_not_an_error(server, http):
    result = answer(call(server, http, "GeefWerkgevers", user="ws-zonder-team"), "GeefWerkgevers")

    assert len(result) == 0


def test_ws_zonder_loon_has_only_werkgevers_and_sees_e1_and_e2(server, http):
    access = answer(
        call(server, http, "ControleerToegang", user="ws-zonder-loon"), "ControleerToegang"
    )
    werkgevers = answer(
        call(server, http, "GeefWerkgevers", user="ws-zonder-loon"), "GeefWerkgevers"
    )

    assert [e.text for e in access.findall(f"{{{NS}}}Functie")] == ["WERKGEVERS"]
    assert [e.text for e in access.findall(f"{{{NS}}}Entiteit")] == ["werkgever"]
    assert [w["WerkgeverId"] for w in items(werkgevers, "Werkgever")] == [E1, E2]


# --- faults ---------------------------------------------------------------------------------------


def test_it_answers_omgeving_onbekend_for_an_unknown_environment(server, http):
    faultcode, faultstring, code, _ = fault(call(server, http, "ControleerToegang", omgeving="X1"))

    assert (faultcode, code) == ("soap:Client", "OMGEVING_ONBEKEND")
    assert faultstring


@pytest.mark.parametrize(("user", "password"), [("ws-benefits", PASSWORD), ("niemand", "fout")])
def test_it_answers_storing_for_every_call_in_the_storing_environment(server, http, user, password):
    response = call(
        server, http, "GeefWerkgevers", omgeving="STORING", user=user, password=password
    )

    faultcode, _, code, _ = fault(response)
    assert (faultcode, code) == ("soap:Server", "STORING")


def test_it_answers_inlog_ongeldig_identically_for_unknown_user_and_wrong_password(server, http):
    unknown = call(server, http, "ControleerToegang", user="ws-bestaat-niet")
    wrong = call(server, http, "ControleerToegang", password="Demo#Loket2025")

    assert fault(unknown)[::2] == ("soap:Client", "INLOG_ONGELDIG")
    assert unknown.content == wrong.content


def test_it_answers_geen_webservicegebruiker_for_an_ak_user(server, http):
    response = call(server, http, "ControleerToegang", user="ak-standaard")

    assert fault(response)[::2] == ("soap:Client", "GEEN_WEBSERVICEGEBRUIKER")


def test_it_answers_gebruiker_geblokkeerd_for_a_blocked_user(server, http):
    response = call(server, http, "GeefWerkgevers", user="ws-geblokkeerd")

    assert fault(response)[::2] == ("soap:Client", "GEBRUIKER_GEBLOKKEERD")


def test_it_answers_niet_geautoriseerd_naming_function_and_entity(server, http):
    response = call(
        server,
        http,
        "GeefWerknemers",
        f"<l:WerkgeverId>{E1}</l:WerkgeverId>",
        user="ws-zonder-loon",
    )

    faultcode, _, code, melding = fault(response)
    assert (faultcode, code) == ("soap:Client", "NIET_GEAUTORISEERD")
    assert (
        melding == "De gebruiker is niet geautoriseerd voor functie WERKNEMERS (entiteit persoon)"
    )


def test_it_checks_the_verlof_entity_for_geef_verlof(server, http):
    params = f"<l:WerkgeverId>{E1}</l:WerkgeverId><l:Jaar>2025</l:Jaar>"

    melding = fault(call(server, http, "GeefVerlof", params, user="ws-zonder-loon"))[3]

    assert melding == "De gebruiker is niet geautoriseerd voor functie VERLOF (entiteit verlof)"


def test_it_checks_authorisation_before_validating_parameters(server, http):
    response = call(
        server,
        http,
        "GeefWerknemers",
        "<l:WerkgeverId>geen-guid</l:WerkgeverId>",
        user="ws-zonder-loon",
    )

    assert fault_code(response) == "NIET_GEAUTORISEERD"


def test_it_answers_niet_gevonden_for_a_werkgever_outside_the_team(server, http):
    outside = call(server, http, "GeefWerknemers", f"<l:WerkgeverId>{E4}</l:WerkgeverId>")
    unknown = call(
        server,
        http,
        "GeefWerknemers",
        "<l:WerkgeverId>00000000-0000-4000-8000-00000000ffff</l:WerkgeverId>",
    )

    assert fault(outside)[::2] == ("soap:Client", "NIET_GEVONDEN")
    assert outside.content == unknown.content


def test_it_answers_niet_gevonden_for_a_werknemer_of_another_werkgever(server, http):
    of_e2 = "00000000-0000-4000-8000-000000020201"
    params = f"<l:WerkgeverId>{E1}</l:WerkgeverId><l:WerknemerId>{of_e2}</l:WerknemerId>"

    assert fault_code(call(server, http, "GeefDienstverbanden", params)) == "NIET_GEVONDEN"


def test_it_leaves_e4_out_of_every_answer(server, http):
    body = call(server, http, "GeefWerkgevers").content

    assert E4.encode() not in body
    assert b"Transport Jansen" not in body


def test_an_unexpected_error_becomes_a_storing_fault_without_traceback(monkeypatch, caplog):
    def broken(body: bytes, soap_action: str | None) -> bytes:
        raise ZeroDivisionError("kapot")

    with start_sandbox(port=0) as own, requests.Session() as session:
        monkeypatch.setattr(own.service, "handle", broken)
        with caplog.at_level(logging.ERROR, logger="locket_client.sandbox"):
            response = call(own, session, "ControleerToegang")

        faultcode, _, code, _ = fault(response)
        assert (faultcode, code) == ("soap:Server", "STORING")
        assert b"Traceback" not in response.content
        assert b"kapot" not in response.content
        assert any(record.levelno == logging.ERROR for record in caplog.records)


# --- hostile and malformed requests ---------------------------------------------------------------

_AUTH = (
    f'<soap:Header><l:Authenticatie xmlns:l="{NS}"><l:Omgevingscode>DEMO001</l:Omgevingscode>'
    f"<l:Gebruikersnaam>ws-benefits</l:Gebruikersnaam><l:Wachtwoord>{PASSWORD}</l:Wachtwoord>"
    f"</l:Authenticatie></soap:Header>"
)
_BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">'
        for i in range(1, 10)
    )
    + f']><soap:Envelope xmlns:soap="{SOAP}">{_AUTH}<soap:Body>'
    f'<l:ControleerToegang xmlns:l="{NS}">&lol9;</l:ControleerToegang></soap:Body></soap:Envelope>'
).encode()

MALFORMED: dict[str, tuple[bytes, str | None]] = {
    "not-xml": (b"dit is geen xml", "ControleerToegang"),
    "empty": (b"", "ControleerToegang"),
    "dtd": (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ELEMENT x ANY>]>'
        + envelope("ControleerToegang").split(b"?>", 1)[1],
        "ControleerToegang",
    ),
    "entity": (
        (
            f'<!DOCTYPE e [<!ENTITY u "ws-benefits">]><soap:Envelope xmlns:soap="{SOAP}">'
            f'<soap:Header><l:Authenticatie xmlns:l="{NS}"><l:Omgevingscode>DEMO001'
            f"</l:Omgevingscode><l:Gebruikersnaam>&u;</l:Gebruikersnaam><l:Wachtwoord>"
            f"{PASSWORD}</l:Wachtwoord></l:Authenticatie></soap:Header><soap:Body>"
            f'<l:ControleerToegang xmlns:l="{NS}"/></soap:Body></soap:Envelope>'
        ).encode(),
        "ControleerToegang",
    ),
    "billion-laughs": (_BILLION_LAUGHS, "ControleerToegang"),
    "external-entity": (
        (
            f'<!DOCTYPE e [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
            f'<soap:Envelope xmlns:soap="{SOAP}">{_AUTH}<soap:Body>'
            f'<l:GeefWerkgevers xmlns:l="{NS}"><l:Peildatum>&xxe;</l:Peildatum>'
            f"</l:GeefWerkgevers></soap:Body></soap:Envelope>"
        ).encode(),
        "GeefWerkgevers",
    ),
    "dtd-in-utf16": (
        (
            '<?xml version="1.0" encoding="utf-16"?><!DOCTYPE x [<!ENTITY a "b">]>'
            + envelope("ControleerToegang").decode().split("?>", 1)[1]
        ).encode("utf-16"),
        "ControleerToegang",
    ),
    "soap-1.2-envelope": (
        envelope("ControleerToegang").replace(
            SOAP.encode(), b"http://www.w3.org/2003/05/soap-envelope"
        ),
        "ControleerToegang",
    ),
    "no-body": (
        f'<soap:Envelope xmlns:soap="{SOAP}">{_AUTH}</soap:Envelope>'.encode(),
        "ControleerToegang",
    ),
    "unknown-operation": (envelope("GeefAlles"), None),
    "wrong-soapaction": (envelope("GeefWerkgevers"), "ControleerToegang"),
    "missing-header": (envelope("ControleerToegang", header=""), "ControleerToegang"),
    "missing-wachtwoord": (
        envelope(
            "ControleerToegang",
            header=(
                f'<soap:Header><l:Authenticatie xmlns:l="{NS}"><l:Omgevingscode>DEMO001'
                f"</l:Omgevingscode><l:Gebruikersnaam>ws-benefits</l:Gebruikersnaam>"
                f"</l:Authenticatie></soap:Header>"
            ),
        ),
        "ControleerToegang",
    ),
    "bad-guid": (
        envelope("GeefWerknemers", "<l:WerkgeverId>1001</l:WerkgeverId>"),
        "GeefWerknemers",
    ),
    "missing-werkgeverid": (envelope("GeefWerknemers"), "GeefWerknemers"),
    "bad-date": (
        envelope("GeefWerkgevers", "<l:Peildatum>2025-02-30</l:Peildatum>"),
        "GeefWerkgevers",
    ),
    "non-integer-jaar": (
        envelope("GeefVerlof", f"<l:WerkgeverId>{E1}</l:WerkgeverId><l:Jaar>2025.5</l:Jaar>"),
        "GeefVerlof",
    ),
    "non-integer-periode": (
        envelope(
            "GeefLoongegevens",
            f"<l:WerkgeverId>{E1}</l:WerkgeverId><l:Jaar>2025</l:Jaar><l:Periode>mei</l:Periode>",
        ),
        "GeefLoongegevens",
    ),
    "unexpected-parameter": (
        envelope("GeefWerkgevers", "<l:Stiekem>1</l:Stiekem>"),
        "GeefWerkgevers",
    ),
}


@pytest.mark.parametrize("case", MALFORMED)
def test_it_answers_ongeldige_invoer_for_a_malformed_request_and_keeps_serving(server, http, case):
    body, operation = MALFORMED[case]

    response = post(server, http, body, operation)

    faultcode, faultstring, code, _ = fault(response)
    assert (faultcode, code) == ("soap:Client", "ONGELDIGE_INVOER")
    assert b"root:" not in response.content
    assert faultstring
    assert_still_serving(server)


def test_it_refuses_a_structurally_bad_request_before_looking_at_the_environment(server, http):
    response = post(server, http, envelope("GeefWerkgevers", omgeving="STORING"), "GeefVerlof")

    assert fault_code(response) == "ONGELDIGE_INVOER"


def test_it_refuses_an_oversized_body_unread_and_closes_the_connection(server):
    request = (
        f"POST /loket/soap HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\n"
        f"Content-Length: {MAX_BODY_BYTES + 1}\r\n\r\n"
    ).encode()

    received, closed = raw_exchange(server, request)  # the body is never sent

    head, _, body = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 500")
    assert b"Connection: close" in head
    assert b"<Code>ONGELDIGE_INVOER</Code>" in body
    assert closed
    assert_still_serving(server)


def test_it_refuses_a_request_without_content_length(server):
    body = envelope("ControleerToegang")
    request = (
        b"POST /loket/soap HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        + f"{len(body):x}\r\n".encode()
        + body
        + b"\r\n0\r\n\r\n"
    )

    received, closed = raw_exchange(server, request)

    assert received.startswith(b"HTTP/1.1 500")
    assert b"<Code>ONGELDIGE_INVOER</Code>" in received
    assert closed
    assert_still_serving(server)


def test_it_refuses_a_real_body_over_the_limit(server, http):
    body = envelope("ControleerToegang", "<!-- " + "x" * MAX_BODY_BYTES + " -->")

    try:
        response = post(server, requests.Session(), body, "ControleerToegang")
    except requests.ConnectionError:
        pass  # the server answered and closed before the client finished sending: also a refusal
    else:
        assert fault_code(response) == "ONGELDIGE_INVOER"
    assert_still_serving(server)


def test_it_never_logs_the_request_body_or_password(server, http, caplog):
    secret = "Geheim#Wachtwoord-9f3e"

    with caplog.at_level(logging.DEBUG, logger="locket_client.sandbox"):
        call(server, http, "ControleerToegang", password=secret)
        post(server, http, b"<kapot " + secret.encode(), "ControleerToegang")
        time.sleep(0.05)  # the handler thread logs after answering

    assert secret not in caplog.text
    assert "POST /loket/soap" in caplog.text


# --- ws-groot and the data ------------------------------------------------------------------------


def test_ws_groot_gets_exactly_ten_thousand_werkgevers_with_valid_unique_loonheffingennummers(
    server, http
):
    result = answer(call(server, http, "GeefWerkgevers", user="ws-groot"), "GeefWerkgevers")

    werkgevers = items(result, "Werkgever")
    assert len(werkgevers) == 10_000
    assert werkgevers[0] == {
        "WerkgeverId": "00000000-0000-4000-9000-000000000001",
        "Werkgevernummer": "100001",
        "Naam": "Groot Werkgever 00001 B.V.",
        "KvkNummer": "60000001",
        "Loonheffingennummer": werkgevers[0]["Loonheffingennummer"],
        "Actief": "true",
    }
    assert werkgevers[-1]["Naam"] == "Groot Werkgever 10000 B.V."
    nummers = [w["Loonheffingennummer"] for w in werkgevers]
    assert len(set(nummers)) == 10_000
    assert all(n.endswith("L01") and eleven_test(n[:9]) for n in nummers)


def test_ws_groot_data_is_identical_across_two_builds():
    first = build_sandbox_data().environments["DEMO001"].data
    second = build_sandbox_data().environments["DEMO001"].data

    assert first.werkgevers == second.werkgevers
    assert first.users["ws-groot"].team == second.users["ws-groot"].team
    assert len(first.users["ws-groot"].team) == 10_000


def test_ws_groot_answer_is_built_once_and_then_served_from_the_cache(server):
    # How fast the cached answer is: bench/sandbox_timing.py (ws_groot_cached_ms).
    body = envelope("GeefWerkgevers", user="ws-groot")
    first = server.service.handle(body, None)

    again = server.service.handle(body, None)

    assert again is first


def test_every_sandbox_loonheffingennummer_and_bsn_passes_the_11_test():
    data = sandbox_data().environments["DEMO001"].data
    nummers = [n for w in data.werkgevers for n in w.loonheffingennummers]
    # E1-E3's werknemers; ws-groot's (generated on access): test_sandbox_ws_groot.py.
    bsns = [w.bsn for e in (E1, E2, E3) for w in data.werknemers_by_werkgever[e]]

    assert len(nummers) == 10_005
    assert all(eleven_test(n[:9]) and n[9] == "L" for n in nummers)
    assert len(bsns) == 9
    assert len(set(bsns)) == 9
    assert all(eleven_test(bsn) for bsn in bsns)


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        ("144068989", True),
        ("111222333", True),
        ("144068988", False),
        ("14406898", False),
        ("14406898a", False),
        ("".join(chr(0xFF10 + int(d)) for d in "144068989"), False),  # fullwidth digits
    ],
)
def test_eleven_test_accepts_only_nine_ascii_digits_passing_the_check(number, valid):
    assert eleven_test(number) is valid


def test_loongegevens_exist_only_within_the_dienstverband():
    data = sandbox_data().environments["DEMO001"].data
    # E1-E3 (monthly); ws-groot's, four-weekly werkgever included: test_sandbox_ws_groot.py.
    for werkgever_id in (E1, E2, E3):
        per_id = {d.dienstverband_id: d for d in data.dienstverbanden_by_werkgever[werkgever_id]}
        for lg in data.loongegevens_by_werkgever[werkgever_id]:
            assert per_id[lg.dienstverband_id].runs_in_month(lg.jaar, lg.periode)


# --- TRAAG and lifecycle --------------------------------------------------------------------------


def test_traag_answers_like_demo001(server, http):
    # How long TRAAG takes: bench/sandbox_timing.py (traag_ms).
    demo = call(server, http, "GeefWerkgevers")

    traag = call(server, http, "GeefWerkgevers", omgeving="TRAAG")

    assert traag.status_code == 200
    assert traag.content == demo.content


def test_traag_gives_no_answer_before_the_delay(server):
    with requests.Session() as own, pytest.raises(requests.ReadTimeout):
        post(
            server,
            own,
            envelope("ControleerToegang", omgeving="TRAAG"),
            "ControleerToegang",
            timeout=TRAAG_DELAY / 4,
        )


def test_traag_still_checks_the_credentials_after_the_delay(server, http):
    response = call(server, http, "ControleerToegang", omgeving="TRAAG", password="fout")

    assert fault_code(response) == "INLOG_ONGELDIG"


def test_stop_is_idempotent_and_frees_the_port():
    own = start_sandbox(port=0)
    address = urlsplit(own.url)

    own.stop()
    own.stop()

    with pytest.raises(requests.ConnectionError):
        requests.get(own.wsdl_url, timeout=2)
    assert address.port


def test_stop_releases_a_request_waiting_in_traag():
    own = start_sandbox(port=0, slow_delay=30.0)
    outcome: list[object] = []

    def slow_call() -> None:
        try:
            outcome.append(call(own, requests.Session(), "ControleerToegang", omgeving="TRAAG"))
        except requests.RequestException as exc:
            outcome.append(exc)

    caller = threading.Thread(target=slow_call)
    caller.start()
    time.sleep(0.3)  # let the request reach the TRAAG wait
    own.stop()
    caller.join(timeout=10)

    # How quickly: bench/sandbox_timing.py (stop_release_ms).
    assert not caller.is_alive()
    assert len(outcome) == 1


def test_a_peildatum_before_every_dienstverband_returns_no_werknemers(server, http):
    params = f"<l:WerkgeverId>{E3}</l:WerkgeverId><l:Peildatum>1999-12-31</l:Peildatum>"

    result = answer(call(server, http, "GeefWerknemers", params), "GeefWerknemers")

    assert len(result) == 0
