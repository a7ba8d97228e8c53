"""The BSN at rest: encrypted under the credentials' key set, found by a keyed hash."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from deliveries.bsn import bsn_decrypt, bsn_encrypt, bsn_hash
from onboarding.crypto import CredentialKeyError

BSN = "111222333"


def test_the_encrypted_bsn_does_not_show_the_number_and_opens_again():
    token = bsn_encrypt(BSN)
    assert BSN not in token
    assert bsn_encrypt(BSN) != token  # a fresh nonce every time: equal BSNs do not look equal
    assert bsn_decrypt(token) == BSN


def test_the_hash_is_stable_keyed_and_not_the_plain_sha256(settings):
    import hashlib

    first = bsn_hash(BSN)
    assert first == bsn_hash(f" {BSN} ")
    assert first != hashlib.sha256(BSN.encode()).hexdigest()
    assert first != bsn_hash("111222334")
    settings.BSN_HASH_KEY = "another-key-of-at-least-thirty-two-characters"
    assert bsn_hash(BSN) != first


def test_a_bsn_under_an_unknown_key_raises_without_the_value(settings):
    token = bsn_encrypt(BSN)
    settings.CREDENTIALS_KEYS = [Fernet.generate_key().decode("ascii")]
    with pytest.raises(CredentialKeyError) as raised:
        bsn_decrypt(token)
    assert BSN not in str(raised.value)
