"""Start-up check: the configured keys open the stored Loket.nl passwords.

Settings already refuse a malformed key. This check catches a well-formed but *wrong* key list
(the key that encrypted the data was dropped) before a worker starts checking credentials with
it. It runs with ``manage.py check --database default`` and when a Celery worker starts.
"""

from __future__ import annotations

from typing import Any

from django.core.checks import Error, Tags, register
from django.db.utils import DatabaseError

from onboarding.crypto import CredentialKeyError, decrypt_secret
from onboarding.models import PayrollProcessor


@register(Tags.database)
def credentials_keys_open_stored_secrets(
    app_configs: Any = None, databases: Any = None, **kwargs: Any
) -> list[Error]:
    if not databases:
        return []
    try:
        sample = (
            PayrollProcessor.objects.order_by("-pk")
            .values_list("loket_password_encrypted", flat=True)
            .first()
        )
    except DatabaseError:
        return []  # not migrated yet: nothing stored, nothing to open
    if sample is None:
        return []
    try:
        decrypt_secret(sample)
    except CredentialKeyError:
        return [
            Error(
                "Geen sleutel in CREDENTIALS_KEYS opent de opgeslagen Loket.nl-wachtwoorden.",
                hint="Zet de sleutel waarmee ze zijn versleuteld (weer) in CREDENTIALS_KEYS.",
                id="onboarding.E001",
            )
        ]
    return []
