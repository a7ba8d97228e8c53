"""django-axes, confined to the admin's login.

Axes hooks into every ``authenticate()`` call (its backend) and every ``user_login_failed`` /
``user_logged_in`` signal (its handler). The processors' login (onboarding.services.accounts)
goes through ``authenticate()`` too and has a lockout of its own; counting its failures in axes
as well would lock a processor out twice, with two different pages. So the backend and the
handler below do nothing outside the admin (``/beheer/``), and ``AXES_ONLY_ADMIN_SITE`` says the
same to axes itself.

Keyed per (username, client address) (``AXES_LOCKOUT_PARAMETERS`` in config/settings.py): a
stranger who guesses a known username locks only that combination from their own address, for
``ADMIN_LOCKOUT_SECONDS``; the staff member logs in from their own address meanwhile. The client
address is the portal's one (``onboarding.http.client_ip``, ``AXES_CLIENT_IP_CALLABLE``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from django.conf import settings
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse


def is_admin_request(request: HttpRequest | None) -> bool:
    if request is None or not hasattr(request, "path"):
        return False
    try:
        return request.path.startswith(reverse("admin:index"))
    except NoReverseMatch:
        return False


def failure_limit(request: HttpRequest | None = None, credentials: Any = None) -> int:
    """``AXES_FAILURE_LIMIT``: read at each attempt, so the setting can be changed in tests."""
    return settings.ADMIN_LOGIN_FAILURES_ALLOWED


def cool_off(request: HttpRequest | None = None) -> timedelta:
    """``AXES_COOLOFF_TIME``: how long a (username, address) stays locked."""
    return timedelta(seconds=settings.ADMIN_LOCKOUT_SECONDS)


class AdminLockoutBackend(AxesStandaloneBackend):
    """Refuses a locked (username, address) at the admin's login; elsewhere it stands aside
    (also for ``authenticate()`` without a request, as the test client's ``login()`` calls it)."""

    def authenticate(self, request: HttpRequest | None, *args: Any, **kwargs: Any) -> None:
        if not is_admin_request(request):
            return None
        return super().authenticate(request, *args, **kwargs)


class AdminOnlyDatabaseHandler(AxesDatabaseHandler):
    """Axes' database handler (attempts in PostgreSQL, visible and removable in the admin under
    "Axes"), recording only the admin's logins."""

    def user_login_failed(self, sender: Any, credentials: dict, request: Any = None, **kwargs: Any):
        if not is_admin_request(request):
            return None
        return super().user_login_failed(sender, credentials, request, **kwargs)

    def user_logged_in(self, sender: Any, request: Any, user: Any, **kwargs: Any):
        if not is_admin_request(request):
            return None
        return super().user_logged_in(sender, request, user, **kwargs)

    def user_logged_out(self, sender: Any, request: Any, user: Any, **kwargs: Any):
        if not is_admin_request(request):
            return None
        return super().user_logged_out(sender, request, user, **kwargs)
