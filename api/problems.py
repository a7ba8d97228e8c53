"""Errors of the API as RFC 9457 problem details (``application/problem+json``).

Every error under ``/api/`` has the members ``type``, ``title``, ``status``, ``detail`` and
``instance`` (the path, never the query string: a client's parameters stay out of the answer
and of anything that logs it). Titles and details follow the request's language (Dutch by
default, English on ``Accept-Language: en``). Two ways in:

- :func:`exception_handler` (DRF's ``EXCEPTION_HANDLER``) for everything the API views raise:
  authentication (401 with ``WWW-Authenticate``), scopes (403), throttling (429 with
  ``Retry-After``), bad parameters (400, with ``invalid_params``), 404, 405, 406, 415.
- :class:`api.middleware.ProblemDetailsMiddleware` for what never reaches a DRF view: an unknown
  path under ``/api/``, a method a plain Django view refuses, a 500 from anywhere.

The ``type`` is a URI on the docs page (``/api/v1/docs/#problem-<slug>``), which explains each.
"""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

PROBLEM_JSON = "application/problem+json"

# slug -> (title, what it means); the docs page lists them under the same anchors.
PROBLEM_TYPES: dict[str, tuple[Any, Any]] = {
    "invalid-parameter": (
        gettext_lazy("Ongeldige parameter"),
        gettext_lazy("Een parameter van het verzoek is ongeldig; invalid_params zegt welke."),
    ),
    "invalid-cursor": (
        gettext_lazy("Ongeldige cursor"),
        gettext_lazy("De cursor is niet door deze API gegeven of is gewijzigd."),
    ),
    "bad-request": (
        gettext_lazy("Ongeldig verzoek"),
        gettext_lazy("Het verzoek kan niet worden gelezen."),
    ),
    "unauthorized": (
        gettext_lazy("Niet aangemeld"),
        gettext_lazy("Geen, een onbekend of een verlopen toegangstoken."),
    ),
    "insufficient-scope": (
        gettext_lazy("Scope ontbreekt"),
        gettext_lazy("Het toegangstoken heeft niet de scope die dit verzoek vraagt."),
    ),
    "forbidden": (
        gettext_lazy("Geen toegang"),
        gettext_lazy("Dit verzoek is niet toegestaan."),
    ),
    "not-found": (
        gettext_lazy("Niet gevonden"),
        gettext_lazy("Het adres of het gevraagde object bestaat niet."),
    ),
    "gone": (
        gettext_lazy("Gegevens verwijderd"),
        gettext_lazy("De gegevens zijn na de bewaartermijn verwijderd."),
    ),
    "method-not-allowed": (
        gettext_lazy("Methode niet toegestaan"),
        gettext_lazy("Dit adres kent deze HTTP-methode niet; de header Allow noemt welke wel."),
    ),
    "not-acceptable": (
        gettext_lazy("Formaat niet beschikbaar"),
        gettext_lazy("De API antwoordt alleen met JSON."),
    ),
    "unsupported-media-type": (
        gettext_lazy("Formaat niet ondersteund"),
        gettext_lazy("De API leest alleen JSON."),
    ),
    "too-many-requests": (
        gettext_lazy("Te veel verzoeken"),
        gettext_lazy("De limiet per minuut van deze client is bereikt; Retry-After zegt wanneer."),
    ),
    "server-error": (
        gettext_lazy("Interne fout"),
        gettext_lazy("Er ging bij ons iets mis; probeer het later opnieuw."),
    ),
}

_BY_STATUS = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    410: "gone",
    415: "unsupported-media-type",
    429: "too-many-requests",
}


def type_uri(slug: str) -> str:
    return f"{settings.PORTAL_BASE_URL}/api/v1/docs/#problem-{slug}"


def slug_for_status(status: int) -> str:
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    return "server-error" if status >= 500 else "bad-request"


def problem(
    request: HttpRequest, status: int, slug: str | None = None, detail: str | None = None, **extra
) -> dict[str, Any]:
    """The body of one problem."""
    slug = slug or slug_for_status(status)
    if slug in PROBLEM_TYPES:
        title, meaning = PROBLEM_TYPES[slug]
        title = str(title)
    else:
        try:
            title, meaning = HTTPStatus(status).phrase, ""
        except ValueError:
            title, meaning = str(status), ""
    return {
        "type": type_uri(slug),
        "title": title,
        "status": status,
        "detail": str(detail) if detail else str(meaning),
        "instance": request.path,
        **extra,
    }


def problem_response(request: HttpRequest, status: int, **kwargs: Any) -> HttpResponse:
    """A plain Django response with one problem (for code outside DRF)."""
    body = problem(request, status, **kwargs)
    return HttpResponse(
        json.dumps(body, ensure_ascii=False), status=status, content_type=PROBLEM_JSON
    )


class InvalidParameters(exceptions.APIException):
    """400 naming each bad parameter and why (``{name: reason}``); the value is never echoed."""

    status_code = 400
    default_code = "invalid"

    def __init__(self, params: dict[str, str], *, slug: str = "invalid-parameter") -> None:
        self.params = params
        self.slug = slug
        super().__init__(detail="; ".join(f"{name}: {reason}" for name, reason in params.items()))


class Gone(exceptions.APIException):
    status_code = 410
    default_code = "gone"


def _detail_text(data: Any) -> str:
    """DRF's detail (a string, or a list/dict of them) as one line."""
    if isinstance(data, dict):
        if set(data) == {"detail"}:
            return _detail_text(data["detail"])
        return "; ".join(f"{key}: {_detail_text(value)}" for key, value in data.items())
    if isinstance(data, list):
        return "; ".join(_detail_text(item) for item in data)
    return str(data)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler (headers: ``WWW-Authenticate``, ``Retry-After``), answering a problem."""
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a bug: Django's 500, which the middleware turns into a problem
    request = context["request"]
    status = response.status_code
    extra: dict[str, Any] = {}
    slug = None
    detail = _detail_text(response.data)
    if isinstance(exc, InvalidParameters):
        slug = exc.slug
        extra["invalid_params"] = [
            {"name": name, "reason": reason} for name, reason in exc.params.items()
        ]
    elif isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        oauth2_error = getattr(request, "oauth2_error", None) or {}
        if oauth2_error.get("error"):
            detail = _("Het toegangstoken is ongeldig of verlopen. Vraag een nieuw aan.")
        elif "HTTP_AUTHORIZATION" in request.META:
            detail = _("De header Authorization heeft geen toegangstoken (Bearer).")
        else:
            detail = _("Stuur een toegangstoken mee: Authorization: Bearer <token>.")
        # DRF answers 403 when no authenticator offers a challenge; here one always does.
        status = 401
    elif isinstance(exc, exceptions.PermissionDenied) and getattr(exc, "missing_scopes", None):
        slug = "insufficient-scope"
        extra["required_scopes"] = exc.missing_scopes
    elif isinstance(exc, exceptions.MethodNotAllowed):
        detail = _("Methode %(method)s is hier niet toegestaan.") % {"method": request.method}
    elif isinstance(exc, exceptions.Throttled):
        detail = _("Te veel verzoeken; probeer het over %(seconds)s seconden opnieuw.") % {
            "seconds": response.get("Retry-After", "60")
        }
    response.status_code = status
    response.data = problem(request, status, slug, detail, **extra)
    response.content_type = PROBLEM_JSON
    return response
