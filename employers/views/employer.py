"""The employer's pages: the request form and its confirmation page.

Thin views (as ``onboarding.views.public``): validate the form, call one service, redirect
(POST/redirect/GET). Whatever the service refuses comes back next to the field it is about.

The confirmation page needs no column of its own: its address carries the request id signed
with :class:`~django.core.signing.TimestampSigner` (salt ``employers.request``), valid for
:data:`DONE_PAGE_MAX_AGE`. A tampered or expired address is a 404, so request ids cannot be
walked to read other employers' requests.
"""

from __future__ import annotations

import math

from django.core import signing
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from common.text import mask_email
from customers.selectors import policy_match
from employers import services
from employers.forms import EmployerRequestForm, preselected_processor
from employers.models import VERIFY_DAYS, EmployerRequest
from onboarding import limits
from onboarding.http import client_ip
from onboarding.ratelimit import RateLimited

DONE_PAGE_SALT = "employers.request"
DONE_PAGE_MAX_AGE = 24 * 60 * 60  # seconds: long enough to come back to, short for a leaked URL
PROCESSOR_PARAMETER = "verwerker"


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=DONE_PAGE_SALT)


def done_token(request_id: int) -> str:
    return _signer().sign(str(request_id))


def _request_for_token(token: str) -> EmployerRequest:
    try:
        request_id = _signer().unsign(token, max_age=DONE_PAGE_MAX_AGE)
    except signing.BadSignature:  # SignatureExpired is one too
        raise Http404 from None
    found = (
        EmployerRequest.objects.select_related("processor")
        .prefetch_related("tax_numbers")
        .filter(pk=int(request_id))
        .first()
    )
    if found is None:
        raise Http404
    return found


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def request_form(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        initial = {"processor": preselected_processor(request.GET.get(PROCESSOR_PARAMETER))}
        form = EmployerRequestForm(initial=initial)
        return render(request, "employers/request_form.html", {"form": form})
    form = EmployerRequestForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            # Each request sends mails (to the register's address or a.s.r.'s review queue):
            # the same per-address budget as the processors' credential checks, and a budget
            # per KvK number whoever sends them, keep the form from being used to flood. Both
            # before any work.
            limits.check_limit_per_client(client_ip(request))
        except RateLimited as limited:
            return request_limited_response(request, limited, per_kvk=False)
        # A request matching the register mails only the address on file: its budget is the
        # policy's. The others go to a.s.r.'s review: their budget is the KvK number's. So junk
        # naming a company's public KvK number never stops the company's own (matching) request.
        match = policy_match(kvk_number=data["kvk_number"], policy_number=data["policy_number"])
        try:
            limits.employer_request_per_kvk(
                data["kvk_number"] if match is None else f"polis:{match.policy_number}"
            )
        except RateLimited as limited:
            return request_limited_response(request, limited, per_kvk=True)
        try:
            created = services.request_submit(
                company_name=data["company_name"],
                kvk_number=data["kvk_number"],
                tax_numbers=data["tax_numbers"],
                contact_name=data["contact_name"],
                contact_email=data["contact_email"],
                contact_phone=data["contact_phone"],
                processor=data["processor"],
                policy_number=data["policy_number"],
                language=translation.get_language() or "nl",
            )
        except ValidationError as error:  # ProcessorNotConfirmed, full_clean
            form.add_service_error(error)
        else:
            return redirect("employers:request_done", token=done_token(created.pk))
    return render(request, "employers/request_form.html", {"form": form})


@never_cache
@require_safe
def request_done(request: HttpRequest, token: str) -> HttpResponse:
    employer_request = _request_for_token(token)
    return render(
        request,
        "employers/request_done.html",
        {
            "employer_request": employer_request,
            "processor_name": employer_request.processor.company_name,
            "numbers": [n.number for n in employer_request.tax_numbers.all()],
            # What became of the request when it was sent, whatever happened since: a register
            # match (the link went to the address on file, shown masked) or a.s.r.'s review.
            # Never anything that depends on other requests (whether a number is taken, say).
            "masked_email": mask_email(employer_request.register_email)
            if employer_request.register_email
            else "",
            "days": VERIFY_DAYS,
        },
    )


def request_limited_response(
    request: HttpRequest, limited: RateLimited, *, per_kvk: bool
) -> HttpResponse:
    """HTTP 429 with ``Retry-After``: too many requests from this address, or naming this KvK
    number today; nothing was stored or sent, and a.s.r.'s contact is the way on."""
    minutes = max(1, math.ceil(limited.retry_after / 60))
    response = render(
        request,
        "employers/request_limited.html",
        {
            "minutes": minutes,
            "hours": max(1, math.ceil(limited.retry_after / 3600)),
            "per_kvk": per_kvk,
            "unavailable": limited.unavailable,
        },
        status=429,
    )
    response["Retry-After"] = str(limited.retry_after)
    add_never_cache_headers(response)
    return response
