"""The portal's e-mails about employer requests and links (Dutch, text + HTML).

Called by the mail tasks in ``employers.tasks`` with ids only. Each mail renders
``templates/employers/emails/<name>_subject.txt``, ``<name>_body.txt`` and ``<name>_body.html``
(the house style of ``onboarding.emails``), and goes out as one
:class:`~django.core.mail.EmailMultiAlternatives`.

Rules every mail here follows (as in ``onboarding.emails``):

- **No secrets**: the templates get plain dicts of what they show, never a processor instance
  (so not even the encrypted Loket.nl password is reachable).
- **Untrusted text stays text**: company and employer names come from a public form or from
  Loket.nl; the HTML bodies autoescape them, the text bodies need no escaping, and a subject is
  folded onto one line so a name with line breaks cannot add mail headers.
- **Stale mail is not sent**: the "link active" mail only for links still active, the problem
  mail only while the request still has that problem.
- **Few connections, few mails**: the mails of one event go through one SMTP connection; a bulk
  of links that became active gives each processor *one* summary a minute, not one mail per
  employer.

Sending once is ``employers.outbox``'s work: it holds the row, calls the sender here and marks
the mail sent in one transaction; these functions only build and send.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from employers.models import EmployerLink, EmployerRequest, LinkStatus, RequestStatus
from employers.services import problem_text
from onboarding.models import PayrollProcessor

logger = logging.getLogger(__name__)

MAIL_LANGUAGE = "nl"
# Messages handed to the connection at a time (memory stays flat for a bulk of 10,000 links).
SEND_BATCH = 500


def _absolute(path: str) -> str:
    """Mails are sent by workers, not requests: links are built on ``PORTAL_BASE_URL``."""
    return settings.PORTAL_BASE_URL + path


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _message(name: str, *, to: str, context: dict[str, Any]) -> EmailMultiAlternatives:
    with translation.override(MAIL_LANGUAGE):
        subject = _one_line(render_to_string(f"employers/emails/{name}_subject.txt", context))
        text = render_to_string(f"employers/emails/{name}_body.txt", context)
        html = render_to_string(f"employers/emails/{name}_body.html", context)
    message = EmailMultiAlternatives(
        subject=subject, body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=[to]
    )
    message.attach_alternative(html, "text/html")
    return message


def _send_all(messages: Iterable[EmailMultiAlternatives]) -> int:
    """Send through ONE connection, in batches; returns how many went out."""
    sent = 0
    with get_connection() as connection:
        batch: list[EmailMultiAlternatives] = []
        for message in messages:
            batch.append(message)
            if len(batch) >= SEND_BATCH:
                sent += connection.send_messages(batch) or 0
                batch = []
        if batch:
            sent += connection.send_messages(batch) or 0
    return sent


def _dashboard_url() -> str:
    return _absolute(reverse("onboarding:dashboard"))


def _request_about(request: EmployerRequest) -> dict[str, Any]:
    """What a template may show of a request."""
    return {
        "company_name": request.company_name,
        "kvk_number": request.kvk_number,
        "numbers": [n.number for n in request.tax_numbers.all()],
        "contact_name": request.contact_name,
        "contact_email": request.contact_email,
        "contact_phone": request.contact_phone,
        "created_at": request.created_at,
    }


def _load_request(request_id: int) -> EmployerRequest | None:
    request = (
        EmployerRequest.objects.select_related("processor")
        .prefetch_related("tax_numbers")
        .filter(pk=request_id)
        .first()
    )
    if request is None:
        logger.warning("mail for employer request %s not sent: no such request", request_id)
    return request


def send_request_received(*, request_id: int) -> None:
    """The employer's confirmation (what it asked, which processor, what happens next) and the
    processor's notification (the request, with a link to its dashboard)."""
    request = _load_request(request_id)
    if request is None:
        return
    about = _request_about(request)
    processor_name = request.processor.company_name
    _send_all(
        [
            _message(
                "request_received",
                to=request.contact_email,
                context={"request": about, "processor_name": processor_name},
            ),
            _message(
                "request_new",
                to=request.processor.email,
                context={
                    "request": about,
                    "processor_name": processor_name,
                    "dashboard_url": _dashboard_url(),
                },
            ),
        ]
    )


def send_request_problem(*, request_id: int) -> None:
    """Tell the processor that an employer asked for the link but its web-service user cannot see
    that employer in Loket.nl, with the manual step that fixes it."""
    request = _load_request(request_id)
    if request is None:
        return
    if request.status != RequestStatus.OPEN or request.problem_code != "NIET_ZICHTBAAR":
        logger.info("problem mail for employer request %s skipped: state changed", request_id)
        return
    with translation.override(MAIL_LANGUAGE):
        step, explanation = problem_text("NIET_ZICHTBAAR")
    _send_all(
        [
            _message(
                "request_problem",
                to=request.processor.email,
                context={
                    "request": _request_about(request),
                    "processor_name": request.processor.company_name,
                    "step": step,
                    "explanation": explanation,
                    "dashboard_url": _dashboard_url(),
                },
            )
        ]
    )


def _active_links(link_ids: Sequence[int]) -> list[EmployerLink]:
    return list(
        EmployerLink.objects.filter(
            pk__in=list(link_ids), status=LinkStatus.ACTIVE, request__isnull=False
        )
        .select_related("processor", "request")
        .prefetch_related("request__tax_numbers")
        .order_by("processor_id", "employer_name", "pk")
    )


def send_links_active(*, link_ids: Sequence[int]) -> None:
    """Per link that is (still) active, a mail to the employer's contact, all through one
    connection. The processor hears of it in its digest (:func:`send_processor_digest`)."""
    links = _active_links(link_ids)
    gone = len(set(link_ids)) - len(links)
    if gone:
        logger.info("link-active mail: %d link(s) no longer active, skipped", gone)
    if not links:
        return

    def messages() -> Iterator[EmailMultiAlternatives]:
        for link in links:
            request = link.request
            assert request is not None  # filtered on request__isnull=False
            yield _message(
                "link_active",
                to=request.contact_email,
                context={
                    "request": _request_about(request),
                    "employer_name": link.employer_name,
                    "processor_name": link.processor.company_name,
                    "activated_at": link.activated_at,
                },
            )

    _send_all(messages())


def send_processor_digest(
    *, processor_id: int, active: Sequence[EmployerLink], problem: Sequence[EmployerLink]
) -> None:
    """ONE mail to the processor: the employers whose link became active, and those whose link
    has a problem, each with the manual step that fixes it."""
    if not active and not problem:
        return
    processor = PayrollProcessor.objects.get(pk=processor_id)
    dashboard_url = _dashboard_url()
    messages = []
    if active:
        messages.append(
            _message(
                "links_active_summary",
                to=processor.email,
                context={
                    "processor_name": processor.company_name,
                    "count": len(active),
                    "employers": [
                        {
                            "name": link.employer_name,
                            "kvk_number": link.kvk_number,
                            "activated_at": link.activated_at,
                        }
                        for link in active
                    ],
                    "dashboard_url": dashboard_url,
                },
            )
        )
    if problem:
        rows = []
        for link in problem:
            step, text = problem_text(link.problem_code, link.problem_detail)
            rows.append({"name": link.employer_name, "step": step, "message": text})
        messages.append(
            _message(
                "links_problem_summary",
                to=processor.email,
                context={
                    "processor_name": processor.company_name,
                    "count": len(problem),
                    "employers": rows,
                    "dashboard_url": dashboard_url,
                },
            )
        )
    _send_all(messages)
