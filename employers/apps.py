from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EmployersConfig(AppConfig):
    name = "employers"
    verbose_name = _("Werkgevers en koppelingen")

    def ready(self) -> None:
        # Registers the tasks in every process, so common.dispatch finds them by name. Imported
        # here, not at the top: the tasks import models, which need the app registry ready.
        from employers import tasks  # noqa: F401, PLC0415
