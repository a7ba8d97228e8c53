"""The employer's confirmation link (bevestigingslink): the request id signed with
:class:`~django.core.signing.TimestampSigner` (salt :data:`VERIFY_SALT`), valid
:data:`~employers.models.VERIFY_DAYS` days.

The link holds no secret of its own and needs no column: only a.s.r. can sign, and the link is
mailed to the address a.s.r.'s customer register holds for the policy. A tampered link does not
unsign; a link older than its validity raises :class:`~django.core.signing.SignatureExpired`."""

from __future__ import annotations

from django.core import signing

from employers.models import VERIFY_DAYS

VERIFY_SALT = "employers.verify"
VERIFY_MAX_AGE = VERIFY_DAYS * 24 * 60 * 60  # seconds


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=VERIFY_SALT)


def verify_token(request_id: int) -> str:
    return _signer().sign(str(request_id))


def verified_request_id(token: str) -> int:
    """The request id the token was signed for. Raises
    :class:`~django.core.signing.SignatureExpired` for a link past its validity and
    :class:`~django.core.signing.BadSignature` for anything else that is not one of ours."""
    value = _signer().unsign(token, max_age=VERIFY_MAX_AGE)
    if not (value.isascii() and value.isdigit() and len(value) < 19):
        raise signing.BadSignature("not a request id")
    return int(value)
