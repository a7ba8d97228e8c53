"""Who calls the API: an OAuth2 client (client credentials), its scopes and its rate limit.

A token of the client credentials grant belongs to an application, not to a user: DOT's
authentication then gives ``request.user = None``. :class:`ApiClient` stands in for it, so that
nothing that asks ``request.user.is_authenticated`` fails, and says which client it is.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from typing import Any

import redis
from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _
from oauth2_provider.contrib.rest_framework import OAuth2Authentication, TokenHasScope
from rest_framework.exceptions import PermissionDenied
from rest_framework.throttling import BaseThrottle

from api.scopes import BSN, READ, bsn_allowed

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ApiClient:
    """The "user" of a request made with a client credentials token."""

    application_id: int
    name: str
    is_authenticated: bool = True
    is_anonymous: bool = False
    is_active: bool = True
    is_staff: bool = False
    is_superuser: bool = False
    pk: None = None

    def __str__(self) -> str:
        return self.name or f"client {self.application_id}"


class ClientCredentialsAuthentication(OAuth2Authentication):
    """``Authorization: Bearer <token>`` (never a token in the query string: RFC 9700, set in
    ``OAUTH2_PROVIDER``). A missing, unknown or expired token is a 401 with a Bearer challenge."""

    www_authenticate_realm = "api"

    def authenticate(self, request: Any) -> tuple[Any, Any] | None:
        result = super().authenticate(request)
        if result is None:
            return None
        user, token = result
        if user is None:
            application = token.application
            user = ApiClient(application_id=application.pk, name=application.name)
        return user, token


def token_scopes(request: Any) -> set[str]:
    """The scopes of the request's token. ``bsn`` only while staff still allow the client the
    BSN: taking it away works at once, not when the client's tokens expire."""
    token = getattr(request, "auth", None)
    if token is None or not hasattr(token, "scope"):
        return set()
    scopes = set(token.scope.split())
    if BSN in scopes and not bsn_allowed(token.application_id):
        scopes.discard(BSN)
    return scopes


class HasScopes(TokenHasScope):
    """The token is valid and has every scope of the view's ``required_scopes`` (``read`` when
    it names none). A missing scope is a 403 naming it."""

    def get_scopes(self, request: Any, view: Any) -> list[str]:
        scopes = getattr(view, "required_scopes", None) or [READ]
        if callable(scopes):
            scopes = scopes(request)
        return list(scopes)

    def has_permission(self, request: Any, view: Any) -> bool:
        allowed = super().has_permission(request, view)
        token = request.auth
        if allowed and BSN in self.get_scopes(request, view):
            allowed = BSN in token_scopes(request)
        if not allowed and token is not None and hasattr(token, "scope"):
            missing = sorted(set(self.get_scopes(request, view)) - token_scopes(request))
            if missing and not token.is_expired():
                exc = PermissionDenied(
                    _("Dit verzoek vraagt de scope %(scopes)s.") % {"scopes": ", ".join(missing)}
                )
                exc.missing_scopes = missing
                raise exc
        return allowed


class ClientRateThrottle(BaseThrottle):
    """At most ``API_REQUESTS_PER_MINUTE_PER_CLIENT`` requests per client per clock minute (a
    counter per application and minute in the cache, Redis in production: one ``incr`` per
    request, shared by every web process). Then 429 with ``Retry-After`` (seconds to the next
    minute)."""

    clock = staticmethod(time.time)  # a seam for the tests (a minute boundary mid-test)

    def __init__(self) -> None:
        self._wait = 0.0

    def allow_request(self, request: Any, view: Any) -> bool:
        token = getattr(request, "auth", None)
        application_id = getattr(token, "application_id", None)
        if application_id is None:
            return True
        now = self.clock()
        minute = int(now // 60)
        key = f"api:rate:{application_id}:{minute}"
        try:
            cache.add(key, 0, timeout=120)
            try:
                count = cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.set(key, 1, timeout=120)
                count = 1
        except (redis.RedisError, OSError):
            # Fails closed, as the portal's other limits: no count, no answer.
            logger.warning("API rate limiter unavailable: refusing")
            self._wait = 60
            return False
        if count <= settings.API_REQUESTS_PER_MINUTE_PER_CLIENT:
            return True
        self._wait = (minute + 1) * 60 - now
        return False

    def wait(self) -> float:
        return max(1, math.ceil(self._wait))
