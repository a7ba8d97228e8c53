"""The staff user's two-factor pages (set-up, code at login) and the admin login's lockout page.

In the portal's look (base.html), Dutch and English, with a.s.r.'s contact details.
"""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters

from staffauth import two_factor
from staffauth.forms import SetupCodeForm, VerifyCodeForm
from staffauth.lockout import cool_off


def _next_url(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("admin:index")


def _with_next(name: str, request: HttpRequest) -> str:
    return f"{reverse(name)}?{urlencode({'next': _next_url(request)})}"


def _staff_only(request: HttpRequest) -> HttpResponse | None:
    if not request.user.is_authenticated or not request.user.is_staff:
        return redirect_to_login(request.get_full_path(), reverse("admin:login"))
    return None


def _never_cached(response: HttpResponse) -> HttpResponse:
    add_never_cache_headers(response)
    return response


@sensitive_post_parameters("code")
def setup(request: HttpRequest) -> HttpResponse:
    """Set up the authenticator app: QR code and secret, one code to confirm, then the ten
    recovery codes, shown on this one answer only."""
    refused = _staff_only(request)
    if refused is not None:
        return refused
    if two_factor.has_two_factor(request.user):
        if request.user.is_verified():
            return redirect(_next_url(request))
        return redirect(_with_next("staffauth:verify", request))
    device = two_factor.pending_app_device(request.user)
    form = SetupCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = two_factor.confirm_setup(request, form.cleaned_data["code"])
        except two_factor.RateLimited as limited:
            return _too_many_codes(request, limited)
        if codes is not None:
            return _never_cached(
                render(
                    request,
                    "staffauth/setup_done.html",
                    {
                        "codes": [two_factor.recovery_code_for_display(c) for c in codes],
                        "next": _next_url(request),
                    },
                )
            )
        form.add_error("code", _("Deze code klopt niet. Typ de code die de app nu toont."))
    context = {
        "form": form,
        "qr": two_factor.qr_svg(device, title=_("QR-code voor uw authenticator-app")),
        "secret": two_factor.secret_for_display(device),
        "next": _next_url(request),
    }
    return _never_cached(render(request, "staffauth/setup.html", context))


@sensitive_post_parameters("code")
def verify(request: HttpRequest) -> HttpResponse:
    """The second step of the admin login: a code of the app or a recovery code."""
    refused = _staff_only(request)
    if refused is not None:
        return refused
    if not two_factor.has_two_factor(request.user):
        return redirect(_with_next("staffauth:setup", request))
    if request.user.is_verified():
        return redirect(_next_url(request))
    form = VerifyCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            if two_factor.verify_code(request, form.cleaned_data["code"]):
                return redirect(_next_url(request))
        except two_factor.RateLimited as limited:
            return _too_many_codes(request, limited)
        form.add_error("code", _("Deze code klopt niet of is al gebruikt."))
    return _never_cached(
        render(request, "staffauth/verify.html", {"form": form, "next": _next_url(request)})
    )


def _locked_page(
    request: HttpRequest, seconds: int, *, codes: bool, unavailable: bool = False
) -> HttpResponse:
    response = render(
        request,
        "staffauth/locked.html",
        {
            "minutes": max(1, math.ceil(seconds / 60)),
            "codes": codes,
            "unavailable": unavailable,
        },
        status=429,
    )
    response["Retry-After"] = str(seconds)
    return _never_cached(response)


def _too_many_codes(request: HttpRequest, limited: two_factor.RateLimited) -> HttpResponse:
    return _locked_page(request, limited.retry_after, codes=True, unavailable=limited.unavailable)


def locked_out(
    request: HttpRequest, original_response: Any = None, credentials: Any = None
) -> HttpResponse:
    """``AXES_LOCKOUT_CALLABLE``: the admin login after too many wrong passwords for this
    username from this address (HTTP 429, ``Retry-After``)."""
    return _locked_page(request, int(cool_off(request).total_seconds()), codes=False)
