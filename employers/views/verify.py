"""The confirmation link (bevestigingslink) the employer gets at the address a.s.r.'s customer
register holds for its policy: ``salariskoppeling/bevestigen/<token>/``.

GET only shows what is being confirmed and a "Bevestigen" button: mail scanners and link
previews fetch links, and must not verify anything. POST verifies
(:func:`~employers.services.request_verify`, method ``register``) and redirects to the
employer's status page.

Every way a link can fail gets its own clear page with the next step, never a 500:

- tampered (not signed by us, or not for a request waiting for this link): 404;
- expired (older than its validity, or its request already deleted): 410, with the form and
  a.s.r.'s contact;
- used (the request is verified already): 200, with the link to the status page;
- another verified request holds one of its loonheffingennummers: 409, with a.s.r.'s contact.
"""

from __future__ import annotations

from django.core import signing
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from employers import services
from employers.models import VERIFY_DAYS, EmployerRequest, RequestStatus, VerificationMethod
from employers.tokens import verified_request_id

TEMPLATE = "employers/verify.html"
PROBLEM_TEMPLATE = "employers/verify_problem.html"

# The page for each way a link fails, and its status code.
TAMPERED, EXPIRED, USED, CLOSED, TAKEN = "tampered", "expired", "used", "closed", "taken"
STATUS_CODES = {TAMPERED: 404, EXPIRED: 410, USED: 200, CLOSED: 410, TAKEN: 409}


def _problem(
    request: HttpRequest, kind: str, employer_request: EmployerRequest | None = None
) -> HttpResponse:
    return render(
        request,
        PROBLEM_TEMPLATE,
        {"kind": kind, "employer_request": employer_request, "days": VERIFY_DAYS},
        status=STATUS_CODES[kind],
    )


def _about(employer_request: EmployerRequest) -> dict[str, object]:
    return {
        "employer_request": employer_request,
        "processor_name": employer_request.processor.company_name,
        "numbers": [n.number for n in employer_request.tax_numbers.all()],
    }


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def verify(request: HttpRequest, token: str) -> HttpResponse:
    try:
        request_id = verified_request_id(token)
    except signing.SignatureExpired:
        return _problem(request, EXPIRED)
    except signing.BadSignature:
        return _problem(request, TAMPERED)
    employer_request = (
        EmployerRequest.objects.select_related("processor")
        .prefetch_related("tax_numbers")
        .filter(pk=request_id)
        .first()
    )
    if employer_request is None:  # signed by us, so it existed: deleted when it expired
        return _problem(request, EXPIRED)
    if employer_request.is_verified:
        return _problem(request, USED, employer_request)
    if employer_request.status != RequestStatus.UNVERIFIED or not employer_request.register_email:
        # Rejected or withdrawn; or never mailed a link (in review): nothing to confirm here.
        kind = TAMPERED if employer_request.status == RequestStatus.IN_REVIEW else CLOSED
        return _problem(request, kind, employer_request)
    if employer_request.expires_at is None or employer_request.expires_at <= timezone.now():
        return _problem(request, EXPIRED, employer_request)
    if request.method != "POST":
        return render(request, TEMPLATE, _about(employer_request))
    try:
        services.request_verify(
            request_id=employer_request.pk,
            method=VerificationMethod.REGISTER,
            actor_label="bevestigingslink werkgever",
        )
    except services.DuplicateRequest:
        return _problem(request, TAKEN, employer_request)
    except ValidationError:  # verified (or withdrawn) a moment ago, by another click
        employer_request.refresh_from_db()
        kind = USED if employer_request.is_verified else CLOSED
        return _problem(request, kind, employer_request)
    return redirect("employers:status", token=employer_request.status_token)
