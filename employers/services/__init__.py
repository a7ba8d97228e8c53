"""Services of the employer side: every change to a request, a registration or a link.

What lives where (each module imports only modules listed above it):

- :mod:`.events`: the history row every change writes, and the errors the services raise.
- :mod:`.digests`: the processor's one mail a minute about its links' outcomes (the claim).
- :mod:`.linking`: the linking worker: pending links checked against Loket.nl, activated or
  given the precise problem; re-trying a link after a fix.
- :mod:`.requests`: the employer's request, and whether its processor can see the employer.
- :mod:`.registrations`: the processor registers employers (one, or 10,000 at once).
- :mod:`.rechecks`: the daily re-check of active links, and its schedule.
- :mod:`.consent`: the employer withdraws its request, or revokes its link (a.s.r. too).
- :mod:`.outbox`: claim, send, mark: each mail exactly once.
- :mod:`.sweeps`: the beat's sweeps that hand lost work back to Celery.
- :mod:`.declines`: the processor declines an employer's request.
- :mod:`.verification`: before a request is verified: its mails, a.s.r.'s rejection, expiry,
  and the requests made before the customer register existed.

Services enqueue tasks by name (:mod:`common.dispatch`, names in :mod:`employers.task_names`),
never by importing ``employers.tasks``. The public names are re-exported here.
"""

from __future__ import annotations

from employers.services.consent import link_revoke, request_withdraw
from employers.services.declines import request_decline
from employers.services.events import DuplicateRequest, ProcessorNotConfirmed
from employers.services.linking import (
    TASK_CHUNK,
    LinkRunResult,
    link_recheck_request,
    links_activate,
)
from employers.services.rechecks import links_recheck, recheck_everything_schedule
from employers.services.registrations import RegisterResult, links_register
from employers.services.requests import (
    Visibility,
    request_submit,
    request_verify,
    request_visibility_check,
)
from employers.services.verification import request_reject, requests_expire

__all__ = [
    "TASK_CHUNK",
    "DuplicateRequest",
    "LinkRunResult",
    "ProcessorNotConfirmed",
    "RegisterResult",
    "Visibility",
    "link_recheck_request",
    "link_revoke",
    "links_activate",
    "links_recheck",
    "links_register",
    "recheck_everything_schedule",
    "request_decline",
    "request_reject",
    "request_submit",
    "request_verify",
    "request_visibility_check",
    "request_withdraw",
    "requests_expire",
]
