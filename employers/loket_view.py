"""What a processor's web-service user sees in Loket.nl, fetched live and cached briefly.

The Werkgevers page, registration and the linking worker all need the same answer (the access
info and the visible employers). With 10,000 employers one fetch costs about half a second, so
it is cached per processor and credentials for ``LOKET_VIEW_TTL`` seconds in the shared cache
(Redis in production); a refresh bypasses the cache.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from locket_client.client import get_client
from locket_client.types import AccessInfo, Credentials, Employer
from onboarding.crypto import decrypt_secret
from onboarding.models import PayrollProcessor


@dataclass(frozen=True, slots=True)
class LoketView:
    access: AccessInfo
    employers: tuple[Employer, ...]

    @property
    def employer_ids(self) -> frozenset[str]:
        return frozenset(e.id for e in self.employers)

    def by_id(self) -> dict[str, Employer]:
        return {e.id: e for e in self.employers}


def _key(processor: PayrollProcessor) -> str:
    fingerprint = hashlib.sha256(
        f"{processor.omgevingscode}\x1f{processor.loket_username}\x1f"
        f"{processor.loket_password_encrypted}".encode()
    ).hexdigest()[:24]
    return f"loket-view:{processor.pk}:{fingerprint}"


def loket_view(processor: PayrollProcessor, *, refresh: bool = False) -> LoketView:
    """The processor's view of Loket.nl. Raises the client's ``LoketError`` subclasses."""
    key = _key(processor)
    if not refresh:
        cached = cache.get(key)
        if cached is not None:
            return cached
    credentials = Credentials(
        omgevingscode=processor.omgevingscode,
        gebruikersnaam=processor.loket_username,
        wachtwoord=decrypt_secret(processor.loket_password_encrypted),
    )
    client = get_client()
    access = client.check_access(credentials)
    employers = tuple(client.employers(credentials)) if "WERKGEVERS" in access.functions else ()
    view = LoketView(access=access, employers=employers)
    cache.set(key, view, settings.LOKET_VIEW_TTL)
    return view


def loket_view_forget(processor: PayrollProcessor) -> None:
    """Drop the cached view: the next use asks Loket.nl again."""
    cache.delete(_key(processor))
