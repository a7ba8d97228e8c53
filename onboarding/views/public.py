"""The public side: the registration form, the status page (with its correction form), and the
directory of confirmed processors.

Thin views: load the registration by its unguessable token (404 otherwise), validate the form,
call one service, redirect (POST/redirect/GET). Everything a service refuses comes back as a
message next to the field it is about; a rate limit becomes a 429 page.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from onboarding import selectors, services
from onboarding.forms import CorrectionForm, RegistrationForm
from onboarding.http import client_ip, rate_limited_response
from onboarding.models import PayrollProcessor, Status
from onboarding.ratelimit import RateLimited
from onboarding.services import DuplicateRegistration

STATUS_PAGE_ACTOR = "statuspagina"


def _processor_or_404(token: str) -> PayrollProcessor:
    processor = selectors.processor_by_token(token)
    if processor is None:
        raise Http404
    return processor


def _status_context(processor: PayrollProcessor) -> dict[str, Any]:
    return {
        "processor": processor,
        "pending": selectors.processor_check_pending(processor),
        "findings": selectors.processor_latest_findings(processor),
        "confirmed": processor.is_confirmed,
        "rejected": processor.status == Status.REJECTED,
    }


def _render_status(
    request: HttpRequest, processor: PayrollProcessor, form: CorrectionForm | None = None
) -> HttpResponse:
    context = _status_context(processor)
    context["form"] = form or CorrectionForm(processor=processor)
    context["correctable"] = not context["confirmed"] and not context["rejected"]
    return render(request, "onboarding/status.html", context)


def _not_correctable(request: HttpRequest, processor: PayrollProcessor) -> HttpResponse | None:
    """After a.s.r.'s confirmation the status link no longer changes anything: the processor
    logs in for that (the link is a bearer secret; the account has a password)."""
    if processor.is_confirmed:
        messages.info(
            request,
            _("Uw aanmelding is al verwerkt. Log in om uw Loket.nl-gegevens te wijzigen."),
        )
        return redirect("onboarding:status", token=processor.status_token)
    return None


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    form = RegistrationForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            processor = services.registration_submit(
                company_name=data["company_name"],
                email=data["email"],
                omgevingscode=data["omgevingscode"],
                loket_username=data["loket_username"],
                loket_password=data["loket_password"],
                client_ip=client_ip(request),
                language=translation.get_language() or "nl",
            )
        except RateLimited as limited:
            return rate_limited_response(request, limited)
        except ValidationError as error:  # DuplicateRegistration (a race) among them
            form.add_service_error(error)
        else:
            messages.success(
                request,
                _(
                    "Uw aanmelding is ontvangen. Bewaar het adres van deze pagina: hier ziet u "
                    "de uitkomst van de controle en kunt u uw gegevens corrigeren."
                ),
            )
            return redirect("onboarding:status", token=processor.status_token)
    return render(request, "onboarding/register.html", {"form": form})


@never_cache
@require_safe
def status(request: HttpRequest, token: str) -> HttpResponse:
    return _render_status(request, _processor_or_404(token))


@never_cache
@require_safe
def status_partial(request: HttpRequest, token: str) -> HttpResponse:
    """Only the status block, for static/js/status.js to swap in while the check runs."""
    processor = _processor_or_404(token)
    return render(request, "onboarding/_status.html", _status_context(processor))


@never_cache
@require_POST
def recheck(request: HttpRequest, token: str) -> HttpResponse:
    processor = _processor_or_404(token)
    if refused := _not_correctable(request, processor):
        return refused
    try:
        services.check_request(
            processor=processor,
            actor=None,
            actor_label=STATUS_PAGE_ACTOR,
            client_ip=client_ip(request),
        )
    except RateLimited as limited:
        return rate_limited_response(request, limited)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.info(request, _("We controleren uw gegevens opnieuw bij Loket.nl."))
    return redirect("onboarding:status", token=processor.status_token)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def correct(request: HttpRequest, token: str) -> HttpResponse:
    processor = _processor_or_404(token)
    if request.method != "POST":
        return _render_status(request, processor)
    if refused := _not_correctable(request, processor):
        return refused
    form = CorrectionForm(request.POST, processor=processor)
    if form.is_valid():
        try:
            services.credentials_update(
                processor=processor,
                omgevingscode=form.cleaned_data["omgevingscode"],
                loket_username=form.cleaned_data["loket_username"],
                loket_password=form.new_password,
                client_ip=client_ip(request),
                actor_label=STATUS_PAGE_ACTOR,
            )
        except RateLimited as limited:
            return rate_limited_response(request, limited)
        except DuplicateRegistration as error:
            form.add_service_error(error)
        except ValidationError as error:  # e.g. a.s.r. rejected the registration meanwhile
            messages.error(request, " ".join(error.messages))
            return redirect("onboarding:status", token=processor.status_token)
        else:
            messages.success(
                request, _("Uw gegevens zijn aangepast. We controleren ze opnieuw bij Loket.nl.")
            )
            return redirect("onboarding:status", token=processor.status_token)
    return _render_status(request, processor, form)


@require_safe
def directory(request: HttpRequest) -> HttpResponse:
    return render(request, "onboarding/directory.html", {"names": selectors.directory_names()})
