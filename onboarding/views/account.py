"""The payroll processor's own account: activate, log in, the dashboard, new Loket.nl details.

A processor gets an account when a.s.r. confirms its registration; the confirmation mail holds a
one-time link (:func:`activate`) to set the portal password. It then logs in with its e-mail
address. Repeated failed logins lock the e-mail address (and, more loosely, the client address)
out for ``LOGIN_LOCKOUT_SECONDS`` (:func:`onboarding.services.accounts.login_attempt`).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model, login, logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlsafe_base64_decode
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from onboarding import selectors, services
from onboarding.forms import AccountCredentialsForm, ActivationForm, CorrectionForm, PortalForm
from onboarding.http import client_ip, rate_limited_response
from onboarding.models import PayrollProcessor
from onboarding.ratelimit import RateLimited

# The activation token leaves the URL after the first request (as Django's password reset does):
# it is kept in the session and the browser continues at this placeholder, so the token is not in
# the address bar, the history or a Referer header while the processor chooses a password.
ACTIVATION_SESSION_KEY = "_onboarding_activation_token"
ACTIVATION_URL_TOKEN = "wachtwoord-instellen"  # noqa: S105 - a URL segment, not a secret

# --- forms -------------------------------------------------------------------------------------


class LoginForm(PortalForm):
    email = forms.EmailField(label=_("E-mailadres"), max_length=254)
    password = forms.CharField(
        label=_("Wachtwoord"), strip=False, max_length=4096, widget=forms.PasswordInput
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].widget.attrs.update(autocomplete="email")
        if not self.is_bound:  # a refused form: the error summary takes the focus instead
            self.fields["email"].widget.attrs.update(autofocus=True)
        self.fields["password"].widget.attrs.update(autocomplete="current-password")


# --- helpers -----------------------------------------------------------------------------------


def _own_processor(request: HttpRequest) -> PayrollProcessor:
    return get_object_or_404(PayrollProcessor, user=request.user)


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("onboarding:dashboard")


# --- views -------------------------------------------------------------------------------------


def _locked_message(minutes: int) -> str:
    return ngettext(
        "Te veel mislukte inlogpogingen. Om uw account te beschermen kunt u het over %(minutes)s "
        "minuut opnieuw proberen.",
        "Te veel mislukte inlogpogingen. Om uw account te beschermen kunt u het over %(minutes)s "
        "minuten opnieuw proberen.",
        minutes,
    ) % {"minutes": minutes}


UNAVAILABLE_MESSAGE = _(
    "Inloggen is op dit moment niet mogelijk. Probeer het over een minuut opnieuw."
)
INVALID_LOGIN_MESSAGE = _(
    "Deze combinatie van e-mailadres en wachtwoord is onjuist. Let op: na enkele mislukte pogingen "
    "wordt inloggen tijdelijk geblokkeerd."
)


def _locked_out(request: HttpRequest, form: LoginForm, limited: RateLimited) -> HttpResponse:
    if limited.unavailable:
        message = UNAVAILABLE_MESSAGE
    else:
        message = _locked_message(max(1, -(-limited.retry_after // 60)))
    response = render(
        request,
        "onboarding/login.html",
        {"form": form, "locked_message": message, "next": _safe_next(request)},
        status=429,
    )
    response["Retry-After"] = str(limited.retry_after)
    return response


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    """Log in with e-mail address and password (the lockout: ``services.login_attempt``).

    An unknown address gets the same message as a wrong password.
    """
    if request.method != "POST":
        return render(
            request, "onboarding/login.html", {"form": LoginForm(), "next": _safe_next(request)}
        )
    form = LoginForm(request.POST)
    if not form.is_valid():
        return render(request, "onboarding/login.html", {"form": form, "next": _safe_next(request)})
    try:
        user = services.login_attempt(
            request=request,
            email=form.cleaned_data["email"],
            password=form.cleaned_data["password"],
            client_ip=client_ip(request),
        )
    except RateLimited as limited:
        return _locked_out(request, form, limited)
    if user is None:
        form.add_error(None, INVALID_LOGIN_MESSAGE)
        return render(request, "onboarding/login.html", {"form": form, "next": _safe_next(request)})
    return HttpResponseRedirect(_safe_next(request))


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.info(request, _("U bent uitgelogd."))
    return redirect("onboarding:login")


def _activation_user(uidb64: str) -> Any:
    try:
        pk = urlsafe_base64_decode(uidb64).decode("ascii")
    except (TypeError, ValueError, UnicodeDecodeError):
        return None
    user_model = get_user_model()
    try:
        return user_model._default_manager.select_related("payroll_processor").get(pk=pk)
    except (user_model.DoesNotExist, ValidationError, ValueError, OverflowError):
        return None


@sensitive_post_parameters("new_password1", "new_password2")
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def activate(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """The one-time link from the confirmation mail: choose the portal password.

    An expired, used or mangled link gets one clear page (status 200: a 4xx would put the
    path, token and all, in Django's request log).
    """
    user = _activation_user(uidb64)
    if token == ACTIVATION_URL_TOKEN:
        token = request.session.get(ACTIVATION_SESSION_KEY, "")
    elif user is not None and default_token_generator.check_token(user, token):
        request.session[ACTIVATION_SESSION_KEY] = token
        return redirect("onboarding:activate", uidb64=uidb64, token=ACTIVATION_URL_TOKEN)
    processor = getattr(user, "payroll_processor", None) if user is not None else None
    if processor is None or not default_token_generator.check_token(user, token):
        return render(request, "onboarding/activate_invalid.html")

    form = ActivationForm(user, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            processor = services.registration_activate(
                processor=processor, password=form.cleaned_data["new_password1"]
            )
        except ValidationError:
            return render(request, "onboarding/activate_invalid.html")
        request.session.pop(ACTIVATION_SESSION_KEY, None)
        login(request, processor.user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Uw wachtwoord is ingesteld. U bent nu ingelogd."))
        return redirect("onboarding:dashboard")
    return render(
        request,
        "onboarding/activate.html",
        {"form": form, "company_name": processor.company_name, "email": processor.email},
    )


def _dashboard(
    request: HttpRequest, processor: PayrollProcessor, form: CorrectionForm, *, status: int = 200
) -> HttpResponse:
    latest = processor.check_attempts.order_by("-started_at", "-id").first()
    return render(
        request,
        "onboarding/dashboard.html",
        {
            "processor": processor,
            "findings": selectors.processor_latest_findings(processor),
            "latest_attempt": latest,
            "check_pending": processor.check_requested_at is not None,
            "waiting": selectors.processor_waiting_employers(processor)
            if processor.is_confirmed
            else 0,
            "form": form,
        },
        status=status,
    )


@login_required
@never_cache
@require_http_methods(["GET", "HEAD"])
def dashboard(request: HttpRequest) -> HttpResponse:
    processor = _own_processor(request)
    return _dashboard(request, processor, AccountCredentialsForm(processor=processor))


@sensitive_post_parameters("loket_password", "portal_password")
@login_required
@require_POST
def update_credentials(request: HttpRequest) -> HttpResponse:
    """New Loket.nl details: stored (the password encrypted) and checked again at once. The
    portal password first (issue 13: re-authentication, wrong ones count towards a lockout)."""
    processor = _own_processor(request)
    form = AccountCredentialsForm(request.POST, processor=processor)
    if not form.is_valid():
        return _dashboard(request, processor, form, status=400)
    try:
        if not services.reauthenticate(
            user=request.user, password=form.cleaned_data["portal_password"]
        ):
            form.add_error("portal_password", _("Dit is niet uw wachtwoord voor dit portaal."))
            return _dashboard(request, processor, form, status=400)
    except RateLimited as limited:
        return rate_limited_response(request, limited)
    try:
        updated = services.credentials_update(
            processor=processor,
            omgevingscode=form.cleaned_data["omgevingscode"],
            loket_username=form.cleaned_data["loket_username"],
            loket_password=form.new_password,
            client_ip=client_ip(request),
            actor=request.user,
            actor_label="salarisverwerker",
        )
    except RateLimited as limited:
        return rate_limited_response(request, limited)
    except ValidationError as error:
        form.add_service_error(error)
        return _dashboard(request, processor, form, status=400)
    typed = (
        form.cleaned_data["omgevingscode"].strip(),
        form.cleaned_data["loket_username"].strip(),
    )
    if typed != (updated.omgevingscode, updated.loket_username):  # another account: it waits
        messages.success(request, PENDING_MESSAGE)
    else:
        messages.success(
            request, _("Uw Loket.nl-gegevens zijn opgeslagen. We controleren ze nu opnieuw.")
        )
    return redirect("onboarding:dashboard")


PENDING_MESSAGE = _(
    "Uw nieuwe Loket.nl-gegevens zijn opgeslagen en wachten op bevestiging door a.s.r. Tot dan "
    "blijven uw huidige gegevens in gebruik."
)
