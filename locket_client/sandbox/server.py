"""The Loket.nl sandbox: a real HTTP SOAP 1.1 server speaking "Loket.nl webservice v1".

The portal's client, its tests and the benchmarks talk to it over real HTTP. This module is the
HTTP layer: ``POST /loket/soap`` (handed to :class:`~locket_client.sandbox.service.LoketService`),
``GET /loket/soap?wsdl`` (the shipped WSDL pointing at this server), keep-alive, a 1 MiB body limit
read no further than the limit, and the lifecycle (:func:`start_sandbox`, :func:`serve_forever`).
An unexpected error becomes the ``STORING`` fault, never a traceback for the client; request
bodies carry the password, so only request lines are logged.

No Django imports: a benchmark script starts the sandbox without settings.
"""

from __future__ import annotations

import http
import logging
import signal
import socket
import sys
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType, TracebackType
from typing import Any, Final, Self
from urllib.parse import urlsplit

from lxml import etree

from locket_client.sandbox.contract import (
    MESSAGE_STORING,
    NAMESPACE,
    SOAP_ENV_NAMESPACE,
    SandboxFault,
    invalid_input,
)
from locket_client.sandbox.fixtures import sandbox_data
from locket_client.sandbox.serialisation import fault_xml
from locket_client.sandbox.service import LoketService
from locket_client.wsdl import WSDL_PATH

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

SOAP_PATH: Final = "/loket/soap"
#: Largest request body read; anything bigger is refused without reading it.
MAX_BODY_BYTES: Final = 1024 * 1024
#: Seconds a connection may stay silent (keep-alive idle or a stalled body) before it is closed.
CONNECTION_TIMEOUT: Final = 60.0

_WSDL_SOAP_ADDRESS = "{http://schemas.xmlsoap.org/wsdl/soap/}address"
_CONTENT_TYPE = "text/xml; charset=utf-8"


# --- HTTP -----------------------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    """HTTP/1.1 with keep-alive: a benchmark measures client latency over reused connections."""

    protocol_version = "HTTP/1.1"
    server_version = "LoketSandbox/1.0"
    timeout = CONNECTION_TIMEOUT
    # Headers and a small body leave in one write, and no Nagle/delayed-ACK stall on keep-alive.
    disable_nagle_algorithm = True
    wbufsize = -1
    server: SandboxServer

    def version_string(self) -> str:
        # No Python version in the Server header.
        return self.server_version

    # -- logging: request line and status only; bodies hold the password and are never logged --

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - signature of the base
        logger.debug("%s %s", self.address_string(), format % args)

    # -- methods --

    def __getattr__(self, name: str) -> Any:
        # BaseHTTPRequestHandler answers 501 for a method without a do_<METHOD>; the contract
        # wants 405 for every method other than GET (WSDL) and POST (SOAP) on a known path.
        if name.startswith("do_"):
            return self._method_not_allowed
        raise AttributeError(name)

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if parts.path != SOAP_PATH:
            self._send_text(http.HTTPStatus.NOT_FOUND, "Niet gevonden")
        elif parts.query.lower() in ("wsdl", "wsdl="):
            self._send(http.HTTPStatus.OK, self.server.wsdl_bytes)
        else:
            self._method_not_allowed()

    def do_POST(self) -> None:
        if urlsplit(self.path).path != SOAP_PATH:
            self._send_text(http.HTTPStatus.NOT_FOUND, "Niet gevonden")
            return
        try:
            body = self._read_body()
            if body is None:  # the client stalled or went away mid-body: nothing to answer
                return
            answer = self.server.service.handle(body, self.headers.get("SOAPAction"))
        except SandboxFault as fault:
            if fault.close:
                self.close_connection = True
            self._send(http.HTTPStatus.INTERNAL_SERVER_ERROR, fault_xml(fault.code, fault.message))
            return
        except Exception:
            # The sandbox never crashes and never shows a traceback to the client; the log gets
            # the traceback, but never the body (it holds the password).
            logger.exception("Unexpected error in the Loket.nl sandbox at %s", self.requestline)
            self._send(http.HTTPStatus.INTERNAL_SERVER_ERROR, fault_xml("STORING", MESSAGE_STORING))
            return
        self._send(http.HTTPStatus.OK, answer)

    def handle_expect_100(self) -> bool:
        # Do not invite a body that will be refused unread (too big or of unknown length).
        if self._content_length() is None:
            return True
        return super().handle_expect_100()

    # -- helpers --

    def _content_length(self) -> int | None:
        """The declared body length if it is usable: one header, digits only, within the limit."""
        values = self.headers.get_all("Content-Length") or []
        if len(values) != 1 or self.headers.get("Transfer-Encoding") is not None:
            return None
        value = values[0].strip()
        if not value.isascii() or not value.isdigit():
            return None
        length = int(value)
        return length if length <= MAX_BODY_BYTES else None

    def _read_body(self) -> bytes | None:
        """Read exactly Content-Length bytes, never more than :data:`MAX_BODY_BYTES`.

        A missing, invalid or too large length is refused without reading the body; the
        connection is then closed, since the unread body cannot be skipped safely.
        """
        length = self._content_length()
        if length is None:
            raise invalid_input(
                "Het verzoek heeft geen geldige Content-Length of is groter dan 1 MiB", close=True
            )
        try:
            body = self.rfile.read(length)
        except (TimeoutError, OSError):
            logger.debug("Body from %s not (fully) received", self.address_string())
            self.close_connection = True
            return None
        if len(body) != length:
            self.close_connection = True
            return None
        return body

    def _method_not_allowed(self) -> None:
        if urlsplit(self.path).path != SOAP_PATH:
            self._send_text(http.HTTPStatus.NOT_FOUND, "Niet gevonden")
        else:
            self._send_text(
                http.HTTPStatus.METHOD_NOT_ALLOWED, "Methode niet toegestaan", allow="GET, POST"
            )

    def _send_text(self, status: http.HTTPStatus, text: str, *, allow: str | None = None) -> None:
        # Not a SOAP answer, and any request body was left unread: close the connection.
        self.close_connection = True
        self._send(status, f"{text}\n".encode(), content_type="text/plain; charset=utf-8",
                       allow=allow)  # fmt: skip

    def _send(
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

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, slow_delay: float = 20.0) -> None:
        if ":" in host:
            self.address_family = socket.AF_INET6
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._connections: set[socket.socket] = set()
        self._thread: threading.Thread | None = None
        self._stopped = False
        self.service = LoketService(slow_delay=slow_delay, stopping=self._stopping)
        super().__init__((host, port), _Handler)
        try:
            bound_host, bound_port = self.server_address[:2]
            host_in_url = f"[{bound_host}]" if ":" in str(bound_host) else str(bound_host)
            self.url = f"http://{host_in_url}:{bound_port}{SOAP_PATH}"
            self.wsdl_url = f"{self.url}?wsdl"
            self.wsdl_bytes = _wsdl_with_address(self.url)
            sandbox_data()  # build the data now rather than during the first (timed) request
        except BaseException:
            self.server_close()
            raise

    @property
    def slow_delay(self) -> float:
        """Seconds the ``TRAAG`` environment waits before answering."""
        return self.service.slow_delay

    def start(self) -> Self:
        """Serve in a daemon thread; returns the server itself."""
        with self._lock:
            if self._stopped:
                raise RuntimeError("The sandbox has already been stopped")
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
        """Stop serving, release slow requests, close socket and open connections. Idempotent."""
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
            thread = self._thread
        self._stopping.set()
        if thread is not None:
            self.shutdown()  # only with a running loop: shutdown() waits for it to exit
            thread.join(timeout=5)
        self.server_close()
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            # Wakes the handler threads blocked on idle keep-alive connections.
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                logger.debug("Connection already closed")

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
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # The default prints a traceback to stderr. A client hanging up is routine; anything
        # else is a bug worth an error in the log.
        # socketserver calls this from inside its except block, so exc_info() is the error.
        error = sys.exc_info()[1]
        if isinstance(error, OSError):
            logger.debug("Connection with %s broken off", client_address[0])
        else:
            logger.error(
                "Error while handling a connection from %s",
                client_address[0],
                exc_info=error,
            )


