"""The one catalogue of problems the portal reports about Loket.nl, each with the step of the
a.s.r. manual that fixes it.

A *finding* of the credential check (``locket_client.diagnose``) and the *problem* of an employer
link (``employers``) use the same codes and the same texts. The codes are stored in the database
(``check_findings``, ``problem_code``), so they never change; the texts go through gettext only
(Dutch source strings, the English in ``locale/en``), worded when they are shown or mailed, in
the language active at that moment.

``detail`` completes a text: the webservicepartij that was found, the Loket.nl fault code, or the
missing rights in the stored form ``"FUNCTION,FUNCTION|entity"`` (see :func:`authorisation_detail`).
"""

from __future__ import annotations

from django.db.models import TextChoices
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

from locket_client.types import REQUIRED_PARTY


class ProblemCode(TextChoices):
    """Stored codes (Loket.nl's own fault codes where there is one) and a short label each."""

    OMGEVING_ONBEKEND = "OMGEVING_ONBEKEND", _("Omgevingscode onbekend")
    INLOG_ONGELDIG = "INLOG_ONGELDIG", _("Inlog afgewezen")
    GEEN_WEBSERVICEGEBRUIKER = "GEEN_WEBSERVICEGEBRUIKER", _("Geen webservicegebruiker")
    GEBRUIKER_GEBLOKKEERD = "GEBRUIKER_GEBLOKKEERD", _("Gebruiker geblokkeerd")
    VERKEERDE_WEBSERVICEPARTIJ = "VERKEERDE_WEBSERVICEPARTIJ", _("Verkeerde webservicepartij")
    AUTORISATIE_ONTBREEKT = "AUTORISATIE_ONTBREEKT", _("Autorisatie ontbreekt")
    GEEN_WERKGEVERS = "GEEN_WERKGEVERS", _("Geen werkgevers zichtbaar")
    NIET_ZICHTBAAR = "NIET_ZICHTBAAR", _("Werkgever niet zichtbaar")
    INLOG_MISLUKT = "INLOG_MISLUKT", _("Inlog van de koppeling afgewezen")
    TIJDELIJK_ONBEREIKBAAR = "TIJDELIJK_ONBEREIKBAAR", _("Loket.nl tijdelijk onbereikbaar")
    ONVERWACHT_ANTWOORD = "ONVERWACHT_ANTWOORD", _("Onverwacht antwoord van Loket.nl")


_STEPS: dict[ProblemCode, Promise] = {
    ProblemCode.OMGEVING_ONBEKEND: _("Handleiding: Omgevingscode"),
    ProblemCode.INLOG_ONGELDIG: _("Handleiding: stap 4"),
    ProblemCode.GEEN_WEBSERVICEGEBRUIKER: _("Handleiding: stap 2"),
    ProblemCode.GEBRUIKER_GEBLOKKEERD: _("Handleiding: stap 2"),
    ProblemCode.VERKEERDE_WEBSERVICEPARTIJ: _("Handleiding: stap 1"),
    ProblemCode.AUTORISATIE_ONTBREEKT: _("Handleiding: stap 3, Webservicepartij"),
    ProblemCode.GEEN_WERKGEVERS: _("Handleiding: stap 2 en 3"),
    ProblemCode.NIET_ZICHTBAAR: _("Handleiding: stap 2 en 3"),
    ProblemCode.INLOG_MISLUKT: _("Handleiding: stap 4"),
}

