"""The history every service writes: one :class:`StatusChange` row per change of a registration."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser

from onboarding.models import PayrollProcessor, StatusChange


def record_status_change(
    processor: PayrollProcessor,
    *,
    from_status: str,
    actor: AbstractBaseUser | None,
    actor_label: str,
    note: str = "",
    findings: list[dict[str, object]] | None = None,
) -> None:
    """Record that ``processor`` went from ``from_status`` to its current status (the same status
    for an edit), by whom (``actor_label`` for the history, ``actor`` when it is a person) and
    why (``note``; never a secret)."""
    StatusChange.objects.create(
        processor=processor,
        from_status=from_status,
        to_status=processor.status,
        actor=actor if actor is not None and actor.is_authenticated else None,
        actor_label=actor_label,
        note=note,
        findings=findings or [],
    )


def normalise(value: str) -> str:
    """An omgevingscode or gebruikersnaam as stored: without surrounding whitespace."""
    return value.strip()
