"""The processor's portal password after activation (issue 13): "Wachtwoord vergeten?" from the
login page, and the password change in the account.

The reset request answers the same whatever the address (the mail, if any, leaves through the
outbox after the response); the one-time link leaves the address bar after the first request,
as the activation link does.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_safe

from onboarding import services
from onboarding.forms import ActivationForm, PasswordChangeForm, PasswordResetRequestForm
from onboarding.http import client_ip, rate_limited_response
from onboarding.models import PayrollProcessor
from onboarding.ratelimit import RateLimited
from onboarding.tokens import recovery_token_generator
from onboarding.views.account import _activation_user

RESET_SESSION_KEY = "_onboarding_reset_token"
RESET_URL_TOKEN = "nieuw-wachtwoord"  # noqa: S105 - a URL segment, not a secret


@csrf_protect
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def password_reset(request: HttpRequest) -> HttpResponse:
    """Ask for a link to choose a new password: the same answer for every address."""
    form = PasswordResetRequestForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.password_reset_request(
                email=form.cleaned_data["email"], client_ip=client_ip(request)
            )
        except RateLimited as limited:
            return rate_limited_response(request, limited)
        return redirect("onboarding:password_reset_done")
    return render(request, "onboarding/password_reset.html", {"form": form})


@never_cache
@require_safe
def password_reset_done(request: HttpRequest) -> HttpResponse:
    return render(request, "onboarding/password_reset_done.html")


@sensitive_post_parameters("new_password1", "new_password2")
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def password_reset_confirm(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """The link from the reset mail: choose a new password, then log in with it. An expired,
    used or mangled link gets one clear page (status 200, so the token stays out of the log)."""
    user = _activation_user(uidb64)
    if token == RESET_URL_TOKEN:
        token = request.session.get(RESET_SESSION_KEY, "")
    elif user is not None and recovery_token_generator.check_token(user, token):
        request.session[RESET_SESSION_KEY] = token
        return redirect("onboarding:password_reset_confirm", uidb64=uidb64, token=RESET_URL_TOKEN)
    processor = getattr(user, "payroll_processor", None) if user is not None else None
    if (
        processor is None
        or not processor.is_confirmed
        or not recovery_token_generator.check_token(user, token)
    ):
        return render(request, "onboarding/password_reset_invalid.html")
    form = ActivationForm(user, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        services.password_reset_complete(
            processor=processor, password=form.cleaned_data["new_password1"]
        )
        request.session.pop(RESET_SESSION_KEY, None)
        messages.success(
            request,
            _("Uw nieuwe wachtwoord is opgeslagen. Log in met uw e-mailadres en dit wachtwoord."),
        )
        return redirect("onboarding:login")
    return render(
        request, "onboarding/password_reset_confirm.html", {"form": form, "email": processor.email}
    )


@sensitive_post_parameters("old_password", "new_password1", "new_password2")
@login_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def password_change(request: HttpRequest) -> HttpResponse:
    """The logged-in processor's new password: the current one first (wrong ones count towards
    a lockout). Sessions on other devices end; this one stays logged in."""
    get_object_or_404(PayrollProcessor, user=request.user)
    form = PasswordChangeForm(request.user, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            right = services.reauthenticate(
                user=request.user, password=form.cleaned_data["old_password"]
            )
        except RateLimited as limited:
            return rate_limited_response(request, limited)
        if right:
            services.password_change(user=request.user, password=form.cleaned_data["new_password1"])
            update_session_auth_hash(request, request.user)
            messages.success(
                request,
                _("Uw wachtwoord is gewijzigd. Op andere apparaten bent u uitgelogd."),
            )
            return redirect("onboarding:dashboard")
        form.add_error("old_password", _("Dit is niet uw huidige wachtwoord."))
    status = 400 if form.errors else 200
    return render(request, "onboarding/password_change.html", {"form": form}, status=status)
