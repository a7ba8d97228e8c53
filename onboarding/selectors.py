"""Read-only queries of payroll-processor registrations (services write, selectors read)."""

from __future__ import annotations

import logging
import re

from django.db.models.functions import Lower

from locket_client.diagnose import Finding
from onboarding.models import CONFIRMED_STATES, PayrollProcessor, Status

logger = logging.getLogger(__name__)

# status tokens are secrets.token_urlsafe(32): 43 URL-safe characters. Anything else cannot be
# one, and is never sent to the database (PostgreSQL refuses NUL in text, for one).
_TOKEN = re.compile(r"\A[A-Za-z0-9_-]{16,64}\Z")


def processor_by_token(token: str) -> PayrollProcessor | None:
    """The registration behind a status page's unguessable token, or ``None``."""
    if not _TOKEN.match(token):
        return None
    return PayrollProcessor.objects.filter(status_token=token).first()


def processor_check_pending(processor: PayrollProcessor) -> bool:
    """Whether the status page should still say "being checked" (and keep polling).

    Before a.s.r.'s confirmation only: afterwards the status page just says the registration
    is processed, and a rejected registration is never checked again.
    """
    if processor.status == Status.REJECTED or processor.status in CONFIRMED_STATES:
        return False
    return (
        processor.status in (Status.SUBMITTED, Status.CHECKING)
        or processor.check_requested_at is not None
    )


def directory_names() -> list[str]:
    """Company names of the confirmed processors, as employers choose from them.

    One query whatever the number of processors; sorted case-insensitively (with the id as
    tie-break, so equal names keep a stable order).
    """
    return list(
        PayrollProcessor.objects.filter(status__in=CONFIRMED_STATES)
        .order_by(Lower("company_name"), "pk")
        .values_list("company_name", flat=True)
    )


def processor_latest_findings(processor: PayrollProcessor) -> list[Finding]:
    """The findings of the processor's latest check. A stored finding this code no longer knows
    is logged and left out rather than breaking the status page."""
    findings: list[Finding] = []
    for item in processor.check_findings or []:
        try:
            findings.append(Finding.from_dict(item))
        except (KeyError, TypeError, ValueError):
            logger.warning("processor %s: unreadable stored finding skipped", processor.pk)
    return findings
