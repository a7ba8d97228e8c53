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

from dataclasses import dataclass

from django.db.models import TextChoices
from django.utils.functional import Promise
from django.utils.translation import gettext, pgettext
from django.utils.translation import gettext_lazy as _

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
    # The request's loonheffingennummers against the employer's in Loket.nl (issue 12): a link
    # is active only when the two sets are equal.
    ALLEEN_KVK = "ALLEEN_KVK", _("Alleen KvK-nummer komt overeen")
    NUMMER_ONTBREEKT = "NUMMER_ONTBREEKT", _("Loonheffingennummer niet bij werkgever")
    NUMMER_EXTRA = "NUMMER_EXTRA", _("Werkgever heeft meer loonheffingennummers")


class ManualStep(str):
    """The label of a manual step ("Handleiding: stap 3, Omgevingscode"), worded in the language
    active when it was made, that also knows where the step is on the manual page.

    A ``str`` so every caller that shows the label keeps working; ``number`` is the step of the
    a.s.r. manual (1-5) and ``anchor`` the fragment of that step (or of its part) on the portal's
    manual page (``/handleiding/#stap-3-omgevingscode``). The boundary knows no URLs: templates
    and mails build the link from the anchor.
    """

    number: int
    anchor: str

    def __new__(cls, label: str, number: int = 0, anchor: str = "") -> ManualStep:
        step = super().__new__(cls, label)
        step.number = number
        step.anchor = anchor
        return step


@dataclass(frozen=True)
class _Step:
    number: int
    part: str = ""
    """The anchor suffix of a part of the step on the manual page (``stap-3-<part>``)."""

    @property
    def anchor(self) -> str:
        return f"stap-{self.number}-{self.part}" if self.part else f"stap-{self.number}"


# The numbering is the a.s.r. manual's (templates/onboarding/manual.html serves it, with an
# anchor per step and per part of step 3).
MANUAL_STEPS = (1, 2, 3, 4, 5)
MANUAL_PARTS = ("ak-gebruiker", "werkgevergebruiker", "omgevingscode", "webservicepartij")

_STEPS: dict[ProblemCode, _Step] = {
    ProblemCode.OMGEVING_ONBEKEND: _Step(3, "omgevingscode"),
    ProblemCode.INLOG_ONGELDIG: _Step(4),
    ProblemCode.GEEN_WEBSERVICEGEBRUIKER: _Step(2),
    ProblemCode.GEBRUIKER_GEBLOKKEERD: _Step(2),
    ProblemCode.VERKEERDE_WEBSERVICEPARTIJ: _Step(1),
    ProblemCode.AUTORISATIE_ONTBREEKT: _Step(3, "webservicepartij"),
    ProblemCode.GEEN_WERKGEVERS: _Step(3, "ak-gebruiker"),
    ProblemCode.NIET_ZICHTBAAR: _Step(3, "ak-gebruiker"),
    ProblemCode.INLOG_MISLUKT: _Step(4),
    ProblemCode.ALLEEN_KVK: _Step(5),
    ProblemCode.NUMMER_ONTBREEKT: _Step(5),
    ProblemCode.NUMMER_EXTRA: _Step(5),
}

NUMBER_CODES = frozenset(
    {ProblemCode.ALLEEN_KVK, ProblemCode.NUMMER_ONTBREEKT, ProblemCode.NUMMER_EXTRA}
)
"""The problems of a request whose loonheffingennummers differ from the employer's in Loket.nl:
the employer's verified contact is mailed about them too (it acts: a new request)."""


def _part_label(part: str) -> str:
    labels = {
        "ak-gebruiker": gettext("Ak gebruiker"),
        "werkgevergebruiker": gettext("Werkgevergebruiker"),
        "omgevingscode": gettext("Omgevingscode"),
        "webservicepartij": gettext("Webservicepartij"),
    }
    return labels[part]


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
    ProblemCode.ALLEEN_KVK: _(
        "De aanvraag hoort alleen via het KvK-nummer bij deze werkgever: geen van de "
        "loonheffingennummers in de aanvraag ({detail}) staat bij de werkgever in Loket.nl. "
        "Controleer de werkgever in Loket.nl. Klopt die, dan moet de werkgever een nieuwe "
        "aanvraag doen met de juiste loonheffingennummers; wij hebben de werkgever gemaild."
    ),
    ProblemCode.NUMMER_ONTBREEKT: _(
        "De aanvraag noemt een loonheffingennummer dat niet bij de werkgever in Loket.nl staat: "
        "{detail}. Controleer de loonheffingennummers van de werkgever in Loket.nl en kies dan "
        "Opnieuw controleren. Klopt Loket.nl, dan moet de werkgever een nieuwe aanvraag doen "
        "met de juiste loonheffingennummers; wij hebben de werkgever gemaild."
    ),
    ProblemCode.NUMMER_EXTRA: _(
        "De werkgever heeft in Loket.nl ook loonheffingennummers die niet in de aanvraag staan: "
        "{detail}. Een koppeling geldt alleen voor alle loonheffingennummers samen: de werkgever "
        "moet een nieuwe aanvraag doen die ze allemaal noemt; wij hebben de werkgever gemaild. "
        "Hoort een nummer niet (meer) bij de werkgever, pas het dan aan in Loket.nl en kies "
        "Opnieuw controleren."
    ),
}


def manual_step(code: str) -> str:
    """The manual step that fixes ``code``, as a :class:`ManualStep` worded in the active
    language (empty when nobody needs to act, or the code is unknown)."""
    known = _known(code)
    step = _STEPS.get(known) if known is not None else None
    if step is None:
        return ""
    if step.part:
        label = gettext("Handleiding: stap %(number)s, %(part)s") % {
            "number": step.number,
            "part": _part_label(step.part),
        }
    else:
        label = gettext("Handleiding: stap %(number)s") % {"number": step.number}
    return ManualStep(label, step.number, step.anchor)


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
    "MANUAL_PARTS",
    "MANUAL_STEPS",
    "NUMBER_CODES",
    "ManualStep",
    "ProblemCode",
    "authorisation_detail",
    "explain",
    "manual_step",
    "word_authorisation",
]
