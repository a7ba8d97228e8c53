from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OnboardingConfig(AppConfig):
    name = "onboarding"
    verbose_name = _("Aanmelding salarisverwerkers")

    def ready(self) -> None:
        # Registers the start-up checks, the worker's start-up hook, and the tasks in every
        # process (common.dispatch finds them by name). Imported here, not at the top: they
        # import models, which need the app registry to be ready, and ready() is the hook Django
        # gives for exactly this.
        from onboarding import checks, signals, tasks  # noqa: F401, PLC0415
