"""``manage.py import_customers FILE``: import a.s.r.'s customer register from a CSV file.

Streams the file (any size; see ``customers.imports``), prints the report in Dutch and exits
with 1 when anything was refused (then nothing changed), with 0 when the import went through.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

from customers.imports import HEADER, import_customers, report_lines


class Command(BaseCommand):
    help = (
        "Importeer het klantregister van a.s.r. uit een CSV-bestand in UTF-8 met de kolommen "
        f"{';'.join(HEADER)} (één rij per polis). Alles of niets: bij een geweigerde rij "
        "verandert er niets."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="het CSV-bestand")

    def handle(self, *args: object, **options: object) -> None:
        path = Path(str(options["file"]))
        with translation.override("nl"):
            try:
                file = path.open("rb")
            except OSError as error:
                raise CommandError(
                    f"Kan {path} niet openen: {error.strerror or error}", returncode=2
                ) from None
            with file:
                report = import_customers(file, actor_label="import_customers")
            lines = report_lines(report)
        if report.applied:
            for line in lines:
                self.stdout.write(line)
            return
        for line in lines[:-1]:
            self.stdout.write(line)
        raise CommandError(lines[-1], returncode=1)
