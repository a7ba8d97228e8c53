"""a.s.r. policy numbers (polisnummers) as people type them and as the register stores them."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_POLICY = re.compile(r"[A-Z0-9][A-Z0-9-]{3,19}")


def normalise_policy_number(value: str) -> str:
    """Upper case, without the spaces and dots people type: ``asr 100 001`` is ``ASR100001``.
    Letters, digits and ``-``; 4 to 20 characters."""
    cleaned = re.sub(r"[\s.]", "", value or "").upper()
    if not _POLICY.fullmatch(cleaned):
        raise ValidationError(
            _(
                "Een polisnummer bestaat uit 4 tot 20 letters, cijfers of streepjes. U vindt "
                "het op uw polisblad van a.s.r."
            ),
            code="policy_format",
        )
    return cleaned


_KVK = re.compile(r"[0-9]{8}")


def normalise_kvk(value: str) -> str:
    """Without the spaces and dots people type; exactly eight digits (``0-9`` only: other
    scripts' digits are not a KvK number). The register's own copy of the rule the request form
    applies (``employers.identifiers``), which the register may not import."""
    cleaned = re.sub(r"[\s.]", "", value or "")
    if not _KVK.fullmatch(cleaned):
        raise ValidationError(_("Een KvK-nummer bestaat uit precies 8 cijfers."), code="kvk")
    return cleaned
