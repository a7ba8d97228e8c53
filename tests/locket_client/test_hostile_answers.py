"""The client against a server that answers badly or with malice: XML bombs, external entities,
endless bodies, proxies' error pages. Every case ends in a typed error, quickly."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from locket_client.client import LoketClient
from locket_client.errors import LoketTimeout, LoketTransportError, Storing, UnexpectedAnswer
from tests.conftest import demo_credentials

SOAP_OPEN = '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
SOAP_CLOSE = "</soap:Body></soap:Envelope>"
ACCESS_OK = (
    '<ControleerToegangResponse xmlns="urn:salariskoppeling:loket-webservice:v1">'
    "<Gebruikersnaam>{name}</Gebruikersnaam><Webservicepartij>Benefits-Plaza</Webservicepartij>"
    "</ControleerToegangResponse>"
)

BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + "".join(
        f' <!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n'
        for i in range(1, 10)
    )
    + "]>\n"
    + SOAP_OPEN
    + ACCESS_OK.format(name="&lol9;")
    + SOAP_CLOSE
)
EXTERNAL_ENTITY = (
    '<?xml version="1.0"?>\n<!DOCTYPE x [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>\n'
    + SOAP_OPEN
    + ACCESS_OK.format(name="&xxe;")
    + SOAP_CLOSE
)
PLAIN_DTD = (
    '<?xml version="1.0"?>\n<!DOCTYPE x>\n' + SOAP_OPEN + ACCESS_OK.format(name="a") + SOAP_CLOSE
)
UNKNOWN_FAULT = (
    SOAP_OPEN
    + "<soap:Fault><faultcode>soap:Client</faultcode><faultstring>Nee</faultstring><detail>"
    '<LoketFout xmlns="urn:salariskoppeling:loket-webservice:v1"><Code>BESTAAT_NIET</Code>'
    "<Melding>x</Melding></LoketFout></detail></soap:Fault>" + SOAP_CLOSE
)
STORING_FAULT = UNKNOWN_FAULT.replace("BESTAAT_NIET", "STORING").replace(
    "soap:Client", "soap:Server"
)


class _Scripted(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    script: dict[str, tuple[int, str, bytes]] = {}

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        kind = self.server.kind  # type: ignore[attr-defined]
        if kind == "drip":
            self.send_response(200)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Content-Length", "100000")
            self.end_headers()
            for _ in range(50):
                self.wfile.write(b" ")
                self.wfile.flush()
                time.sleep(0.1)
            return
        if kind == "endless":
            self.send_response(200)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            chunk = b"<a>" + b"x" * 65536 + b"</a>"
            for _ in range(64):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.write(b"0\r\n\r\n")
            return
        status, content_type, body = self.script[kind]
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        return


_Scripted.script = {
    "bomb": (200, "text/xml", BILLION_LAUGHS.encode()),
    "xxe": (200, "text/xml", EXTERNAL_ENTITY.encode()),
    "dtd": (200, "text/xml", PLAIN_DTD.encode()),
    "not-xml": (200, "text/xml", b"this is not xml"),
    "proxy-502": (502, "text/html", b"<html><body>Bad gateway</body></html>"),
    "not-found": (404, "text/html", b"<html><body>Not found</body></html>"),
    "unknown-fault": (500, "text/xml", UNKNOWN_FAULT.encode()),
    "storing": (500, "text/xml", STORING_FAULT.encode()),
    "wrong-shape": (200, "text/xml", (SOAP_OPEN + "<Iets/>" + SOAP_CLOSE).encode()),
}


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        """The client hanging up mid-answer is what these tests provoke: not worth a traceback."""


@pytest.fixture(scope="module")
def hostile() -> Iterator[ThreadingHTTPServer]:
    server = _QuietServer(("127.0.0.1", 0), _Scripted)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _client(server: ThreadingHTTPServer, kind: str, **kwargs) -> LoketClient:
    server.kind = kind  # type: ignore[attr-defined]
    host, port = server.server_address[:2]
    return LoketClient(endpoint=f"http://{host}:{port}/loket/soap", **{"timeout": 2, **kwargs})


@pytest.mark.parametrize("kind", ["bomb", "xxe", "dtd"])
def test_an_answer_with_a_dtd_or_entities_is_refused(hostile, kind):
    with pytest.raises(UnexpectedAnswer) as caught:
        _client(hostile, kind).check_access(demo_credentials())

    assert caught.value.retryable is False
    assert "root:" not in str(caught.value)


@pytest.mark.parametrize("kind", ["not-xml", "unknown-fault", "wrong-shape", "not-found"])
def test_an_answer_outside_the_contract_is_unexpected(hostile, kind):
    with pytest.raises(UnexpectedAnswer):
        _client(hostile, kind).check_access(demo_credentials())


def test_a_proxy_error_page_is_a_retryable_transport_error(hostile):
    with pytest.raises(LoketTransportError) as caught:
        _client(hostile, "proxy-502").check_access(demo_credentials())

    assert caught.value.retryable is True


def test_a_storing_fault_from_any_server_is_retryable(hostile):
    with pytest.raises(Storing):
        _client(hostile, "storing").check_access(demo_credentials())


def test_a_server_that_drips_its_answer_is_cut_off_at_the_timeout(hostile):
    # How soon after the timeout: bench/sandbox_timing.py (drip_cutoff_ms).
    with pytest.raises(LoketTimeout):
        _client(hostile, "drip", timeout=0.5).check_access(demo_credentials())


def test_an_endless_answer_is_cut_off_at_the_size_limit(hostile):
    with pytest.raises(UnexpectedAnswer, match="size limit"):
        _client(hostile, "endless", max_answer_bytes=1024 * 1024).check_access(demo_credentials())
