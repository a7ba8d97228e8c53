"""Re-encrypt every secret stored under CREDENTIALS_KEYS with the newest key.

Covers the Loket.nl passwords (current and waiting) and whatever other apps registered through
``onboarding.crypto.register_encrypted_fields`` (the BSNs of the deliveries).

Rotation: put the new key first in CREDENTIALS_KEYS (keep the old one after it), deploy, run this
command, then drop the old key. Safe to re-run: rows already under the newest key are left alone,
so a second run changes nothing. Rows are locked one batch at a time, so running checks and
credential updates carry on meanwhile.
"""

from __future__ import annotations

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from onboarding.crypto import CredentialKeyError, encrypted_fields, is_current, reencrypt_secret

BATCH = 500


class Command(BaseCommand):
    help = "Versleutel opgeslagen Loket.nl-wachtwoorden en BSN's opnieuw met de nieuwste sleutel."

    def handle(self, *args: object, **options: object) -> None:
        for label, fields in encrypted_fields().items():
            model = apps.get_model(label)
            changed, seen = self._rotate(model, fields)
            self.stdout.write(
                f"{model._meta.label}: {changed} van {seen} rijen opnieuw versleuteld."
            )

    def _rotate(self, model: type, fields: tuple[str, ...]) -> tuple[int, int]:
        changed = seen = 0
        last_pk = 0
        while True:
            with transaction.atomic():
                rows = list(
                    model.objects.select_for_update()
                    .filter(pk__gt=last_pk)
                    .order_by("pk")
                    .only("pk", *fields)[:BATCH]
                )
                if not rows:
                    break
                dirty = []
                for row in rows:
                    seen += 1
                    last_pk = row.pk
                    stale = [
                        field
                        for field in fields
                        if getattr(row, field) and not is_current(getattr(row, field))
                    ]
                    if not stale:
                        continue
                    try:
                        for field in stale:
                            setattr(row, field, reencrypt_secret(getattr(row, field)))
                    except CredentialKeyError:
                        raise CommandError(
                            f"{model._meta.label} {row.pk}: geen sleutel in CREDENTIALS_KEYS "
                            "opent de opgeslagen waarde. Niets van deze batch is gewijzigd."
                        ) from None
                    dirty.append(row)
                if dirty:
                    model.objects.bulk_update(dirty, list(fields))
                    changed += len(dirty)
        return changed, seen
