"""The admin opens for a staff user only after their second factor (when it is required)."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from staffauth import two_factor


class StaffTwoFactorMiddleware:
    """Sends a logged-in staff user whose session is not verified by a code from every page of
    the admin (``/beheer/``) to the set-up page (no authenticator app yet) or to the code page.

    Needs django-otp's ``OTPMiddleware`` before it (``request.user.is_verified()``). The admin's
    login and logout and the two pages themselves stay open; the processors' pages are not
    touched. Does nothing while ``STAFF_TWO_FACTOR_REQUIRED`` is off (the demo with DEBUG on).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        redirect = self._redirect(request)
        if redirect is not None:
            return redirect
        return self.get_response(request)

    def _redirect(self, request: HttpRequest) -> HttpResponse | None:
        if not two_factor.required():
            return None
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.is_staff:
            return None
        if not request.path.startswith(reverse("admin:index")):
            return None
        if user.is_verified():
            return None
        open_paths = {
            reverse("admin:login"),
            reverse("admin:logout"),
            reverse("staffauth:setup"),
            reverse("staffauth:verify"),
        }
        if request.path in open_paths:
            return None
        target = "staffauth:verify" if two_factor.has_two_factor(user) else "staffauth:setup"
        url = reverse(target)
        if request.method == "GET":
            url += "?" + urlencode({"next": request.get_full_path()})
        return HttpResponseRedirect(url)
