"""Benchmark: the timings of the Loket.nl sandbox and of the client's deadline.

The unit tests assert behaviour only (the cached answer is reused, TRAAG does not answer before its
delay, stop releases a waiting request, a dripping server ends in ``LoketTimeout``); the figures
those behaviours are for live here:

- ``ws_groot_first_ms`` / ``ws_groot_cached_ms``: building ws-groot's GeefWerkgevers answer (10,000
  werkgevers) in the service, and serving it again (median of 50). Target: cached < 100 ms.
- ``ws_groot_500_month_ms`` / ``ws_groot_500_month_again_ms``: one month of ws-groot werkgever 10
  (500 werknemers): GeefWerknemers, GeefDienstverbanden and GeefLoongegevens(Jaar, Periode) in
  the service, first (generating the werkgever's staff) and again (median of 20). Target: first
  < 250 ms.
- ``ws_groot_1000_month_s``: the same three calls for werkgevers 1..1000 (19,939
  dienstverbanden), one after the other. Target: < 15 s (the delivery bench has a minute for
  these calls and the portal's work).
- ``traag_ms``: one call to ``TRAAG`` with a 1 s delay. Target: >= 1000 ms (never early).
- ``stop_release_ms``: from ``stop()`` to the return of a request waiting in ``TRAAG`` (30 s
  delay). Target: < 10,000 ms.
- ``client_traag_timeout_ms``: the client (timeout 0.5 s) against ``TRAAG`` (30 s delay): the
  ``LoketTimeout`` comes at the timeout, not after the delay. Target: < 1000 ms.
- ``drip_cutoff_ms``: the client (timeout 0.5 s) against a server that drips its answer a byte
  per 0.1 s. Target: < 1500 ms.

No Django setup: the sandbox and ``LoketClient`` run without settings.

Run: ``PYTHONPATH=. .venv/bin/python bench/sandbox_timing.py`` (or ``make bench``).
"""

from __future__ import annotations

import statistics
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from locket_client.client import LoketClient  # noqa: E402
from locket_client.errors import LoketTimeout  # noqa: E402
from locket_client.sandbox import start_sandbox  # noqa: E402
from locket_client.sandbox.fixtures import sandbox_data  # noqa: E402
from locket_client.sandbox.staff import (  # noqa: E402
    ws_groot_corrected_period,
    ws_groot_werkgever_guid,
)
from locket_client.types import Credentials  # noqa: E402

NS = "urn:salariskoppeling:loket-webservice:v1"
PASSWORD = "Demo#Loket2026"
TRAAG_DELAY = 1.0
CLIENT_TIMEOUT = 0.5
ROUNDS = 50


def envelope(
    operation: str, *, omgeving: str = "DEMO001", user: str = "ws-benefits", params: str = ""
) -> bytes:
    return (
        '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" '
        f'xmlns:l="{NS}"><s:Header><l:Authenticatie>'
        f"<l:Omgevingscode>{omgeving}</l:Omgevingscode><l:Gebruikersnaam>{user}</l:Gebruikersnaam>"
        f"<l:Wachtwoord>{PASSWORD}</l:Wachtwoord></l:Authenticatie></s:Header>"
        f"<s:Body><l:{operation}>{params}</l:{operation}></s:Body></s:Envelope>"
    ).encode()


def post(url: str, operation: str, *, omgeving: str = "DEMO001", timeout: float = 60) -> bytes:
    response = requests.post(
        url,
        data=envelope(operation, omgeving=omgeving),
        headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{NS}/{operation}"'},
        timeout=timeout,
    )
    response.raise_for_status()
    return response.content


def ws_groot_answer_ms() -> tuple[float, float]:
    with start_sandbox(port=0) as sandbox:
        body = envelope("GeefWerkgevers", user="ws-groot")
        started = time.perf_counter()
        first = sandbox.service.handle(body, None)
        first_ms = (time.perf_counter() - started) * 1000
        cached_ms: list[float] = []
        for _ in range(ROUNDS):
            started = time.perf_counter()
            again = sandbox.service.handle(body, None)
            cached_ms.append((time.perf_counter() - started) * 1000)
        assert again == first
    return first_ms, statistics.median(cached_ms)


def ws_groot_month_bodies(n: int, year: int, period: int) -> list[bytes]:
    werkgever = f"<l:WerkgeverId>{ws_groot_werkgever_guid(n)}</l:WerkgeverId>"
    month = f"{werkgever}<l:Jaar>{year}</l:Jaar><l:Periode>{period}</l:Periode>"
    return [
        envelope("GeefWerknemers", user="ws-groot", params=werkgever),
        envelope("GeefDienstverbanden", user="ws-groot", params=werkgever),
        envelope("GeefLoongegevens", user="ws-groot", params=month),
    ]


def ws_groot_month_ms() -> tuple[float, float, float]:
    with start_sandbox(port=0) as sandbox:
        year, period = ws_groot_corrected_period(sandbox_data().today)  # the last closed month

        def serve(n: int) -> float:
            started = time.perf_counter()
            for body in ws_groot_month_bodies(n, year, period):
                sandbox.service.handle(body, None)
            return time.perf_counter() - started

        first_ms = serve(10) * 1000
        again_ms = statistics.median(serve(10) * 1000 for _ in range(20))
        thousand_s = sum(serve(n) for n in range(1, 1001))
    return first_ms, again_ms, thousand_s


