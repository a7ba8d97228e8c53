"""Error pages in the portal's look, with a way back and a.s.r.'s contact details.

Django renders 400, 403 and 404 with the request's context (context processors included), so
the templates ``400.html``, ``403.html`` and ``404.html`` are all they need. Two cases need a view:

- **500**: Django's default renders ``500.html`` without the request, so the page would lose its
  language switch and the contact details. :func:`server_error` renders it with the request, and
  falls back to a plain page when that rendering fails too (a broken database, say).
- **CSRF failure**: Django's default renders ``403_csrf.html`` without the request as well;
  :func:`csrf_failure` (``CSRF_FAILURE_VIEW``) renders it with the request.
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse, HttpResponseForbidden, HttpResponseServerError
from django.middleware.csrf import REASON_NO_CSRF_COOKIE
from django.template.loader import render_to_string
from django.utils.html import escape
from django.views.decorators.csrf import requires_csrf_token

from common.context_processors import contact

logger = logging.getLogger(__name__)

_PLAIN_500 = (
    "<!doctype html><html lang='nl'><head><meta charset='utf-8'><title>Er ging iets mis</title>"
    "</head><body><h1>Er ging iets mis / Something went wrong</h1>"
    "<p>a.s.r.: <a href='mailto:{email}'>{email}</a>, {phone}</p><p><a href='/'>a.s.r.</a></p>"
    "</body></html>"
)


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponse:
    try:
        html = render_to_string("500.html", request=request)
    except Exception:  # the page that reports an error must not fail: a plain one then
        logger.exception("the 500 page failed to render; sent the plain one")
        details = contact()
        return HttpResponseServerError(
            _PLAIN_500.format(email=escape(details.email), phone=escape(details.phone))
        )
    return HttpResponseServerError(html)


@requires_csrf_token
def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    context = {"no_cookie": reason == REASON_NO_CSRF_COOKIE}
    return HttpResponseForbidden(render_to_string("403_csrf.html", context, request=request))
