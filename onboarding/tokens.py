"""The one-time links of "Wachtwoord vergeten?".

A link of its own kind (another salt than the activation link's), valid for
:data:`RESET_LINK_SECONDS` only. Like Django's token it hashes the password hash and the last
login into the token, so it works once: setting the password (or logging in) ends it. The token
is made when the mail is sent and never stored.
"""

from __future__ import annotations

from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.utils.http import base36_to_int

RESET_LINK_SECONDS = 3600


class PasswordRecoveryTokenGenerator(PasswordResetTokenGenerator):
    key_salt = "onboarding.tokens.PasswordRecoveryTokenGenerator"

    def check_token(self, user, token):  # type: ignore[no-untyped-def]
        if not super().check_token(user, token):
            return False
        try:
            ts = base36_to_int(token.split("-", 1)[0])
        except ValueError:
            return False
        age = self._num_seconds(self._now()) - ts
        return 0 <= age <= RESET_LINK_SECONDS


recovery_token_generator = PasswordRecoveryTokenGenerator()
