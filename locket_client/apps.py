from __future__ import annotations

from django.apps import AppConfig


class LocketClientConfig(AppConfig):
    """Registered only so that ``manage.py loket_sandbox`` is found; the package holds no models."""

    name = "locket_client"
    verbose_name = "Loket.nl"
