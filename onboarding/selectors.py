"""Read-only queries of payroll-processor registrations (services write, selectors read)."""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass

from django.conf import settings
from django.db.models.functions import Lower

from locket_client.diagnose import Finding
from onboarding.models import CONFIRMED_STATES, PayrollProcessor, Status, StatusChange

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


DIRECTORY_PAGE_SIZE = 200
"""Names per directory page: a page stays small (a 10,000-name page took ~36 ms to render)."""

SEARCH_MAX_LENGTH = 100
"""Longest search term used; longer input is cut (company names are at most 120 characters)."""

# control and formatting characters (bidi overrides, zero-width), lone surrogates
_NOT_SEARCHABLE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff]"
)
_SPACES = re.compile(r"\s+")


def directory_search_term(raw: str | None) -> str:
    """The search term a directory query (``?q=``) stands for: control and formatting
    characters removed (PostgreSQL refuses NUL in text, and none of them is typed in a name),
    runs of white space made one space, trimmed, at most :data:`SEARCH_MAX_LENGTH` characters."""
    if not raw:
        return ""
    text = _NOT_SEARCHABLE.sub("", _SPACES.sub(" ", raw[: SEARCH_MAX_LENGTH * 4]))
    return _SPACES.sub(" ", text).strip()[:SEARCH_MAX_LENGTH].strip()


@dataclass(frozen=True, slots=True)
class DirectoryPage:
    """One page of the directory: the names on it and where it sits among all pages."""

    names: list[str]
    number: int
    num_pages: int
    total: int
    per_page: int

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages

    @property
    def first_index(self) -> int:
        """Position (1-based) of the first name on this page among all matches; 0 if none."""
        return (self.number - 1) * self.per_page + 1 if self.names else 0

    @property
    def last_index(self) -> int:
        return (self.number - 1) * self.per_page + len(self.names)


def directory_page(
    *, search: str = "", page: int = 1, per_page: int = DIRECTORY_PAGE_SIZE
) -> DirectoryPage:
    """Company names of the confirmed processors whose name contains ``search`` (ignoring case),
    as employers choose from them: page ``page`` of ``per_page`` names.

    A page number below 1 becomes the first page, one past the end the last. Two queries
    whatever the number of processors: a count (for the page numbers) and the page's names,
    sorted case-insensitively with the id as tie-break (so equal names keep their order and no
    name falls between two pages); one query when nothing matches.
    """
    search = directory_search_term(search)
    queryset = PayrollProcessor.objects.filter(status__in=CONFIRMED_STATES)
    if search:
        queryset = queryset.filter(company_name__icontains=search)
    total = queryset.count()
    num_pages = max(1, -(-total // per_page))
    number = min(max(page, 1), num_pages)
    names: list[str] = []
    if total:
        start = (number - 1) * per_page
        names = list(
            queryset.order_by(Lower("company_name"), "pk").values_list("company_name", flat=True)[
                start : start + per_page
            ]
        )
    return DirectoryPage(
        names=names, number=number, num_pages=num_pages, total=total, per_page=per_page
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


def processor_duplicate_exists(
    *, omgevingscode: str, loket_username: str, exclude_pk: int | None = None
) -> bool:
    """Whether this omgevingscode + gebruikersnaam is registered already (case-insensitively)."""
    queryset = PayrollProcessor.objects.annotate(
        oc=Lower("omgevingscode"), un=Lower("loket_username")
    ).filter(oc=omgevingscode.strip().lower(), un=loket_username.strip().lower())
    if exclude_pk is not None:
        queryset = queryset.exclude(pk=exclude_pk)
    return queryset.exists()


def email_taken(*, email: str, exclude_pk: int | None = None) -> bool:
    """Whether a processor is registered with this e-mail address (case-insensitively)."""
    queryset = PayrollProcessor.objects.filter(email__iexact=email.strip())
    if exclude_pk is not None:
        queryset = queryset.exclude(pk=exclude_pk)
    return queryset.exists()


def processor_waiting_employers(processor: PayrollProcessor) -> int:
    """How many employers asked for the link through this processor and wait for it to register
    them: its open employer requests that no registration of it answers yet (the dashboard's
    main next step). Through the reverse relations, so onboarding imports nothing of employers."""
    return processor.employer_requests.filter(status="open", links__isnull=True).count()


def status_link_expires_at(processor: PayrollProcessor) -> dt.datetime | None:
    """When the registration's status page link stops working: ``STATUS_LINK_DAYS`` after a.s.r.
    confirmed or rejected it (``None`` before that: the link is all the processor has)."""
    if processor.status in CONFIRMED_STATES:
        decided = processor.confirmed_at
    elif processor.status == Status.REJECTED:
        decided = (
            StatusChange.objects.filter(processor=processor, to_status=Status.REJECTED)
            .order_by("-at")
            .values_list("at", flat=True)
            .first()
        ) or processor.updated_at
    else:
        return None
    if decided is None:
        return None
    return decided + dt.timedelta(days=settings.STATUS_LINK_DAYS)


def processors_registered_with(*, email: str, omgevingscode: str, loket_username: str) -> list[int]:
    """The ids of the registrations that already hold this e-mail address or this omgevingscode
    + gebruikersnaam (case-insensitively): whom to tell about a registration with their details."""
    by_account = PayrollProcessor.objects.annotate(
        oc=Lower("omgevingscode"), un=Lower("loket_username")
    ).filter(oc=omgevingscode.strip().lower(), un=loket_username.strip().lower())
    by_email = PayrollProcessor.objects.filter(email__iexact=email.strip())
    ids = set(by_account.values_list("pk", flat=True)) | set(by_email.values_list("pk", flat=True))
    return sorted(ids)
