from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = _("Webhooks")

    def ready(self) -> None:
        # The tasks register under their names in every process (common.dispatch finds them).
        from onboarding.crypto import register_encrypted_fields  # noqa: PLC0415
        from webhooks import tasks  # noqa: F401, PLC0415

        # manage.py rotate_credentials re-encrypts the subscribers' secrets too.
        register_encrypted_fields(
            "webhooks.WebhookSubscription", ("secret_encrypted", "previous_secret_encrypted")
        )
