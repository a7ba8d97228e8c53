"""Small request helpers shared by the public and the account views."""

from __future__ import annotations

import ipaddress
import math

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers

from onboarding.ratelimit import RateLimited


def _valid_address(value: str) -> str | None:
    value = value.strip()
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str:
    """The address the rate limits count against.

    Directly exposed (no ``SECURE_PROXY_SSL_HEADER``): ``REMOTE_ADDR``; a client could write any
    ``X-Forwarded-For`` it likes, so that header is ignored. Behind the TLS proxy: the last entry
    of ``X-Forwarded-For``, the one our own proxy appended (entries before it come from the client
    and can be forged). Anything that is not an IP address falls back to ``REMOTE_ADDR``.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            address = _valid_address(forwarded.rsplit(",", 1)[-1])
            if address is not None:
                return address
    return _valid_address(remote) or remote or "unknown"


def rate_limited_response(request: HttpRequest, limited: RateLimited) -> HttpResponse:
    """HTTP 429 with ``Retry-After`` and a page that says, in whole minutes, when to try again.

    ``limited.unavailable`` (the limiter could not reach Redis and failed closed) gets its own
    wording: the user did nothing wrong. The daily cap of failed checks
    (:class:`~onboarding.limits.CheckCapReached`) says what happened and that a.s.r. can lift
    it (``capped``: "account" or "omgevingscode").
    """
    minutes = max(1, math.ceil(limited.retry_after / 60))
    response = render(
        request,
        "onboarding/429.html",
        {
            "minutes": minutes,
            "unavailable": limited.unavailable,
            "capped": getattr(limited, "scope", ""),
        },
        status=429,
    )
    response["Retry-After"] = str(limited.retry_after)
    add_never_cache_headers(response)
    return response