def traag_ms() -> float:
    with start_sandbox(port=0, slow_delay=TRAAG_DELAY) as sandbox:
        demo = post(sandbox.url, "GeefWerkgevers")
        started = time.perf_counter()
        traag = post(sandbox.url, "GeefWerkgevers", omgeving="TRAAG")
        elapsed = (time.perf_counter() - started) * 1000
        assert traag == demo
    return elapsed


def client_traag_timeout_ms() -> float:
    with start_sandbox(port=0, slow_delay=30.0) as sandbox:
        client = LoketClient(endpoint=sandbox.url, timeout=CLIENT_TIMEOUT)
        credentials = Credentials(
            omgevingscode="TRAAG", gebruikersnaam="ws-benefits", wachtwoord=PASSWORD
        )
        started = time.perf_counter()
        try:
            client.check_access(credentials)
        except LoketTimeout:
            pass
        else:
            raise AssertionError("TRAAG answered within the client's timeout")
        return (time.perf_counter() - started) * 1000


def stop_release_ms() -> float:
    sandbox = start_sandbox(port=0, slow_delay=30.0)
    done = threading.Event()

    def waiting_call() -> None:
        try:
            post(sandbox.url, "ControleerToegang", omgeving="TRAAG")
        except requests.RequestException:
            pass  # the connection closed by stop() is also a release
        finally:
            done.set()

    caller = threading.Thread(target=waiting_call, daemon=True)
    caller.start()
    time.sleep(0.3)  # let the request reach the TRAAG wait
    started = time.perf_counter()
    sandbox.stop()
    released = done.wait(30)
    elapsed = (time.perf_counter() - started) * 1000
    assert released, "stop() did not release the waiting request"
    return elapsed


class _Drip(BaseHTTPRequestHandler):
    """Announces a 100,000-byte answer and sends a byte every 0.1 s."""

    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_response(200)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", "100000")
        self.end_headers()
        try:
            for _ in range(50):
                self.wfile.write(b" ")
                self.wfile.flush()
                time.sleep(0.1)
        except OSError:
            return  # the client gave up, as it should

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        return


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:  # type: ignore[no-untyped-def]
        """The client hanging up mid-answer is the point of this server."""


def drip_cutoff_ms() -> float:
    server = _QuietServer(("127.0.0.1", 0), _Drip)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        client = LoketClient(endpoint=f"http://{host}:{port}/loket/soap", timeout=CLIENT_TIMEOUT)
        credentials = Credentials(
            omgevingscode="DEMO001", gebruikersnaam="ws-benefits", wachtwoord=PASSWORD
        )
        started = time.perf_counter()
        try:
            client.check_access(credentials)
        except LoketTimeout:
            pass
        else:
            raise AssertionError("the dripping answer was not cut off")
        return (time.perf_counter() - started) * 1000
    finally:
        server.shutdown()
        server.server_close()


def main() -> None:
    first_ms, cached_ms = ws_groot_answer_ms()
    month_ms, month_again_ms, thousand_s = ws_groot_month_ms()
    slow_ms = traag_ms()
    release_ms = stop_release_ms()
    timeout_ms = client_traag_timeout_ms()
    drip_ms = drip_cutoff_ms()

    def verdict(met: bool) -> str:
        return "met" if met else "MISSED"

    print(f"ws-groot GeefWerkgevers (10,000 werkgevers): first build {first_ms:.1f} ms")
    print(
        f"ws-groot GeefWerkgevers served again: median {cached_ms:.3f} ms over {ROUNDS} "
        f"(target < 100 ms: {verdict(cached_ms < 100)})"
    )
    print(
        f"ws-groot werkgever 10 (500 werknemers), one month's three answers: first "
        f"{month_ms:.1f} ms (target < 250 ms: {verdict(month_ms < 250)}), "
        f"again median {month_again_ms:.1f} ms"
    )
    print(
        f"ws-groot werkgevers 1..1000, one month's three answers each: {thousand_s:.1f} s "
        f"(target < 15 s: {verdict(thousand_s < 15)})"
    )
    print(
        f"TRAAG with a {TRAAG_DELAY:g} s delay answered after {slow_ms:.0f} ms "
        f"(target >= {TRAAG_DELAY * 1000:.0f} ms: {verdict(slow_ms >= TRAAG_DELAY * 1000)})"
    )
    print(
        f"stop() released a request waiting in TRAAG (30 s) after {release_ms:.0f} ms "
        f"(target < 10000 ms: {verdict(release_ms < 10_000)})"
    )
    print(
        f"client (timeout {CLIENT_TIMEOUT:g} s) gave up on TRAAG (30 s) after {timeout_ms:.0f} ms "
        f"(target < 1000 ms: {verdict(timeout_ms < 1000)})"
    )
    print(
        f"client (timeout {CLIENT_TIMEOUT:g} s) cut off a dripping answer after {drip_ms:.0f} ms "
        f"(target < 1500 ms: {verdict(drip_ms < 1500)})"
    )
    print(
        f"RESULT ws_groot_first_ms={first_ms:.1f} ws_groot_cached_ms={cached_ms:.3f} "
        f"ws_groot_500_month_ms={month_ms:.1f} ws_groot_500_month_again_ms={month_again_ms:.1f} "
        f"ws_groot_1000_month_s={thousand_s:.1f} "
        f"traag_ms={slow_ms:.0f} stop_release_ms={release_ms:.0f} "
        f"client_traag_timeout_ms={timeout_ms:.0f} drip_cutoff_ms={drip_ms:.0f}"
    )


if __name__ == "__main__":
    main()