# ``{detail}`` is filled in after translation; ``{party}`` is the webservicepartij a.s.r. needs.
_MESSAGES: dict[ProblemCode, Promise] = {
    ProblemCode.OMGEVING_ONBEKEND: _(
        "Loket.nl kent deze omgevingscode niet. Controleer de code; weet u hem niet, stuur dan "
        "een ticket aan Loket.nl met de naam van uw administratie- of accountantskantoor."
    ),
    ProblemCode.INLOG_ONGELDIG: _(
        "Loket.nl wijst de inlog af. Controleer de gebruikersnaam en het wachtwoord van de "
        "webservicegebruiker."
    ),
    ProblemCode.GEEN_WEBSERVICEGEBRUIKER: _(
        "Deze gebruiker is geen webservicegebruiker. Zet in Loket.nl bij de gebruiker 'Soort "
        "gebruiker' op 'Webservice gebruiker'."
    ),
    ProblemCode.GEBRUIKER_GEBLOKKEERD: _(
        "De webservicegebruiker is geblokkeerd. Hef de blokkade op in Loket.nl (Teams en "
        "gebruikers, Gebruikers AK)."
    ),
    ProblemCode.VERKEERDE_WEBSERVICEPARTIJ: _(
        "De webservicepartij van deze gebruiker is '{detail}', niet '{party}'. Vraag Loket.nl "
        "om bij de AK-gebruiker '{party}' als webservicepartij te kiezen."
    ),
    ProblemCode.AUTORISATIE_ONTBREEKT: _(
        "De webservicepartij is niet geautoriseerd voor {detail}. Vraag Loket.nl de "
        "webservicepartij hiervoor te autoriseren."
    ),
    ProblemCode.GEEN_WERKGEVERS: _(
        "De webservicegebruiker ziet geen enkele werkgever. Maak in Loket.nl een team voor de "
        "webservicepartij en koppel de werkgevers en de webservicegebruiker aan dat team."
    ),
    ProblemCode.NIET_ZICHTBAAR: _(
        "De werkgever vroeg de koppeling aan, maar uw webservicegebruiker ziet deze werkgever "
        "niet in Loket.nl. Voeg de werkgever toe aan het team van de webservicepartij."
    ),
    ProblemCode.INLOG_MISLUKT: _(
        "Loket.nl wijst de inlog van uw webservicegebruiker af ({detail}). Werk uw "
        "Loket.nl-gegevens bij op uw dashboard."
    ),
    ProblemCode.TIJDELIJK_ONBEREIKBAAR: _(
        "Loket.nl is tijdelijk niet bereikbaar. U hoeft niets te doen: we proberen het later "
        "opnieuw."
    ),
    ProblemCode.ONVERWACHT_ANTWOORD: _(
        "Loket.nl gaf een onverwacht antwoord. U hoeft niets te doen: a.s.r. zoekt dit uit."
    ),
}


def manual_step(code: str) -> str:
    """The manual step that fixes ``code`` (empty when nobody needs to act, or unknown)."""
    step = _STEPS.get(_known(code))
    return str(step) if step is not None else ""


def explain(code: str, detail: str = "") -> str:
    """What is wrong and what to do, in the active language. An unknown code (a future one, read
    by an older release) is shown as itself rather than failing."""
    known = _known(code)
    if known is None:
        return code
    if known is ProblemCode.AUTORISATIE_ONTBREEKT:
        detail = word_authorisation(detail)
    return str(_MESSAGES[known]).format(detail=detail, party=REQUIRED_PARTY)


def _known(code: str) -> ProblemCode | None:
    try:
        return ProblemCode(code)
    except ValueError:
        return None


def authorisation_detail(functions: tuple[str, ...], entities: tuple[str, ...]) -> str:
    """Stored form of missing rights: ``"F1,F2|e1"``; :func:`explain` words it."""
    return ",".join(functions) + "|" + ",".join(entities)


def word_authorisation(detail: str) -> str:
    """``"F1,F2|e1"`` as "functies F1, F2 en entiteit e1" (in the active language). A detail
    stored before the ``|`` form (a plain list) is shown as it is."""
    if "|" not in detail:
        return detail
    functions_part, _sep, entities_part = detail.partition("|")
    functions = [f.strip() for f in functions_part.split(",") if f.strip()]
    entities = [e.strip() for e in entities_part.split(",") if e.strip()]
    parts = []
    if functions:
        label = (
            pgettext("authorisation", "functie")
            if len(functions) == 1
            else pgettext("authorisation", "functies")
        )
        parts.append(f"{label} {', '.join(functions)}")
    if entities:
        label = (
            pgettext("authorisation", "entiteit")
            if len(entities) == 1
            else pgettext("authorisation", "entiteiten")
        )
        parts.append(f"{label} {', '.join(entities)}")
    conjunction = pgettext("authorisation", "en")
    return f" {conjunction} ".join(parts)


__all__ = [
    "ProblemCode",
    "authorisation_detail",
    "explain",
    "manual_step",
    "word_authorisation",
]
