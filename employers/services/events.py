"""The history of requests and links: one :class:`~employers.models.EmployerEvent` per change,
and the errors the services raise."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError

from employers.models import EmployerEvent, EmployerLink, EmployerRequest


class DuplicateRequest(ValidationError):
    """An open request already names one of these loonheffingennummers."""


class ProcessorNotConfirmed(ValidationError):
    """The processor is not (or no longer) confirmed by a.s.r."""


def event(
    *,
    employer_request: EmployerRequest | None = None,
    link: EmployerLink | None = None,
    from_status: str,
    to_status: str,
    actor: AbstractBaseUser | None = None,
    actor_label: str,
    note: str = "",
) -> EmployerEvent:
    """An unsaved history row (callers bulk-create them with the change they record)."""
    return EmployerEvent(
        request=employer_request,
        link=link,
        from_status=from_status,
        to_status=to_status,
        actor=actor if actor is not None and actor.is_authenticated else None,
        actor_label=actor_label,
        note=note[:300],
    )
