"""The employer's own page about its request (statuspagina): where the request stands and who
acts next. Its address carries the request's unguessable ``status_token``; every mail to the
employer links it. An unknown token is a 404 page with the way to a new request."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from employers.models import EmployerRequest


def request_for_status_token(token: str) -> EmployerRequest:
    found = (
        EmployerRequest.objects.select_related("processor")
        .prefetch_related("tax_numbers")
        .filter(status_token=token)
        .first()
        if token
        else None
    )
    if found is None:
        raise Http404
    return found


@never_cache
@require_safe
def status(request: HttpRequest, token: str) -> HttpResponse:
    employer_request = request_for_status_token(token)
    return render(
        request,
        "employers/status.html",
        {
            "employer_request": employer_request,
            "processor_name": employer_request.processor.company_name,
            "numbers": [n.number for n in employer_request.tax_numbers.all()],
        },
    )
