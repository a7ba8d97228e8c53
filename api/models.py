"""What staff decide per API client beyond django-oauth-toolkit's application.

An API client is a DOT ``Application`` (client credentials, confidential; its secret is stored
hashed). Whether it may read the BSN is a.s.r.'s decision per client, so it lives here, one row
per application, edited inline on the application's admin page. Without a row a client gets the
``read`` scope only.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ClientProfile(models.Model):
    application = models.OneToOneField(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL,
        on_delete=models.CASCADE,
        related_name="api_profile",
        verbose_name=_("applicatie"),
    )
    bsn_allowed = models.BooleanField(
        _("mag BSN lezen"),
        default=False,
        help_text=_(
            "Alleen dan kan deze client de scope 'bsn' krijgen: het BSN van werknemers lezen "
            "en werknemers op BSN zoeken."
        ),
    )

    class Meta:
        verbose_name = _("API-rechten")
        verbose_name_plural = _("API-rechten")

    def __str__(self) -> str:
        return str(self.application)
