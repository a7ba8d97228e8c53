"""Benchmark: the cost of the Loket.nl client over a raw HTTP POST of the same envelope.

In one process: start the sandbox on a free port, then
- time the first access check through ``get_client()`` (client construction + WSDL parse + call),
- time 200 access checks through the client (``ControleerToegang``),
- time 200 raw ``requests.post`` calls of the same envelope,
and count how often the WSDL is read. Target: ratio (client median / raw median) <= 1.5 and the
WSDL parsed once per process.

Run: ``.venv/bin/python bench/loket_check.py`` (or ``make bench``).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "on")  # the embedded default: development keys, the sandbox

import django  # noqa: E402

django.setup()

import requests  # noqa: E402
from django.conf import settings  # noqa: E402

from locket_client import client as client_module  # noqa: E402
from locket_client.sandbox import start_sandbox  # noqa: E402
from locket_client.types import Credentials  # noqa: E402

ROUNDS = 200
CREDENTIALS = Credentials(
    omgevingscode="DEMO001", gebruikersnaam="ws-benefits", wachtwoord="Demo#Loket2026"
)
ENVELOPE = (
    b'<?xml version="1.0" encoding="utf-8"?>\n'
    b'<soap-env:Envelope xmlns:soap-env="http://schemas.xmlsoap.org/soap/envelope/">'
    b"<soap-env:Header>"
    b'<ns0:Authenticatie xmlns:ns0="urn:salariskoppeling:loket-webservice:v1">'
    b"<ns0:Omgevingscode>DEMO001</ns0:Omgevingscode>"
    b"<ns0:Gebruikersnaam>ws-benefits</ns0:Gebruikersnaam>"
    b"<ns0:Wachtwoord>Demo#Loket2026</ns0:Wachtwoord>"
    b"</ns0:Authenticatie></soap-env:Header>"
    b'<soap-env:Body><ns0:ControleerToegang xmlns:ns0="urn:salariskoppeling:loket-webservice:v1"/>'
    b"</soap-env:Body></soap-env:Envelope>"
)
HEADERS = {
    "Content-Type": "text/xml; charset=utf-8",
    "SOAPAction": '"urn:salariskoppeling:loket-webservice:v1/ControleerToegang"',
}


def main() -> None:
    wsdl_reads = 0
    original_load = client_module._BoundedTransport.load

    def counting_load(self, url):  # type: ignore[no-untyped-def]
        nonlocal wsdl_reads
        if url.endswith(".wsdl"):
            wsdl_reads += 1
        return original_load(self, url)

    client_module._BoundedTransport.load = counting_load  # type: ignore[method-assign]

    with start_sandbox(port=0) as sandbox:
        settings.LOKET_ENDPOINT = sandbox.url
        client_module._clients.clear()

        # Warm the sandbox itself (its data is built on first use) with a raw call.
        requests.post(sandbox.url, data=ENVELOPE, headers=HEADERS, timeout=10).raise_for_status()

        started = time.perf_counter()
        client_module.get_client().check_access(CREDENTIALS)
        first_call_ms = (time.perf_counter() - started) * 1000

        client_ms: list[float] = []
        for _ in range(ROUNDS):
            started = time.perf_counter()
            access = client_module.get_client().check_access(CREDENTIALS)
            client_ms.append((time.perf_counter() - started) * 1000)
        assert access.party == "Benefits-Plaza"

        raw_ms: list[float] = []
        for _ in range(ROUNDS):
            started = time.perf_counter()
            response = requests.post(sandbox.url, data=ENVELOPE, headers=HEADERS, timeout=10)
            raw_ms.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
            assert b"Benefits-Plaza" in response.content

        # For context (not the target): the same POSTs over one keep-alive session, which is
        # what the client itself uses.
        session_ms: list[float] = []
        with requests.Session() as session:
            for _ in range(ROUNDS):
                started = time.perf_counter()
                session.post(sandbox.url, data=ENVELOPE, headers=HEADERS, timeout=10)
                session_ms.append((time.perf_counter() - started) * 1000)

    client_median = statistics.median(client_ms)
    raw_median = statistics.median(raw_ms)
    ratio = client_median / raw_median
    print(f"client: {ROUNDS} access checks, median {client_median:.3f} ms")
    print(f"raw requests.post: {ROUNDS} calls, median {raw_median:.3f} ms")
    print(
        f"context: raw POST over one keep-alive session, median "
        f"{statistics.median(session_ms):.3f} ms (client/session "
        f"{client_median / statistics.median(session_ms):.2f})"
    )
    print(f"first call (builds client, parses WSDL): {first_call_ms:.1f} ms")
    print(f"WSDL read {wsdl_reads} time(s) in this process for {ROUNDS + 1} checks")
    print(
        f"target: ratio <= 1.5 ({'met' if ratio <= 1.5 else 'MISSED'}), WSDL once "
        f"({'met' if wsdl_reads == 1 else 'MISSED'})"
    )
    print(
        f"RESULT client_ms={client_median:.3f} raw_ms={raw_median:.3f} ratio={ratio:.2f} "
        f"first_call_ms={first_call_ms:.1f}"
    )


if __name__ == "__main__":
    main()
