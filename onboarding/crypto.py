"""Loket.nl passwords at rest: MultiFernet over ``CREDENTIALS_KEYS`` (newest key first).

Independent of ``SECRET_KEY``. Encryption always uses the newest key; decryption tries every key,
so a key can be added in front, ``manage.py rotate_credentials`` run, and the old key removed.
A value no key can open raises :class:`CredentialKeyError`: the caller never gets ciphertext
back where it expects a password.
"""

from __future__ import annotations

import functools

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.views.decorators.debug import sensitive_variables

_ENCRYPTED_FIELDS: dict[str, tuple[str, ...]] = {
    "onboarding.PayrollProcessor": (
        "loket_password_encrypted",
        "pending_loket_password_encrypted",
    ),
}


def register_encrypted_fields(model_label: str, fields: tuple[str, ...]) -> None:
    """Have ``manage.py rotate_credentials`` re-encrypt ``fields`` of ``model_label`` too.

    Apps above onboarding (the deliveries' BSNs) call this from their ``AppConfig.ready``, so the
    command covers them without importing them."""
    _ENCRYPTED_FIELDS[model_label] = tuple(fields)


def encrypted_fields() -> dict[str, tuple[str, ...]]:
    """Every model (``app_label.Model``) with fields under this key set, and those fields."""
    return dict(_ENCRYPTED_FIELDS)


class CredentialKeyError(Exception):
    """No configured key opens the stored secret: a wrong or missing key in CREDENTIALS_KEYS."""


@functools.cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key.encode("ascii")) for key in keys])


def _current() -> MultiFernet:
    return _fernet(tuple(settings.CREDENTIALS_KEYS))


@sensitive_variables("plaintext")
def encrypt_secret(plaintext: str) -> str:
    return _current().encrypt(plaintext.encode("utf-8")).decode("ascii")


@sensitive_variables()
def decrypt_secret(token: str) -> str:
    try:
        return _current().decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeEncodeError, ValueError):
        raise CredentialKeyError(
            "Geen van de sleutels in CREDENTIALS_KEYS opent dit opgeslagen wachtwoord."
        ) from None


def reencrypt_secret(token: str) -> str:
    """The same secret under the newest key (``MultiFernet.rotate``)."""
    try:
        return _current().rotate(token.encode("ascii")).decode("ascii")
    except (InvalidToken, UnicodeEncodeError, ValueError):
        raise CredentialKeyError(
            "Geen van de sleutels in CREDENTIALS_KEYS opent dit opgeslagen wachtwoord."
        ) from None


def is_current(token: str) -> bool:
    """Whether ``token`` is already encrypted under the newest key."""
    newest = Fernet(settings.CREDENTIALS_KEYS[0].encode("ascii"))
    try:
        newest.decrypt(token.encode("ascii"))
    except (InvalidToken, UnicodeEncodeError, ValueError):
        return False
    return True
