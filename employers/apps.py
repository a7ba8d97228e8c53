from __future__ import annotations

from django.apps import AppConfig


class EmployersConfig(AppConfig):
    name = "employers"
    verbose_name = "Werkgevers en koppelingen"
