"""Turn a set of credentials into a report a payroll processor can act on.

The check follows ``loket-webservice.md`` ("What the portal needs"): ``ControleerToegang``, then
``GeefWerkgevers``. Every shortfall becomes a :class:`Finding`: a code of the
one problem catalogue (``locket_client.problems``), worded with the step of the a.s.r. manual that
fixes it in the active language. A temporary failure is a finding too, marked ``retryable``:
nothing to fix, the check runs again later.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass

from django.utils import translation

from locket_client.client import LoketClient, get_client
from locket_client.errors import LoketError, NietGeautoriseerd
from locket_client.problems import ProblemCode, authorisation_detail, explain, manual_step
from locket_client.types import AccessInfo, Credentials

_FAULT_FINDINGS = frozenset(
    {
        ProblemCode.OMGEVING_ONBEKEND,
        ProblemCode.INLOG_ONGELDIG,
        ProblemCode.GEEN_WEBSERVICEGEBRUIKER,
        ProblemCode.GEBRUIKER_GEBLOKKEERD,
    }
)


def _language(language: str | None) -> AbstractContextManager[object]:
    return translation.override(language) if language else nullcontext()


@dataclass(frozen=True, slots=True)
class Finding:
    """One shortfall: what is wrong, which manual step fixes it, and whether waiting will do."""

    code: ProblemCode
    detail: str = ""
    retryable: bool = False

    def message(self, language: str | None = None) -> str:
        """What is wrong and what to do, in ``language`` (default: the active language)."""
        with _language(language):
            return explain(self.code, self.detail)

    def manual_step(self, language: str | None = None) -> str:
        with _language(language):
            return manual_step(self.code)

    def as_dict(self) -> dict[str, object]:
        """JSON-safe form for storing the findings of a check."""
        return {"code": str(self.code), "detail": self.detail, "retryable": self.retryable}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Finding:
        return cls(
            code=ProblemCode(str(data["code"])),
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


def _error_finding(error: LoketError) -> Finding:
    if error.retryable:
        return Finding(ProblemCode.TIJDELIJK_ONBEREIKBAAR, detail=error.code, retryable=True)
    if isinstance(error, NietGeautoriseerd):
        return Finding(
            ProblemCode.AUTORISATIE_ONTBREEKT,
            detail=authorisation_detail(
                (error.function,) if error.function else (),
                (error.entity,) if error.entity else (),
            ),
        )
    if error.code in _FAULT_FINDINGS:
        return Finding(ProblemCode(error.code))
    return Finding(ProblemCode.ONVERWACHT_ANTWOORD, detail=error.code)


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
            Finding(ProblemCode.VERKEERDE_WEBSERVICEPARTIJ, detail=access.party or "(geen)")
        )
    missing_functions, missing_entities = access.missing_functions, access.missing_entities
    if missing_functions or missing_entities:
        findings.append(
            Finding(
                ProblemCode.AUTORISATIE_ONTBREEKT,
                detail=authorisation_detail(missing_functions, missing_entities),
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
                findings.append(Finding(ProblemCode.GEEN_WERKGEVERS))
    return Diagnosis(access=access, employer_count=employer_count, findings=tuple(findings))


__all__ = ["Diagnosis", "Finding", "ProblemCode", "diagnose"]
