"""Errors under ``/api/`` that no DRF view produced, as problem details: never the portal's HTML.

An unknown path (Django's 404 page), a method a plain Django view refuses (its empty 405), a
CSRF refusal, a 500 from Django's handler (or the technical page with DEBUG on): each answer
under ``/api/`` with a status of 400 or more that is not a problem already becomes one, keeping
the headers a client needs (``Allow``, ``WWW-Authenticate``, ``Retry-After``). The token
endpoint's errors are OAuth 2.0's (RFC 6749 section 5.2: ``application/json`` with ``error``):
they keep their media type and members and get the problem's members besides.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from api.problems import PROBLEM_JSON, problem, problem_response

API_PREFIX = "/api/"
KEPT_HEADERS = ("Allow", "WWW-Authenticate", "Retry-After", "Cache-Control", "Pragma")


class ProblemDetailsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        safe = request.method in ("GET", "HEAD")
        if path.startswith(API_PREFIX) and not path.endswith("/") and not safe:
            # Every API address ends in "/". CommonMiddleware would redirect (a body is lost on
            # the way) or, with DEBUG on, raise for a POST: a plain 404 says it at once.
            return problem_response(
                request, 404, detail=_("Adressen van de API eindigen op een /.")
            )
        response = self.get_response(request)
        if response.status_code < 400 or not path.startswith(API_PREFIX):
            return response
        content_type = response.get("Content-Type", "")
        if content_type.startswith(PROBLEM_JSON):
            return response
        if content_type.startswith("application/json"):
            oauth = _oauth_error(response)
            if oauth is not None:
                body = {
                    **problem(request, response.status_code, detail=oauth.get("error_description")),
                    **oauth,
                }
                response.content = json.dumps(body, ensure_ascii=False)
                return response
        replaced = problem_response(request, response.status_code)
        for header in KEPT_HEADERS:
            if header in response:
                replaced[header] = response[header]
        return replaced


def _oauth_error(response: HttpResponse) -> dict | None:
    """The members of an OAuth 2.0 error answer (``{"error": ...}``), else ``None``."""
    if getattr(response, "streaming", False):
        return None
    try:
        body = json.loads(response.content)
    except ValueError:
        return None
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        return body
    return None
