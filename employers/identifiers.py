"""Dutch employer identifiers: KvK number and loonheffingennummer (see shared/docs/domain.md)."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from locket_client.identifiers import eleven_test

_KVK = re.compile(r"[0-9]{8}")
_LOONHEFFINGENNUMMER = re.compile(r"([0-9]{9})L([0-9]{2})")


def normalise_kvk(value: str) -> str:
    """Strip spaces and dots people type; the result must be exactly eight digits."""
    cleaned = re.sub(r"[\s.]", "", value or "")
    if not _KVK.fullmatch(cleaned):
        raise ValidationError(_("Een KvK-nummer bestaat uit precies 8 cijfers."), code="kvk")
    return cleaned


def normalise_loonheffingennummer(value: str) -> str:
    """``123456782L01``: nine digits passing the 11-test, ``L``, a subnumber other than ``00``."""
    cleaned = re.sub(r"[\s.]", "", value or "").upper()
    match = _LOONHEFFINGENNUMMER.fullmatch(cleaned)
    if not match:
        raise ValidationError(
            _("Een loonheffingennummer ziet eruit als 123456782L01: 9 cijfers, L, 2 cijfers."),
            code="lhn_format",
        )
    if not eleven_test(match.group(1)):
        raise ValidationError(
            _("%(value)s is geen geldig loonheffingennummer: de 11-proef klopt niet."),
            code="lhn_eleven",
            params={"value": cleaned},
        )
    if match.group(2) == "00":
        raise ValidationError(
            _("Het subnummer van een loonheffingennummer is nooit 00 (bijvoorbeeld L01)."),
            code="lhn_sub",
        )
    return cleaned
