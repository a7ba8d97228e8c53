"""Error pages in the portal's look, with a way back and a.s.r.'s contact details.

Django renders 400, 403 and 404 with the request's context (context processors included), so
the templates ``400.html``, ``403.html`` and ``404.html`` are all they need. Two cases need a view:

- **500**: Django's default renders ``500.html`` without the request, so the page would lose its
  language switch and the contact details. :func:`server_error` renders it with the request, and
  falls back to a plain page when that rendering fails too (a broken database, say).
- **CSRF failure**: Django's default renders ``403_csrf.html`` without the request as well;
  :func:`csrf_failure` (``CSRF_FAILURE_VIEW``) renders it with the request.

No error view may read the request body again. Django's own 400/403/404 views and
``requires_csrf_token`` run the CSRF check, which reads ``request.POST``; for a form posted as
``application/x-www-form-urlencoded; charset=utf-16`` that raises ``BadRequest`` *inside the
error view*, and the visitor got a plain-text 500 from the server instead of the 400 page (issue
13, point 9). Every error view here is wrapped in :func:`error_page_csrf_token` instead: it makes
the CSRF token available to the page (the language switch is a form) without checking the request.
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse, HttpResponseForbidden, HttpResponseServerError
from django.middleware.csrf import REASON_NO_CSRF_COOKIE, CsrfViewMiddleware
from django.template.loader import render_to_string
from django.utils.decorators import decorator_from_middleware
from django.utils.html import escape
from django.views import defaults

from common.context_processors import contact

logger = logging.getLogger(__name__)

_PLAIN_500 = (
    "<!doctype html><html lang='nl'><head><meta charset='utf-8'><title>Er ging iets mis</title>"
    "</head><body><h1>Er ging iets mis / Something went wrong</h1>"
    "<p>a.s.r.: <a href='mailto:{email}'>{email}</a>, {phone}</p><p><a href='/'>a.s.r.</a></p>"
    "</body></html>"
)


class _CsrfTokenWithoutCheck(CsrfViewMiddleware):
    """``requires_csrf_token`` without the check: ``process_request`` loads the CSRF cookie (all
    ``{% csrf_token %}`` needs) and the response sets it; ``process_view``, which would read the
    request body, is skipped."""

    def process_view(self, request, callback, callback_args, callback_kwargs):
        return None


error_page_csrf_token = decorator_from_middleware(_CsrfTokenWithoutCheck)

# Django's own 400, 403 and 404 views (the portal's templates, with the request's context) without
# their requires_csrf_token (see the module's docstring).
bad_request = error_page_csrf_token(defaults.bad_request.__wrapped__)
permission_denied = error_page_csrf_token(defaults.permission_denied.__wrapped__)
page_not_found = error_page_csrf_token(defaults.page_not_found.__wrapped__)


@error_page_csrf_token
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


@error_page_csrf_token
def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    context = {"no_cookie": reason == REASON_NO_CSRF_COOKIE}
    return HttpResponseForbidden(render_to_string("403_csrf.html", context, request=request))
