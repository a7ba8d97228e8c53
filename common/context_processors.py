"""a.s.r.'s contact details for every template (footer, dead ends, error pages, mails).

Mails are rendered outside a request, so :func:`contact` is also what ``common.mail`` hands
to mail templates; the context processor wraps it for pages.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest


@dataclass(frozen=True)
class Contact:
    email: str
    phone: str
    opens: str
    closes: str

    @property
    def phone_uri(self) -> str:
        """``tel:`` form of the phone number: +31 instead of the leading 0, digits only."""
        digits = "".join(
            character for character in self.phone if character.isdigit() or character == "+"
        )
        if digits.startswith("0") and not digits.startswith("00"):
            digits = "+31" + digits[1:]
        return f"tel:{digits}"


def contact() -> Contact:
    return Contact(
        email=settings.ASR_CONTACT_EMAIL,
        phone=settings.ASR_CONTACT_PHONE,
        opens=settings.ASR_CONTACT_OPENS,
        closes=settings.ASR_CONTACT_CLOSES,
    )


def asr_contact(request: HttpRequest) -> dict[str, Contact]:
    return {"asr_contact": contact()}
