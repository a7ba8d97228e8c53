"""The BSN at rest: encrypted with the key set of the Loket.nl passwords, looked up by a keyed hash.

``bsn_encrypt``/``bsn_decrypt`` use ``onboarding.crypto`` (MultiFernet over ``CREDENTIALS_KEYS``;
``manage.py rotate_credentials`` re-encrypts the stored BSNs too). ``bsn_hash`` is
HMAC-SHA256 under ``BSN_HASH_KEY``: the same BSN always gives the same hash, so a.s.r. can find
an employee by BSN, while the hash alone (without the key) tells nothing, not even by trying all
10^9 numbers. Nothing here logs or raises with the number in it.
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings
from django.views.decorators.debug import sensitive_variables

from onboarding.crypto import decrypt_secret, encrypt_secret


@sensitive_variables("bsn")
def bsn_hash(bsn: str) -> str:
    key = settings.BSN_HASH_KEY.encode("utf-8")
    return hmac.new(key, bsn.strip().encode("ascii"), hashlib.sha256).hexdigest()


@sensitive_variables("bsn")
def bsn_encrypt(bsn: str) -> str:
    return encrypt_secret(bsn)


def bsn_decrypt(token: str) -> str:
    return decrypt_secret(token)
