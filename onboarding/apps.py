from __future__ import annotations

from django.apps import AppConfig


class OnboardingConfig(AppConfig):
    name = "onboarding"
    verbose_name = "Aanmelding salarisverwerkers"

    def ready(self) -> None:
        # Registers the start-up checks (the CSP deploy check lives beside its middleware).
        from config import middleware  # noqa: F401
        from onboarding import checks, signals  # noqa: F401
