"""Turn a set of credentials into a report a payroll processor can act on.

The check follows ``loket-webservice.md`` ("What the portal needs"): ``ControleerToegang``, then
``GeefWerkgevers``. Every shortfall becomes a :class:`Finding` that names the step of the a.s.r.
manual that fixes it, in Dutch (English when the active language is English). A temporary failure
is a finding too, marked ``retryable``: nothing to fix, the check runs again later.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from locket_client.client import LoketClient, get_client
from locket_client.errors import LoketError, NietGeautoriseerd
from locket_client.types import REQUIRED_PARTY, AccessInfo, Credentials


class FindingCode(enum.StrEnum):
    OMGEVING_ONBEKEND = "OMGEVING_ONBEKEND"
    INLOG_ONGELDIG = "INLOG_ONGELDIG"
    GEEN_WEBSERVICEGEBRUIKER = "GEEN_WEBSERVICEGEBRUIKER"
    GEBRUIKER_GEBLOKKEERD = "GEBRUIKER_GEBLOKKEERD"
    VERKEERDE_WEBSERVICEPARTIJ = "VERKEERDE_WEBSERVICEPARTIJ"
    AUTORISATIE_ONTBREEKT = "AUTORISATIE_ONTBREEKT"
    GEEN_WERKGEVERS = "GEEN_WERKGEVERS"
    TIJDELIJK_ONBEREIKBAAR = "TIJDELIJK_ONBEREIKBAAR"
    ONVERWACHT_ANTWOORD = "ONVERWACHT_ANTWOORD"


@dataclass(frozen=True, slots=True)
class _Text:
    step_nl: str
    step_en: str
    message_nl: str
    message_en: str


_TEXTS: dict[FindingCode, _Text] = {
    FindingCode.OMGEVING_ONBEKEND: _Text(
        "Handleiding: Omgevingscode",
        "Manual: Omgevingscode",
        "Loket.nl kent deze omgevingscode niet. Controleer de code; weet u hem niet, stuur dan "
        "een ticket aan Loket.nl met de naam van uw administratie- of accountantskantoor.",
        "Loket.nl does not know this omgevingscode. Check the code; if you do not know it, send "
        "Loket.nl a ticket naming your payroll or accountancy office.",
    ),
    FindingCode.INLOG_ONGELDIG: _Text(
        "Handleiding: stap 4",
        "Manual: step 4",
        "Loket.nl wijst de inlog af. Controleer de gebruikersnaam en het wachtwoord van de "
        "webservicegebruiker.",
        "Loket.nl rejects the login. Check the username and password of the web-service user.",
    ),
    FindingCode.GEEN_WEBSERVICEGEBRUIKER: _Text(
        "Handleiding: stap 2",
        "Manual: step 2",
        "Deze gebruiker is geen webservicegebruiker. Zet in Loket.nl bij de gebruiker 'Soort "
        "gebruiker' op 'Webservice gebruiker'.",
        "This user is not a web-service user. In Loket.nl, set the user's 'Soort gebruiker' to "
        "'Webservice gebruiker'.",
    ),
    FindingCode.GEBRUIKER_GEBLOKKEERD: _Text(
        "Handleiding: stap 2",
        "Manual: step 2",
        "De webservicegebruiker is geblokkeerd. Hef de blokkade op in Loket.nl (Teams en "
        "gebruikers, Gebruikers AK).",
        "The web-service user is blocked. Unblock it in Loket.nl (Teams en gebruikers, "
        "Gebruikers AK).",
    ),
    FindingCode.VERKEERDE_WEBSERVICEPARTIJ: _Text(
        "Handleiding: stap 1",
        "Manual: step 1",
        "De webservicepartij van deze gebruiker is '{detail}', niet '" + REQUIRED_PARTY + "'. "
        "Vraag Loket.nl om bij de AK-gebruiker '" + REQUIRED_PARTY + "' als webservicepartij "
        "te kiezen.",
        "This user's webservicepartij is '{detail}', not '" + REQUIRED_PARTY + "'. Ask Loket.nl "
        "to choose '" + REQUIRED_PARTY + "' as webservicepartij for the AK user.",
    ),
    FindingCode.AUTORISATIE_ONTBREEKT: _Text(
        "Handleiding: stap 3, Webservicepartij",
        "Manual: step 3, Webservicepartij",
        "De webservicepartij is niet geautoriseerd voor {detail}. Vraag Loket.nl de "
        "webservicepartij hiervoor te autoriseren.",
        "The webservicepartij is not authorised for {detail}. Ask Loket.nl to authorise the "
        "webservicepartij for it.",
    ),
    FindingCode.GEEN_WERKGEVERS: _Text(
        "Handleiding: stap 2 en 3",
        "Manual: steps 2 and 3",
        "De webservicegebruiker ziet geen enkele werkgever. Maak in Loket.nl een team voor de "
        "webservicepartij en koppel de werkgevers en de webservicegebruiker aan dat team.",
        "The web-service user sees no employer at all. In Loket.nl, create a team for the "
        "webservicepartij and add the employers and the web-service user to it.",
    ),
    FindingCode.TIJDELIJK_ONBEREIKBAAR: _Text(
        "",
        "",
        "Loket.nl is tijdelijk niet bereikbaar. U hoeft niets te doen: we proberen het later "
        "opnieuw.",
        "Loket.nl is temporarily unavailable. Nothing to do on your side: we will try again later.",
    ),
    FindingCode.ONVERWACHT_ANTWOORD: _Text(
        "",
        "",
        "Loket.nl gaf een onverwacht antwoord. U hoeft niets te doen: a.s.r. zoekt dit uit.",
        "Loket.nl gave an unexpected answer. Nothing to do on your side: a.s.r. will look into it.",
    ),
}

_FAULT_FINDINGS = {
    "OMGEVING_ONBEKEND": FindingCode.OMGEVING_ONBEKEND,
    "INLOG_ONGELDIG": FindingCode.INLOG_ONGELDIG,
    "GEEN_WEBSERVICEGEBRUIKER": FindingCode.GEEN_WEBSERVICEGEBRUIKER,
    "GEBRUIKER_GEBLOKKEERD": FindingCode.GEBRUIKER_GEBLOKKEERD,
}


def _is_english(language: str | None) -> bool:
    if language is None:
        try:
            from django.utils.translation import get_language

            language = get_language()
        except ImportError:  # pragma: no cover - locket_client works without Django too
            language = None
    return bool(language) and language.lower().startswith("en")


@dataclass(frozen=True, slots=True)
class Finding:
    """One shortfall: what is wrong, which manual step fixes it, and whether waiting will do."""

    code: FindingCode
    detail: str = ""
    retryable: bool = False

    def message(self, language: str | None = None) -> str:
        english = _is_english(language)
        text = _TEXTS[self.code]
        template = text.message_en if english else text.message_nl
        detail = self.detail
        if self.code is FindingCode.AUTORISATIE_ONTBREEKT:
            detail = _word_authorisation(detail, english=english)
        return template.format(detail=detail)

    def manual_step(self, language: str | None = None) -> str:
        text = _TEXTS[self.code]
        return text.step_en if _is_english(language) else text.step_nl

    def as_dict(self) -> dict[str, object]:
        """JSON-safe form for storing the findings of a check."""
        return {"code": str(self.code), "detail": self.detail, "retryable": self.retryable}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Finding:
        return cls(
            code=FindingCode(str(data["code"])),
            detail=str(data.get("detail", "")),
            retryable=bool(data.get("retryable", False)),
        )


@dataclass(frozen=True, slots=True)
class Diagnosis:
    access: AccessInfo | None
    employer_count: int | None
    findings: tuple[Finding, ...]

    @property
    def passed(self) -> bool:
        return not self.findings

    @property
    def temporary(self) -> bool:
        """Only temporary trouble: the same check may pass later without anyone acting."""
        return bool(self.findings) and all(f.retryable for f in self.findings)


def _authorisation_detail(functions: tuple[str, ...], entities: tuple[str, ...]) -> str:
    """Stored form: ``"F1,F2|e1"``; :meth:`Finding.message` words it in the reader's language."""
    return ",".join(functions) + "|" + ",".join(entities)


