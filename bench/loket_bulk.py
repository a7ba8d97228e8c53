"""Benchmark: the Loket.nl client on bulk answers against the raw floor of the same answer.

In one process, a small local HTTP server (HTTP/1.1, keep-alive) serves two fixed answers:
- ``GeefWerkgevers`` for ``ws-groot``: 10,000 werkgevers, the bytes the sandbox answers (fetched
  from it once at start);
- ``GeefLoongegevens``: 5,000 ``Loongegevens`` records generated here deterministically (not from
  the sandbox's data, which grows elsewhere), written by the sandbox's own serialisation.

For each answer, alternating, ROUNDS runs of
- the client: ``get_client().employers(...)`` / ``.wages(...)``, dataclasses out;
- the raw floor: ``requests.post`` of the same envelope, ``lxml.etree.fromstring`` of the answer,
  and every record's element texts into a tuple;
and the medians of the wall clock compared (the process CPU time is printed too: on a machine
other processes keep busy it shows the same comparison without their noise). Target: client /
raw <= 1.5 for both.

Run: ``.venv/bin/python bench/loket_bulk.py`` (or ``make bench``).
"""

from __future__ import annotations

import hashlib
import os
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "on")  # the embedded default: development keys, the sandbox

import django  # noqa: E402

django.setup()

import requests  # noqa: E402
from django.conf import settings  # noqa: E402
from lxml import etree  # noqa: E402

from locket_client import client as client_module  # noqa: E402
from locket_client.sandbox import start_sandbox  # noqa: E402
from locket_client.sandbox.serialisation import answer_xml, element  # noqa: E402
from locket_client.types import Credentials  # noqa: E402

ROUNDS = 25
WAGE_RECORDS = 5_000
NAMESPACE = "urn:salariskoppeling:loket-webservice:v1"
EMPLOYER_ID = "00000000-0000-4000-9000-000000000001"
YEAR = 2025
CREDENTIALS = Credentials(
    omgevingscode="DEMO001", gebruikersnaam="ws-groot", wachtwoord="Demo#Loket2026"
)


def envelope(operation: str, parameters: str = "") -> bytes:
    """The request the client sends (as zeep writes it), for the raw floor."""
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<soap-env:Envelope xmlns:soap-env="http://schemas.xmlsoap.org/soap/envelope/">'
        "<soap-env:Header>"
        f'<ns0:Authenticatie xmlns:ns0="{NAMESPACE}">'
        f"<ns0:Omgevingscode>{CREDENTIALS.omgevingscode}</ns0:Omgevingscode>"
        f"<ns0:Gebruikersnaam>{CREDENTIALS.gebruikersnaam}</ns0:Gebruikersnaam>"
        f"<ns0:Wachtwoord>{CREDENTIALS.wachtwoord}</ns0:Wachtwoord>"
        "</ns0:Authenticatie></soap-env:Header>"
        f'<soap-env:Body><ns0:{operation} xmlns:ns0="{NAMESPACE}">{parameters}</ns0:{operation}>'
        "</soap-env:Body></soap-env:Envelope>"
    ).encode()


def headers(operation: str) -> dict[str, str]:
    return {
        "Content-Type": "text/xml; charset=utf-8",
        "SOAPAction": f'"{NAMESPACE}/{operation}"',
    }


