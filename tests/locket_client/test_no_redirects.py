"""Issue 13, point 8: the SOAP client never follows a redirect. A 307 (or 308) keeps the method and
the body, so following one would replay the envelope, the Loket.nl password included, to
wherever the answer points."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from locket_client.client import LoketClient
from locket_client.errors import LoketError
from tests.conftest import DEMO_PASSWORD, demo_credentials


class _Recorder(BaseHTTPRequestHandler):
    """The "elsewhere" a redirect points to: records every request it gets, with its body."""

    received: list[tuple[str, bytes]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        type(self).received.append((self.path, body))
        self.send_response(500)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self) -> None:
        type(self).received.append((self.path, b""))
        self.send_response(500)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def _redirector(target: str, status: int) -> type[BaseHTTPRequestHandler]:
    class _Redirect(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(status)
            self.send_header("Location", target)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    return _Redirect


def _serve(handler: type[BaseHTTPRequestHandler]) -> tuple[ThreadingHTTPServer, str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


@pytest.fixture
def elsewhere() -> Iterator[str]:
    _Recorder.received = []
    server, url = _serve(_Recorder)
    try:
        yield url
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_the_soap_client_does_not_follow_redirects_and_never_replays_the_envelope(
    elsewhere, status
):
    server, endpoint = _serve(_redirector(f"{elsewhere}/stolen", status))
    try:
        client = LoketClient(endpoint=f"{endpoint}/loket/soap", timeout=5)
        with pytest.raises(LoketError):
            client.check_access(demo_credentials())
    finally:
        server.shutdown()
        server.server_close()

    assert _Recorder.received == []
    assert all(DEMO_PASSWORD.encode() not in body for _, body in _Recorder.received)