def _word_authorisation(detail: str, *, english: bool) -> str:
    functions_part, _, entities_part = detail.partition("|")
    functions = [f for f in functions_part.split(",") if f]
    entities = [e for e in entities_part.split(",") if e]
    if english:
        words = (("function ", "functions "), ("entity ", "entities "), " and ")
    else:
        words = (("functie ", "functies "), ("entiteit ", "entiteiten "), " en ")
    parts = []
    if functions:
        parts.append(words[0][len(functions) > 1] + ", ".join(functions))
    if entities:
        parts.append(words[1][len(entities) > 1] + ", ".join(entities))
    return words[2].join(parts)


def _error_finding(error: LoketError) -> Finding:
    if error.retryable:
        return Finding(FindingCode.TIJDELIJK_ONBEREIKBAAR, detail=error.code, retryable=True)
    if isinstance(error, NietGeautoriseerd):
        return Finding(
            FindingCode.AUTORISATIE_ONTBREEKT,
            detail=_authorisation_detail(
                (error.function,) if error.function else (),
                (error.entity,) if error.entity else (),
            ),
        )
    code = _FAULT_FINDINGS.get(error.code)
    if code is not None:
        return Finding(code)
    return Finding(FindingCode.ONVERWACHT_ANTWOORD, detail=error.code)


def diagnose(credentials: Credentials, *, client: LoketClient | None = None) -> Diagnosis:
    """Check ``credentials`` against everything the salary link needs.

    Never raises a ``LoketError``: every failure is a finding. Makes at most two calls.
    """
    client = client or get_client()
    try:
        access = client.check_access(credentials)
    except LoketError as error:
        return Diagnosis(access=None, employer_count=None, findings=(_error_finding(error),))

    findings: list[Finding] = []
    if not access.has_required_party:
        findings.append(
            Finding(FindingCode.VERKEERDE_WEBSERVICEPARTIJ, detail=access.party or "(geen)")
        )
    missing_functions, missing_entities = access.missing_functions, access.missing_entities
    if missing_functions or missing_entities:
        findings.append(
            Finding(
                FindingCode.AUTORISATIE_ONTBREEKT,
                detail=_authorisation_detail(missing_functions, missing_entities),
            )
        )

    employer_count: int | None = None
    if "WERKGEVERS" in access.functions and "werkgever" in access.entities:
        try:
            employer_count = len(client.employers(credentials))
        except LoketError as error:
            finding = _error_finding(error)
            if finding not in findings:
                findings.append(finding)
        else:
            if employer_count == 0:
                findings.append(Finding(FindingCode.GEEN_WERKGEVERS))
    return Diagnosis(access=access, employer_count=employer_count, findings=tuple(findings))


__all__ = ["Diagnosis", "Finding", "FindingCode", "diagnose"]
