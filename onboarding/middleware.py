"""Sessions that end (issue 13): a logged-in session, a processor's or a.s.r. staff's, ends after
``SESSION_IDLE_TIMEOUT_SECONDS`` without a request and ``SESSION_ABSOLUTE_TIMEOUT_SECONDS`` after
the login, whatever happens in between.

The login time and the last request are kept in the session (seconds since the epoch). An ended
session is logged out and the browser sent to the login page (the admin's for ``/beheer/``) with
a message that says why; the page asked for comes back after the login (``next``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _

LOGIN_AT_KEY = "_session_login_at"
LAST_SEEN_KEY = "_session_last_seen"


@receiver(user_logged_in)
def _start_session_clock(sender: object, request: HttpRequest | None, **kwargs: object) -> None:
    if request is not None and hasattr(request, "session"):
        now = int(time.time())
        request.session[LOGIN_AT_KEY] = now
        request.session[LAST_SEEN_KEY] = now


def _login_url(request: HttpRequest) -> str:
    admin_prefix = reverse("admin:index")
    name = "admin:login" if request.path.startswith(admin_prefix) else settings.LOGIN_URL
    target = request.get_full_path() if request.method in ("GET", "HEAD") else ""
    query = f"?{urlencode({'next': target})}" if target else ""
    return reverse(name) + query


class SessionTimeoutMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            session = request.session
            login_at = session.setdefault(LOGIN_AT_KEY, now)
            last_seen = session.get(LAST_SEEN_KEY, now)
            if now - last_seen > settings.SESSION_IDLE_TIMEOUT_SECONDS:
                return self._expire(
                    request,
                    _(
                        "U bent uitgelogd omdat u een tijd niets hebt gedaan. Log opnieuw in om "
                        "verder te gaan."
                    ),
                )
            if now - login_at > settings.SESSION_ABSOLUTE_TIMEOUT_SECONDS:
                return self._expire(
                    request,
                    _(
                        "U bent uitgelogd omdat u al lang bent ingelogd. Log opnieuw in om verder "
                        "te gaan."
                    ),
                )
            session[LAST_SEEN_KEY] = now
        return self.get_response(request)

    def _expire(self, request: HttpRequest, message: str) -> HttpResponse:
        url = _login_url(request)
        logout(request)
        messages.warning(request, message)
        return HttpResponseRedirect(url)
