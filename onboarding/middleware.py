"""Sessions that end (issue 13): a logged-in session, a processor's or a.s.r. staff's, ends after
``SESSION_IDLE_TIMEOUT_SECONDS`` without a request and ``SESSION_ABSOLUTE_TIMEOUT_SECONDS`` after
the login, whatever happens in between.

The login time and the last request are kept in the session (seconds since the epoch). The check
runs when the request first asks who the user is (``request.user`` stays lazy, so a cached
public page still costs no query): an ended session is emptied, the request goes on as an
anonymous one with a message that says why, and so a page that needs a login sends the browser
to the login page (the admin's for ``/beheer/``), which shows the message, with ``next`` set.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _

LOGIN_AT_KEY = "_session_login_at"
LAST_SEEN_KEY = "_session_last_seen"
# The last request is written down at most once a minute: a session saved on every request would
# cost every page a write (the idle timeout is exact to this much).
LAST_SEEN_GRANULARITY = 60


@receiver(user_logged_in)
def _start_session_clock(sender: object, request: HttpRequest | None, **kwargs: object) -> None:
    if request is not None and hasattr(request, "session"):
        now = int(time.time())
        request.session[LOGIN_AT_KEY] = now
        request.session[LAST_SEEN_KEY] = now


def _expired_message(request: HttpRequest, user: object) -> str | None:
    """Why the logged-in session of ``request`` has ended (``None``: it has not); counts this
    request as activity otherwise."""
    now = int(time.time())
    session = request.session
    login_at = session.setdefault(LOGIN_AT_KEY, now)
    last_seen = session.get(LAST_SEEN_KEY, now)
    if now - last_seen > settings.SESSION_IDLE_TIMEOUT_SECONDS:
        return _(
            "U bent uitgelogd omdat u een tijd niets hebt gedaan. Log opnieuw in om verder te gaan."
        )
    if now - login_at > settings.SESSION_ABSOLUTE_TIMEOUT_SECONDS:
        return _(
            "U bent uitgelogd omdat u al lang bent ingelogd. Log opnieuw in om verder te gaan."
        )
    if now - last_seen >= LAST_SEEN_GRANULARITY or LAST_SEEN_KEY not in session:
        session[LAST_SEEN_KEY] = now
    return None


class SessionTimeoutMiddleware:
    """After ``AuthenticationMiddleware`` and ``MessageMiddleware``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        found = getattr(request, "user", None)
        if found is not None:
            request.user = SimpleLazyObject(lambda: self._checked(request, found))
        return self.get_response(request)

    @staticmethod
    def _checked(request: HttpRequest, found: object) -> object:
        if not found.is_authenticated:  # evaluates AuthenticationMiddleware's lazy user
            return found
        user = getattr(found, "_wrapped", found)
        message = _expired_message(request, user)
        if message is None:
            return user
        # What logout() does (it would ask request.user again, the object being evaluated).
        request.session.flush()
        messages.warning(request, message)
        return AnonymousUser()
