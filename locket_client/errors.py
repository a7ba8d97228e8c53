"""Every way a Loket.nl call can fail, as one typed error each.

``retryable`` says whether trying the same call later can succeed without anyone changing
anything: true for an outage, a timeout or a broken connection; false for anything the payroll
processor (or a.s.r.) must fix first. Tasks retry on ``retryable`` alone and never on a login
failure, which would also lock the user out at Loket.nl.

Messages carry the fault code and Loket.nl's own text, never a credential.
"""

from __future__ import annotations

import re
from typing import ClassVar


class LoketError(Exception):
    """Base of all Loket.nl failures."""

    code: ClassVar[str] = "ONBEKEND"
    retryable: ClassVar[bool] = False

    def __init__(self, message: str = "") -> None:
        super().__init__(message or self.code)
        self.message = message


class LoketFault(LoketError):
    """A SOAP fault with a ``LoketFout`` detail: Loket.nl understood the call and said no."""


class OmgevingOnbekend(LoketFault):
    code = "OMGEVING_ONBEKEND"


class InlogOngeldig(LoketFault):
    code = "INLOG_ONGELDIG"


class GeenWebservicegebruiker(LoketFault):
    code = "GEEN_WEBSERVICEGEBRUIKER"


class GebruikerGeblokkeerd(LoketFault):
    code = "GEBRUIKER_GEBLOKKEERD"


_NOT_AUTHORISED = re.compile(r"functie\s+(?P<function>\S+)\s+\(entiteit\s+(?P<entity>[^)\s]+)\)")


class NietGeautoriseerd(LoketFault):
    """The webservicepartij lacks the operation's function or entity. Loket.nl names both in its
    message; they are parsed out so that the portal can say exactly what to ask for."""

    code = "NIET_GEAUTORISEERD"

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        match = _NOT_AUTHORISED.search(message)
        self.function: str | None = match.group("function") if match else None
        self.entity: str | None = match.group("entity") if match else None


class NietGevonden(LoketFault):
    code = "NIET_GEVONDEN"


class OngeldigeInvoer(LoketFault):
    code = "ONGELDIGE_INVOER"


class Storing(LoketFault):
    code = "STORING"
    retryable = True


class LoketTimeout(LoketError):
    """The call did not finish within ``LOKET_TIMEOUT`` (connect, read, or the whole answer)."""

    code = "TIMEOUT"
    retryable = True


class LoketTransportError(LoketError):
    """No usable HTTP exchange: connection refused or reset, DNS, TLS, or an HTTP error status
    without a SOAP fault (a proxy's 502, say)."""

    code = "TRANSPORTFOUT"
    retryable = True


class UnexpectedAnswer(LoketError):
    """Loket.nl answered, but not as the contract says: not XML, a forbidden DTD or entity, a
    fault code we do not know, a body that does not match the WSDL, or an answer too large.
    Retrying the same call would get the same answer."""

    code = "ONVERWACHT_ANTWOORD"


FAULTS_BY_CODE: dict[str, type[LoketFault]] = {
    cls.code: cls
    for cls in (
        OmgevingOnbekend,
        InlogOngeldig,
        GeenWebservicegebruiker,
        GebruikerGeblokkeerd,
        NietGeautoriseerd,
        NietGevonden,
        OngeldigeInvoer,
        Storing,
    )
}