def wages_answer() -> bytes:
    """5,000 ``Loongegevens``: 1,000 dienstverbanden x periods 1-5 of YEAR, shaped like the
    sandbox's own pay data (a fixed monthly salary per dienstverband), with a raise from period 3
    for every tenth and no ``VerloondeUren`` for every seventh (so the answer is not uniform)."""
    records = []
    for employment in range(WAGE_RECORDS // 5):
        salary = Decimal(1800 + (employment * 37) % 3200)
        hours = None if employment % 7 == 0 else Decimal(16 + employment % 25) * 52 / 12
        for period in range(1, 6):
            gross = salary * Decimal("1.03") if employment % 10 == 0 and period >= 3 else salary
            pension = gross * Decimal("0.055")
            records.append(
                "".join(
                    (
                        "<Loongegevens>",
                        element("DienstverbandId", f"00000000-0000-4000-a000-{employment:012d}"),
                        element("Jaar", YEAR),
                        element("Periode", period),
                        element("Verloningsperiode", "maand"),
                        element("Brutoloon", gross),
                        element("SvLoon", gross - pension),
                        element("FiscaalLoon", gross - pension),
                        element("Vakantiegeld", gross * Decimal("0.08")),
                        element("VerloondeUren", hours),
                        "</Loongegevens>",
                    )
                )
            )
    return answer_xml("GeefLoongegevens", records)


class _Canned(BaseHTTPRequestHandler):
    """Answers each POST with the canned answer of its SOAPAction."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    answers: dict[str, bytes] = {}

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        operation = (self.headers.get("SOAPAction") or "").strip('"').rpartition("/")[2]
        body = self.answers[operation]
        self.send_response(200)
        self.send_header("Content-Type", "text/xml; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        return


@contextmanager
def canned_server(answers: dict[str, bytes]) -> Iterator[str]:
    _Canned.answers = answers
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Canned)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/loket/soap"
    finally:
        server.shutdown()
        server.server_close()


def raw_floor(url: str, operation: str, body: bytes) -> Callable[[], int]:
    """POST, parse, and every record's texts into a tuple: what any reader of the answer pays."""
    request_headers = headers(operation)

    def run() -> int:
        response = requests.post(url, data=body, headers=request_headers, timeout=30)
        root = etree.fromstring(response.content)
        answer = root[0][0]  # Envelope/Body/<operation>Response
        rows = [tuple(child.text for child in record) for record in answer]
        return len(rows)

    return run


def medians(
    first: Callable[[], int], second: Callable[[], int]
) -> tuple[tuple[float, float], tuple[float, float], int, int]:
    """Median (wall ms, process CPU ms) of each over ROUNDS alternating runs, after one warm-up
    each. Process CPU counts every thread of this process (the server's too, for both), none of
    another process: on a shared machine it says what the wall clock says without the queueing."""
    counts = (first(), second())
    wall: tuple[list[float], list[float]] = ([], [])
    cpu: tuple[list[float], list[float]] = ([], [])
    for _ in range(ROUNDS):
        for index, run in enumerate((first, second)):
            started, started_cpu = time.perf_counter(), time.process_time()
            run()
            cpu[index].append((time.process_time() - started_cpu) * 1000)
            wall[index].append((time.perf_counter() - started) * 1000)
    return (
        (statistics.median(wall[0]), statistics.median(cpu[0])),
        (statistics.median(wall[1]), statistics.median(cpu[1])),
        *counts,
    )


def main() -> None:
    with start_sandbox(port=0) as sandbox:
        employers_body = requests.post(
            sandbox.url,
            data=envelope("GeefWerkgevers"),
            headers=headers("GeefWerkgevers"),
            timeout=30,
        ).content
    wages_body = wages_answer()
    answers = {"GeefWerkgevers": employers_body, "GeefLoongegevens": wages_body}
    for operation, body in answers.items():
        digest = hashlib.sha256(body).hexdigest()[:12]
        print(f"{operation}: answer of {len(body):,} bytes (sha256 {digest}…)")

    with canned_server(answers) as url:
        settings.LOKET_ENDPOINT = url
        settings.LOKET_TIMEOUT = 30.0
        client_module._clients.clear()
        client = client_module.get_client()

        figures = {}
        for name, operation, call, parameters in (
            ("employers_10k", "GeefWerkgevers", lambda: len(client.employers(CREDENTIALS)), ""),
            (
                "wages_5k",
                "GeefLoongegevens",
                lambda: len(client.wages(CREDENTIALS, employer_id=EMPLOYER_ID, year=YEAR)),
                f"<ns0:WerkgeverId>{EMPLOYER_ID}</ns0:WerkgeverId><ns0:Jaar>{YEAR}</ns0:Jaar>",
            ),
        ):
            raw = raw_floor(url, operation, envelope(operation, parameters))
            (client_ms, client_cpu), (raw_ms, raw_cpu), client_count, raw_count = medians(call, raw)
            assert client_count == raw_count, (client_count, raw_count)
            figures[name] = client_ms / raw_ms
            print(
                f"{name}: {client_count:,} records; client median {client_ms:.1f} ms, raw POST + "
                f"lxml parse + tuples median {raw_ms:.1f} ms, ratio {figures[name]:.2f} "
                f"({ROUNDS} runs each, alternating); process CPU {client_cpu:.1f} / "
                f"{raw_cpu:.1f} ms, ratio {client_cpu / raw_cpu:.2f}"
            )
    met = all(ratio <= 1.5 for ratio in figures.values())
    print(f"target: both ratios <= 1.5 ({'met' if met else 'MISSED'})")
    print(
        f"RESULT employers_10k_ratio={figures['employers_10k']:.2f} "
        f"wages_5k_ratio={figures['wages_5k']:.2f}"
    )


if __name__ == "__main__":
    main()
