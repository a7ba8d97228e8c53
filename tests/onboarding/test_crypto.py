"""Passwords at rest: MultiFernet, loud failure on a wrong key, rotation."""

from __future__ import annotations

from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from onboarding.checks import credentials_keys_open_stored_secrets
from onboarding.crypto import CredentialKeyError, decrypt_secret, encrypt_secret, is_current
from onboarding.models import PayrollProcessor

OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()
OTHER_KEY = Fernet.generate_key().decode()
PASSWORD = "Demo#Loket2026"


def _processor(n: int) -> PayrollProcessor:
    return PayrollProcessor.objects.create(
        company_name=f"Bureau {n}",
        email=f"bureau{n}@example.nl",
        omgevingscode="DEMO001",
        loket_username=f"ws-{n}",
        loket_password_encrypted=encrypt_secret(PASSWORD),
        consent_at=timezone.now(),
    )


def test_a_secret_round_trips_and_the_ciphertext_hides_it(settings):
    settings.CREDENTIALS_KEYS = [OLD_KEY]

    token = encrypt_secret(PASSWORD)

    assert PASSWORD not in token
    assert decrypt_secret(token) == PASSWORD


def test_a_wrong_key_fails_loudly_instead_of_returning_ciphertext(settings):
    settings.CREDENTIALS_KEYS = [OLD_KEY]
    token = encrypt_secret(PASSWORD)
    settings.CREDENTIALS_KEYS = [OTHER_KEY]

    with pytest.raises(CredentialKeyError) as caught:
        decrypt_secret(token)
    assert token not in str(caught.value)


@pytest.mark.django_db
def test_the_start_up_check_reports_keys_that_open_nothing(settings):
    settings.CREDENTIALS_KEYS = [OLD_KEY]
    _processor(1)

    assert credentials_keys_open_stored_secrets(databases=["default"]) == []
    settings.CREDENTIALS_KEYS = [OTHER_KEY]
    errors = credentials_keys_open_stored_secrets(databases=["default"])
    assert [e.id for e in errors] == ["onboarding.E001"]


@pytest.mark.django_db
def test_rotation_re_encrypts_every_row_under_the_newest_key_and_is_safe_to_re_run(settings):
    settings.CREDENTIALS_KEYS = [OLD_KEY]
    rows = [_processor(n) for n in range(3)]
    settings.CREDENTIALS_KEYS = [NEW_KEY, OLD_KEY]
    out = StringIO()

    call_command("rotate_credentials", stdout=out)

    assert "PayrollProcessor: 3 van 3" in out.getvalue()
    settings.CREDENTIALS_KEYS = [NEW_KEY]
    for row in rows:
        row.refresh_from_db()
        assert is_current(row.loket_password_encrypted)
        assert decrypt_secret(row.loket_password_encrypted) == PASSWORD
    again = StringIO()
    call_command("rotate_credentials", stdout=again)
    assert "PayrollProcessor: 0 van 3" in again.getvalue()


@pytest.mark.django_db
def test_rotation_stops_on_a_row_no_key_opens(settings):
    settings.CREDENTIALS_KEYS = [OTHER_KEY]
    _processor(1)
    settings.CREDENTIALS_KEYS = [NEW_KEY, OLD_KEY]

    with pytest.raises(CommandError, match="geen sleutel"):
        call_command("rotate_credentials", stdout=StringIO())
