"""The portal's one rule for text that must stay on one line, and its messages.

Names, usernames, omgevingscodes, e-mail addresses and passwords end up in mail headers, log
lines, SOAP calls (XML) and PostgreSQL text columns. A NUL byte, a line break, a control or
format character (a tab, a zero-width space, a bidirectional override) or a noncharacter in them
is a copy-paste accident or an attack, never data. :func:`forbidden_character` finds them; the
form fields of :mod:`common.forms` and the model validator :func:`validate_single_line` refuse
them with the same messages and codes everywhere (public forms, processor forms, the admin).
"""

from __future__ import annotations

import unicodedata
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Characters that end a line for some part of the stack (str.splitlines() splits on all of them).
LINE_BREAKS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
# Bidirectional overrides and isolates: invisible, and able to make a name read differently.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Control, format (zero-width and bidi marks), surrogate, and line/paragraph separators.
_CONTROL_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
# Not characters at all; XML (the Loket.nl SOAP calls) cannot carry them either.
_NONCHARACTERS = frozenset("\ufffe\uffff")

NUL = "null_characters_not_allowed"  # Django's own code for its NUL validator
LINE_BREAK = "line_break"
CONTROL_CHARACTER = "control_character"

SINGLE_LINE_MESSAGES = {
    NUL: _(
        "Dit veld bevat een NUL-teken: een onzichtbaar teken dat soms meekomt bij kopiëren "
        "en plakken. Typ de waarde opnieuw in."
    ),
    LINE_BREAK: _("Dit veld moet op één regel staan. Haal de regeleinden (Enter) weg."),
    CONTROL_CHARACTER: _(
        "Dit veld bevat een onzichtbaar stuurteken (bijvoorbeeld een tab). Typ de waarde "
        "opnieuw in in plaats van te plakken."
    ),
}
"""The message for each code :func:`forbidden_character` returns."""

MAX_LENGTH_MESSAGE = _(
    "Dit veld mag maximaal %(limit_value)d tekens bevatten; het zijn er nu %(show_value)d."
)


def forbidden_character(value: str) -> str | None:
    """The error code for the first kind of character a single-line text must not hold
    (:data:`NUL`, :data:`LINE_BREAK`, :data:`CONTROL_CHARACTER`), or ``None``."""
    if "\x00" in value:
        return NUL
    if any(char in LINE_BREAKS for char in value):
        return LINE_BREAK
    for char in value:
        if (
            unicodedata.category(char) in _CONTROL_CATEGORIES
            or char in _BIDI_CONTROLS
            or char in _NONCHARACTERS
        ):
            return CONTROL_CHARACTER
    return None


def refuse_nul(value: str, messages: dict[str, Any] = SINGLE_LINE_MESSAGES) -> None:
    """Raise the portal's NUL message for a text that holds a NUL byte (also multi-line text:
    PostgreSQL cannot store it). Before Django's own NUL validator, whose message is vaguer."""
    if "\x00" in value:
        raise ValidationError(messages[NUL], code=NUL)


def validate_single_line(value: str) -> None:
    """Model field validator: the same rule and messages as the single-line form fields."""
    code = forbidden_character(value)
    if code is not None:
        raise ValidationError(SINGLE_LINE_MESSAGES[code], code=code)


def mask_email(address: str) -> str:
    """An address shown to whoever filled in a public form, hiding who it is: the first
    character of the local part, an ellipsis, and the domain (``j…@bakkerij-vandijk.nl``).
    Enough for the right person to recognise it, too little to learn it from."""
    local, at, domain = (address or "").strip().rpartition("@")
    if not at or not domain:
        return "…"
    return f"{local[:1]}…@{domain}"
