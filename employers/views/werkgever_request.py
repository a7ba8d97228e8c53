"""The processor's view of one employer's request (issue 12): who asked, when, verified how, the
loonheffingennummers and where the link stands; and declining it ("geen klant van ons").

Only the logged-in processor's own verified requests exist here: any other id (another
processor's request, one not verified yet) is a 404, the same answer as an unknown id.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from employers import selectors, services
from employers.emails import word_decline_reason
from employers.forms import DeclineForm
from onboarding.models import PayrollProcessor


def _detail(
    request: HttpRequest, request_id: int
) -> tuple[PayrollProcessor, selectors.RequestDetail]:
    processor = get_object_or_404(PayrollProcessor, user=request.user)
    detail = selectors.request_detail(processor=processor, request_id=request_id)
    if detail is None:
        raise Http404
    return processor, detail


def _render(
    request: HttpRequest, detail: selectors.RequestDetail, form: DeclineForm, *, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "employers/werkgever_aanvraag.html",
        {
            "detail": detail,
            "employer_request": detail.request,
            "form": form,
            "decision_reason": word_decline_reason(detail.request.decision_reason),
        },
        status=status,
    )


@login_required
@never_cache
@require_http_methods(["GET", "HEAD"])
def werkgever_request(request: HttpRequest, request_id: int) -> HttpResponse:
    _processor, detail = _detail(request, request_id)
    return _render(request, detail, DeclineForm())


@login_required
@never_cache
@require_http_methods(["POST"])
def werkgever_decline(request: HttpRequest, request_id: int) -> HttpResponse:
    """Decline the request with the reason from the form; back to the Werkgevers page."""
    processor, detail = _detail(request, request_id)
    form = DeclineForm(request.POST)
    if not form.is_valid():
        return _render(request, detail, form, status=400)
    try:
        services.request_decline(
            request_id=detail.request.pk,
            processor=processor,
            reason=form.reason,
            actor=request.user,
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("employers:werkgevers_request", request_id=detail.request.pk)
    messages.success(
        request,
        _(
            "U heeft de aanvraag van %(name)s geweigerd. De werkgever krijgt een e-mail met de "
            "reden; de loonheffingennummers zijn vrijgegeven."
        )
        % {"name": detail.request.company_name},
    )
    return redirect("employers:werkgevers")
