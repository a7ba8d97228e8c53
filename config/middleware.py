"""Response headers the whole portal shares, and the refusal of form bodies Django cannot read."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.checks import Tags, register
from django.core.checks import Warning as CheckWarning
from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)


class ContentSecurityPolicyMiddleware:
    """Sets a strict ``Content-Security-Policy`` on every response that has none of its own.

    No ``'unsafe-inline'``: scripts and style sheets come from files served by the portal
    itself, so an injected ``<script>`` or ``style=`` attribute does not run. A view that needs
    a different policy sets the header itself and keeps it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        return response


class FormCharsetMiddleware:
    """A form body declared in another charset than UTF-8 gets the portal's 400 page at once.

    Django refuses ``application/x-www-form-urlencoded; charset=utf-16`` (or utf-32) with
    ``BadRequest`` when ``request.POST`` is first read, which may be inside the CSRF check, and
    with ``DEBUG`` on its technical error page reads the body again and fails: the visitor got a
    plain-text 500. Refusing here, before anything reads the body, answers 400 in every mode.
    """

    FORM = "application/x-www-form-urlencoded"

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.content_type == self.FORM and (request.encoding or "utf-8").lower() != "utf-8":
            # Not at the top: config/__init__ imports this module while the settings load.
            from common.errors import bad_request  # noqa: PLC0415

            return bad_request(request, BadRequest(f"{self.FORM} met charset={request.encoding}"))
        return self.get_response(request)


@register(Tags.security, deploy=True)
def content_security_policy_check(app_configs: Any = None, **kwargs: Any) -> list[CheckWarning]:
    """``manage.py check --deploy``: the policy is installed and allows no inline code.

    Registered when this module is imported; ``config/__init__`` imports it with the settings,
    so that the check also runs without a request (``manage.py check`` loads no middleware).
    """
    path = f"{__name__}.{ContentSecurityPolicyMiddleware.__name__}"
    if path not in settings.MIDDLEWARE:
        return [
            CheckWarning(
                "De Content-Security-Policy-middleware staat niet in MIDDLEWARE.",
                hint=f"Zet {path!r} direct na SecurityMiddleware.",
                id="config.W001",
            )
        ]
    if "'unsafe-inline'" in CONTENT_SECURITY_POLICY or "'unsafe-eval'" in CONTENT_SECURITY_POLICY:
        return [
            CheckWarning(
                "De Content-Security-Policy staat inline scripts of stijlen (of eval) toe.",
                id="config.W002",
            )
        ]
    return []
