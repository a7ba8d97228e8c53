"""``manage.py loket_sandbox``: serve the Loket.nl sandbox for local development and demos.

The sandbox accepts the documented demo credentials, so it must never run in production by
accident: it only starts when ``settings.LOKET_SANDBOX_ENABLED`` is true (on by default only with
DEBUG, set by environment variable otherwise).
"""

from __future__ import annotations

import argparse
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from locket_client.sandbox.server import SandboxServer, serve_forever


def _non_negative(value: str) -> float:
    try:
        number = float(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"geen getal: {value!r}") from exc
    if not number >= 0:  # also refuses NaN
        raise argparse.ArgumentTypeError("moet 0 of groter zijn")
    return number


def _port(value: str) -> int:
    try:
        port = int(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"geen poortnummer: {value!r}") from exc
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError("moet tussen 0 en 65535 liggen")
    return port


class Command(BaseCommand):
    help = "Start de Loket.nl-sandbox (SOAP-webservice met vaste demodata) tot Ctrl+C of SIGTERM."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--port",
            type=_port,
            default=None,
            help="TCP-poort (standaard settings.LOKET_SANDBOX_PORT, anders 8765; 0 = vrije poort).",
        )
        parser.add_argument("--host", default="127.0.0.1", help="Adres (standaard 127.0.0.1).")
        parser.add_argument(
            "--traag-delay",
            dest="slow_delay",
            type=_non_negative,
            default=20.0,
            help="Seconden wachttijd van de omgeving TRAAG (standaard 20).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not getattr(settings, "LOKET_SANDBOX_ENABLED", False):
            raise CommandError(
                "De Loket.nl-sandbox staat uit: zet LOKET_SANDBOX_ENABLED=true om hem te starten "
                "(standaard alleen aan met DEBUG; nooit in productie)."
            )

        def announce(server: SandboxServer) -> None:
            self.stdout.write(f"Loket.nl-sandbox luistert op {server.url}")
            self.stdout.flush()

        port = options["port"]
        if port is None:
            # The same port the settings point LOKET_ENDPOINT at by default.
            port = getattr(settings, "LOKET_SANDBOX_PORT", 8765)
        try:
            serve_forever(options["host"], port, options["slow_delay"], on_ready=announce)
        except OSError as exc:
            raise CommandError(f"Kan de sandbox niet starten: {exc}") from exc
