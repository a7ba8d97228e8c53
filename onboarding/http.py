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


def _trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in settings.TRUSTED_PROXIES)


def client_ip(request: HttpRequest) -> str:
    """The address the rate limits count against.

    ``X-Forwarded-For`` is read only when the direct peer (``REMOTE_ADDR``) is one of
    ``TRUSTED_PROXIES``: anyone else could write any address there. Then the client is the
    right-most entry that is not itself a trusted proxy (each trusted proxy appends the address
    it got the request from; entries to the left of that one come from the client and can be
    forged). A non-address where the client's should be falls back to ``REMOTE_ADDR`` (the proxy:
    all such requests then share one bucket, which fails closed).
    """
    remote = _valid_address(request.META.get("REMOTE_ADDR", "")) or ""
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if remote and forwarded and _trusted(remote):
        entries = [entry.strip() for entry in forwarded.split(",") if entry.strip()]
        for entry in reversed(entries):
            address = _valid_address(entry)
            if address is None:
                return remote
            if not _trusted(address):
                return address
        # Every hop is a trusted proxy: the left-most is the nearest we know of the client.
        if entries:
            return _valid_address(entries[0]) or remote
    return remote or request.META.get("REMOTE_ADDR", "") or "unknown"


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
