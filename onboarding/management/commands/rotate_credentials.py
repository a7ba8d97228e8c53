"""Re-encrypt every stored Loket.nl password under the newest key of CREDENTIALS_KEYS.

Rotation: put the new key first in CREDENTIALS_KEYS (keep the old one after it), deploy, run this
command, then drop the old key. Safe to re-run: rows already under the newest key are left alone,
so a second run changes nothing. Rows are locked one batch at a time, so running checks and
credential updates carry on meanwhile.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from onboarding.crypto import CredentialKeyError, is_current, reencrypt_secret
from onboarding.models import PayrollProcessor

BATCH = 500
# The current password and, while a new Loket.nl account waits for a.s.r., the waiting one.
SECRET_FIELDS = ("loket_password_encrypted", "pending_loket_password_encrypted")


class Command(BaseCommand):
    help = "Versleutel alle opgeslagen Loket.nl-wachtwoorden opnieuw met de nieuwste sleutel."

    def handle(self, *args: object, **options: object) -> None:
        changed = seen = 0
        last_pk = 0
        while True:
            with transaction.atomic():
                rows = list(
                    PayrollProcessor.objects.select_for_update()
                    .filter(pk__gt=last_pk)
                    .order_by("pk")
                    .only("pk", *SECRET_FIELDS)[:BATCH]
                )
                if not rows:
                    break
                for row in rows:
                    seen += 1
                    last_pk = row.pk
                    stale = [
                        field
                        for field in SECRET_FIELDS
                        if getattr(row, field) and not is_current(getattr(row, field))
                    ]
                    if not stale:
                        continue
                    try:
                        for field in stale:
                            setattr(row, field, reencrypt_secret(getattr(row, field)))
                    except CredentialKeyError:
                        raise CommandError(
                            f"Salarisverwerker {row.pk}: geen sleutel in CREDENTIALS_KEYS opent "
                            "het opgeslagen wachtwoord. Niets van deze batch is gewijzigd."
                        ) from None
                    row.save(update_fields=stale)
                    changed += 1
        self.stdout.write(f"{changed} van {seen} wachtwoorden opnieuw versleuteld.")