def _wsdl_with_address(url: str) -> bytes:
    """The shipped WSDL with every ``soap:address`` pointing at this server."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    tree = etree.parse(str(WSDL_PATH), parser)
    for address in tree.iter(_WSDL_SOAP_ADDRESS):
        address.set("location", url)
    return etree.tostring(tree, xml_declaration=True, encoding="utf-8")


def start_sandbox(
    host: str = "127.0.0.1", port: int = 0, slow_delay: float = 20.0
) -> SandboxServer:
    """Start the sandbox in a daemon thread (port 0: a free port) and return the running server.

    Use as a context manager, or call ``stop()``, to shut it down.
    """
    return SandboxServer(host, port, slow_delay=slow_delay).start()


def serve_forever(
    host: str,
    port: int,
    slow_delay: float,
    *,
    on_ready: Callable[[SandboxServer], None] | None = None,
) -> None:
    """Serve until KeyboardInterrupt or SIGTERM, then stop cleanly (for the management command).

    ``on_ready`` is called with the bound server before blocking, e.g. to announce its URL.
    """
    stopped = threading.Event()
    previous_handler: Any = None
    in_main_thread = threading.current_thread() is threading.main_thread()

    def on_sigterm(signum: int, frame: FrameType | None) -> None:
        stopped.set()

    with SandboxServer(host, port, slow_delay=slow_delay) as server:
        if in_main_thread:
            previous_handler = signal.signal(signal.SIGTERM, on_sigterm)
        try:
            server.start()
            if on_ready is not None:
                on_ready(server)
            logger.info("Loket.nl sandbox listening on %s", server.url)
            # A timed wait keeps the main thread responsive to KeyboardInterrupt.
            while not stopped.wait(0.5):
                pass
        except KeyboardInterrupt:
            logger.info("Loket.nl sandbox stopped")
        finally:
            if in_main_thread and previous_handler is not None:
                signal.signal(signal.SIGTERM, previous_handler)
