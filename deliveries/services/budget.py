"""The Loket.nl call budget of the deliveries: per environment, and the portal's own budget.

A delivery reserves its calls before it makes the first one (three; four in the last period of
a year, when leave is read too), against two fixed-window counters in Redis
(:mod:`onboarding.ratelimit`): ``DELIVERY_CALLS_PER_MINUTE_PER_ENVIRONMENT`` per Loket.nl
environment (the omgevingscode, hashed into the key), and the portal's internal budget
(:func:`onboarding.limits.loket_call_budget`, shared with re-checks and linking). Over either,
the delivery waits for the next window (:class:`~onboarding.ratelimit.RateLimited`); it never
fails for it. The sweep reads the same counters (:func:`allowance`) so that it hands out no more
deliveries per minute than the budget lets run.
"""

from __future__ import annotations

import hashlib

from django.conf import settings

from onboarding.limits import loket_call_budget, loket_calls_per_minute_internal
from onboarding.ratelimit import Limit, RateLimited, hit, peek

CALLS_PER_DELIVERY = 3
"""Employees, employments and wages; the last period of a year adds leave."""


def environment_key(omgevingscode: str) -> str:
    """The counter's subject: a hash of the omgevingscode (case-insensitive), never the code."""
    normalised = omgevingscode.strip().casefold().encode("utf-8")
    return hashlib.sha256(b"deliveries\x1f" + normalised).hexdigest()[:32]


def environment_limit() -> Limit:
    return Limit("delivery-calls", settings.DELIVERY_CALLS_PER_MINUTE_PER_ENVIRONMENT, 60)


def reserve(omgevingscode: str, calls: int) -> None:
    """Count ``calls`` against the environment's and the portal's budget; raise
    :class:`RateLimited` (with ``retry_after``) when either is used up."""
    hit(environment_limit(), environment_key(omgevingscode), amount=calls)
    loket_call_budget(calls)


def allowance(omgevingscodes: set[str]) -> tuple[dict[str, int], int]:
    """How many deliveries may still start this minute: per omgevingscode, and in all (the
    internal budget). Best effort: when Redis does not answer, nothing is handed out (the
    deliveries would only wait for the limiter anyway)."""
    limit = environment_limit()
    try:
        per_environment = {
            code: max(0, limit.limit - peek(limit, environment_key(code))) // CALLS_PER_DELIVERY
            for code in omgevingscodes
        }
        used = peek(Limit("loket-calls", loket_calls_per_minute_internal(), 60), "all")
    except RateLimited:
        return dict.fromkeys(omgevingscodes, 0), 0
    total = max(0, loket_calls_per_minute_internal() - used) // CALLS_PER_DELIVERY
    return per_environment, total


def per_minute() -> tuple[int, int]:
    """Deliveries per minute the budgets allow when unused: (per environment, in all)."""
    return (
        settings.DELIVERY_CALLS_PER_MINUTE_PER_ENVIRONMENT // CALLS_PER_DELIVERY,
        loket_calls_per_minute_internal() // CALLS_PER_DELIVERY,
    )
