"""Which scopes an API client may ask for: ``read`` always, ``bsn`` only when staff allowed it."""

from __future__ import annotations

from typing import Any

from oauth2_provider.scopes import SettingsScopes

from api.models import ClientProfile

READ = "read"
BSN = "bsn"


def bsn_allowed(application: Any) -> bool:
    """Whether staff allow the client (an application or its id) the BSN."""
    return ClientProfile.objects.filter(application=application, bsn_allowed=True).exists()


class ClientScopes(SettingsScopes):
    """DOT's settings scopes, narrowed per application (``SCOPES_BACKEND_CLASS``).

    A token request for a scope that is not available fails with ``invalid_scope``; a request
    without ``scope`` gets the default, ``read``.
    """

    def get_available_scopes(self, application=None, request=None, *args, **kwargs) -> list[str]:
        scopes = [READ]
        if application is not None and bsn_allowed(application):
            scopes.append(BSN)
        return scopes

    def get_default_scopes(self, application=None, request=None, *args, **kwargs) -> list[str]:
        return [READ]
