"""Why a delivery failed or stopped: a code (Loket.nl's ``LoketFout`` code, ``TIMEOUT``, or one
of the portal's own) and a short Dutch text for people.

The text is stored as its Dutch msgid (``failure_reason``; marked with ``gettext_noop`` so the
catalogues hold it), and shown translated through :func:`failure_text`.
It never holds Loket.nl's own message (it could quote input) nor any personal data.
"""

from __future__ import annotations

from django.utils.translation import gettext
from django.utils.translation import gettext_noop as _

# Stops: the delivery will not happen (the link or the processor is no longer in business).
LINK_NOT_ACTIVE = "KOPPELING_NIET_ACTIEF"
PROCESSOR_NOT_CONFIRMED = "VERWERKER_NIET_BEVESTIGD"
OTHER_PERIOD_TYPE = "ANDERE_VERLONINGSPERIODE"
DATA_DELETED = "GEGEVENS_VERWIJDERD"
KEY_UNKNOWN = "SLEUTEL_ONBEKEND"

# A stop for these ends when the link is active again (a problem found by a re-check, say):
# the planner makes the delivery due again.
REVIVABLE = (LINK_NOT_ACTIVE, PROCESSOR_NOT_CONFIRMED)

TEXTS: dict[str, str] = {
    "STORING": _("Loket.nl had een storing; de levering wordt later opnieuw geprobeerd."),
    "TIMEOUT": _("Loket.nl antwoordde niet op tijd; de levering wordt later opnieuw geprobeerd."),
    "TRANSPORTFOUT": _("Loket.nl was niet bereikbaar; de levering wordt later opnieuw geprobeerd."),
    "INLOG_ONGELDIG": _("Loket.nl weigert de inloggegevens van de salarisverwerker."),
    "OMGEVING_ONBEKEND": _("Loket.nl kent de omgevingscode van de salarisverwerker niet."),
    "GEEN_WEBSERVICEGEBRUIKER": _("De gebruiker in Loket.nl is geen webservicegebruiker."),
    "GEBRUIKER_GEBLOKKEERD": _("De webservicegebruiker is geblokkeerd in Loket.nl."),
    "NIET_GEAUTORISEERD": _("De webservicegebruiker mag deze gegevens niet opvragen in Loket.nl."),
    "NIET_GEVONDEN": _("De werkgever is niet (meer) zichtbaar voor de webservicegebruiker."),
    "ONGELDIGE_INVOER": _("Loket.nl weigerde de vraag om deze periode."),
    "ONVERWACHT_ANTWOORD": _("Loket.nl gaf een antwoord dat niet aan het contract voldoet."),
    "ONBEKEND": _("Het ophalen bij Loket.nl is mislukt."),
    KEY_UNKNOWN: _("Het wachtwoord van de salarisverwerker kon niet worden ontsleuteld."),
    LINK_NOT_ACTIVE: _("De koppeling is niet (meer) actief."),
    PROCESSOR_NOT_CONFIRMED: _("De salarisverwerker is niet (meer) bevestigd door a.s.r."),
    OTHER_PERIOD_TYPE: _(
        "De werkgever verloont in een andere verloningsperiode; de gegevens komen in de "
        "leveringen van die verloningsperiode."
    ),
    DATA_DELETED: _("De gegevens van deze periode zijn verwijderd (bewaartermijn)."),
}


def reason_for(code: str) -> str:
    """The Dutch text stored with ``code`` (the msgid itself, untranslated)."""
    return TEXTS.get(code, TEXTS["ONBEKEND"])


def failure_text(code: str, stored: str = "") -> str:
    """What to show for a delivery's ``failure_code`` in the active language."""
    if not code:
        return ""
    text = TEXTS.get(code)
    return gettext(text) if text is not None else stored
