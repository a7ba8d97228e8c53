from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeliveriesConfig(AppConfig):
    name = "deliveries"
    verbose_name = _("Leveringen")

    def ready(self) -> None:
        # The tasks register under their names in every process (common.dispatch finds them).
        from deliveries import tasks  # noqa: F401, PLC0415
        from onboarding.crypto import register_encrypted_fields  # noqa: PLC0415

        # manage.py rotate_credentials re-encrypts the BSNs with the Loket.nl passwords.
        register_encrypted_fields("deliveries.EmployeeRecord", ("bsn_encrypted",))
