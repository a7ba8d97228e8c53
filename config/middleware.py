"""Response headers the whole portal shares."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.checks import Tags, register
from django.core.checks import Warning as CheckWarning
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
