"""``manage.py requests_before_register [--send]``: what existed before the customer register.

Without options it lists, for a.s.r.:

(a) active links whose request was verified before the register existed (their evidence says
    so; they stay active), and
(b) requests made before the register that are still not verified.

With ``--send`` each of those requests still waiting (never handled: no expiry yet) gets its way
forward: the confirmation link to the address on file when its KvK number has policies in the
register, otherwise a.s.r.'s review queue; both expire in 7 days. Running it again sends nothing
twice.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from employers.services.verification import before_register_list, before_register_send


def _when(value: Any) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else "-"


class Command(BaseCommand):
    help = (
        "Lijst de koppelingen en aanvragen van vóór het klantregister; met --send krijgt elke "
        "onbevestigde aanvraag een bevestigingsmail (klantregister) of gaat zij ter beoordeling."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--send",
            action="store_true",
            help="Verstuur de bevestigingsmails / zet aanvragen ter beoordeling (idempotent).",
        )

    def handle(self, *args: Any, send: bool = False, **options: Any) -> None:
        if send:
            counts = before_register_send()
            self.stdout.write(
                f"bevestigingslink naar het adres in het klantregister: {counts['register']}\n"
                f"ter beoordeling bij a.s.r.: {counts['review']}"
            )
            return
        listed = before_register_list()
        self.stdout.write(
            f"Actieve koppelingen, aanvraag geverifieerd vóór het klantregister: "
            f"{len(listed.active_links)}"
        )
        for link in listed.active_links:
            employer_request = link.request
            self.stdout.write(
                f"  koppeling {link.pk}\t{link.employer_name}\tKvK {link.kvk_number or '-'}\t"
                f"{link.processor.company_name}\tactief sinds {_when(link.activated_at)}\t"
                f"aanvraag {employer_request.pk if employer_request else '-'}"
            )
        self.stdout.write(
            f"Aanvragen van vóór het klantregister, nog niet bevestigd: {len(listed.unverified)}"
        )
        for employer_request in listed.unverified:
            way = (
                "wacht op --send"
                if employer_request.expires_at is None
                else f"{employer_request.get_status_display()}, verloopt "
                f"{_when(employer_request.expires_at)}"
            )
            self.stdout.write(
                f"  aanvraag {employer_request.pk}\t{employer_request.company_name}\t"
                f"KvK {employer_request.kvk_number}\t{employer_request.processor.company_name}\t"
                f"aangevraagd {_when(employer_request.created_at)}\t{way}"
            )
