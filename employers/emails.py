"""The portal's e-mails about employer requests and links (text + HTML, in the mail language).

Called by the outbox (``employers.services.outbox``) with ids only. Each mail renders
``templates/employers/emails/<name>_subject.txt``, ``<name>_body.txt`` and ``<name>_body.html``
through :mod:`common.mail`, and goes out as one :class:`~django.core.mail.EmailMultiAlternatives`.

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

Sending once is ``employers.services.outbox``'s work: it holds the row, calls the sender here
and marks the mail sent in one transaction; these functions only build and send.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse
from django.utils.translation import gettext, gettext_noop

from common.mail import (
    MAIL_LANGUAGE,
    absolute_url,
    build,
    mail_language,
    recipient_language,
    send_all,
)
from employers.models import (
    VERIFY_DAYS,
    EmployerLink,
    EmployerRequest,
    LinkStatus,
    RequestStatus,
)
from employers.tokens import verify_token
from locket_client.problems import NUMBER_CODES, ProblemCode, explain, manual_step
from onboarding.emails import manual_step_url
from onboarding.models import PayrollProcessor

logger = logging.getLogger(__name__)


def _message(
    name: str, *, to: str, context: dict[str, Any], language: str = MAIL_LANGUAGE
) -> EmailMultiAlternatives:
    return build(f"employers/emails/{name}", to=[to], context=context, language=language)


def _dashboard_url() -> str:
    return absolute_url(reverse("onboarding:dashboard"))


def _problem(code: str, detail: str = "", *, language: str) -> tuple[str, str, str]:
    """The manual step, the link to it and the explanation of a problem, in the mail's
    language."""
    with mail_language(language):
        step = manual_step(code)
        return step, manual_step_url(getattr(step, "anchor", "")), explain(code, detail)


def _request_about(employer_request: EmployerRequest) -> dict[str, Any]:
    """What a template may show of a request."""
    return {
        "company_name": employer_request.company_name,
        "kvk_number": employer_request.kvk_number,
        "numbers": [n.number for n in employer_request.tax_numbers.all()],
        "contact_name": employer_request.contact_name,
        # The verified contact once verified (the register's address, or the one a.s.r.
        # approved), never an address merely typed in the form; before that, the typed one.
        "contact_email": employer_request.verified_email or employer_request.contact_email,
        "contact_phone": employer_request.contact_phone,
        "created_at": employer_request.created_at,
    }


def _load_request(request_id: int) -> EmployerRequest | None:
    employer_request = (
        EmployerRequest.objects.select_related("processor")
        .prefetch_related("tax_numbers")
        .filter(pk=request_id)
        .first()
    )
    if employer_request is None:
        logger.warning("mail for employer request %s not sent: no such request", request_id)
    return employer_request


def send_request_received(*, request_id: int) -> None:
    """Once the request is verified: the employer's confirmation (what it asked, which
    processor, what happens next) and the processor's notification (the request, with a link to
    its dashboard)."""
    employer_request = _load_request(request_id)
    if employer_request is None:
        return
    about = _request_about(employer_request)
    processor_name = employer_request.processor.company_name
    send_all(
        [
            _message(
                "request_received",
                # The verified contact: the register's address on file, or the typed address
                # an a.s.r. reviewer approved.
                to=_verified_contact(employer_request),
                context={
                    "employer_request": about,
                    "processor_name": processor_name,
                    "status_url": _status_url(employer_request),
                },
                language=recipient_language(employer_request.language),
            ),
            _message(
                "request_new",
                to=employer_request.processor.email,
                context={
                    "employer_request": about,
                    "processor_name": processor_name,
                    "dashboard_url": _dashboard_url(),
                    "manual_url": manual_step_url(""),
                },
                language=recipient_language(employer_request.processor.language),
            ),
        ]
    )


def send_request_problem(*, request_id: int) -> None:
    """Tell the processor that an employer asked for the link but its web-service user cannot see
    that employer in Loket.nl, with the manual step that fixes it."""
    employer_request = _load_request(request_id)
    if employer_request is None:
        return
    if (
        employer_request.status != RequestStatus.OPEN
        or employer_request.problem_code != ProblemCode.NIET_ZICHTBAAR
    ):
        logger.info("problem mail for employer request %s skipped: state changed", request_id)
        return
    language = recipient_language(employer_request.processor.language)
    step, step_url, explanation = _problem(ProblemCode.NIET_ZICHTBAAR, language=language)
    send_all(
        [
            _message(
                "request_problem",
                to=employer_request.processor.email,
                context={
                    "employer_request": _request_about(employer_request),
                    "processor_name": employer_request.processor.company_name,
                    "step": step,
                    "step_url": step_url,
                    "explanation": explanation,
                    "dashboard_url": _dashboard_url(),
                },
                language=language,
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
    """Per link that is (still) active, a mail to the employer's *verified* contact (never an
    address only typed into the form), with its status page and the way to revoke, all through one
    connection. The processor hears of it in its digest (:func:`send_processor_digest`)."""
    links = _active_links(link_ids)
    gone = len(set(link_ids)) - len(links)
    if gone:
        logger.info("link-active mail: %d link(s) no longer active, skipped", gone)
    if not links:
        return

    def messages() -> Iterator[EmailMultiAlternatives]:
        for link in links:
            employer_request = link.request
            assert employer_request is not None  # filtered on request__isnull=False
            if not employer_request.verified_email:
                # Only the verified contact hears that the link is active (issue 12).
                logger.warning("link-active mail for link %s skipped: no verified contact", link.pk)
                continue
            status_url = status_page_url(employer_request)
            yield _message(
                "link_active",
                to=_verified_contact(employer_request),
                context={
                    "employer_request": _request_about(employer_request),
                    "employer_name": link.employer_name,
                    "processor_name": link.processor.company_name,
                    "activated_at": link.activated_at,
                    "status_url": status_url,
                    "revoke_url": f"{status_url}#{REVOKE_ANCHOR}",
                },
                language=recipient_language(employer_request.language),
            )

    send_all(messages())


def send_processor_digest(
    *, processor_id: int, active: Sequence[EmployerLink], problem: Sequence[EmployerLink]
) -> None:
    """ONE mail to the processor: the employers whose link became active, and those whose link
    has a problem, each with the manual step that fixes it."""
    if not active and not problem:
        return
    processor = PayrollProcessor.objects.get(pk=processor_id)
    dashboard_url = _dashboard_url()
    language = recipient_language(processor.language)
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
                language=language,
            )
        )
    if problem:
        rows = []
        for link in problem:
            step, step_url, text = _problem(
                link.problem_code, link.problem_detail, language=language
            )
            rows.append(
                {"name": link.employer_name, "step": step, "step_url": step_url, "message": text}
            )
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
                language=language,
            )
        )
    send_all(messages)


# --- issue 12: consent (withdraw, revoke) -----------------------------------------------------

REVOKE_ANCHOR = "intrekken"
"""The status page's section with the revoke button (the "Intrekken" link in the mails)."""


def status_page_url(employer_request: EmployerRequest) -> str:
    """The employer's own status page (every employer mail links it)."""
    return absolute_url(reverse("employers:status", args=[employer_request.status_token]))


def send_request_withdrawn(*, request_id: int) -> None:
    """Tell the processor that the employer withdrew its (verified) request: no need to register
    it any more."""
    employer_request = _load_request(request_id)
    if employer_request is None:
        return
    if employer_request.status != RequestStatus.WITHDRAWN:
        logger.info("withdrawn mail for employer request %s skipped: state changed", request_id)
        return
    send_all(
        [
            _message(
                "request_withdrawn",
                to=employer_request.processor.email,
                context={
                    "employer_request": _request_about(employer_request),
                    "processor_name": employer_request.processor.company_name,
                    "withdrawn_at": employer_request.decided_at,
                    "reason": employer_request.decision_reason,
                    "dashboard_url": _dashboard_url(),
                },
                language=recipient_language(employer_request.processor.language),
            )
        ]
    )


# --- issue 12, the processor's part: what the employer's verified contact is told --------------

DECLINE_NOT_A_CUSTOMER = gettext_noop("Geen klant van ons")
"""The reason a processor declines a request with most: stored in Dutch (a.s.r.'s record), worded
in the employer's language in its mail."""


def word_decline_reason(reason: str) -> str:
    """A stored decline reason in the active language: the standard reason is translated, the
    processor's own words are shown as written."""
    if reason == DECLINE_NOT_A_CUSTOMER or reason.startswith(DECLINE_NOT_A_CUSTOMER + ": "):
        return gettext(DECLINE_NOT_A_CUSTOMER) + reason[len(DECLINE_NOT_A_CUSTOMER) :]
    return reason


def _verified_contact(employer_request: EmployerRequest) -> str:
    """The employer's verified contact (the register's address, or the one a.s.r. approved);
    a request verified before the register existed has its typed address as that."""
    return employer_request.verified_email or employer_request.contact_email


def _status_url(employer_request: EmployerRequest) -> str:
    return absolute_url(reverse("employers:status", args=[employer_request.status_token]))


def send_link_employer_problem(*, link_id: int) -> None:
    """Tell the employer's verified contact that its request's loonheffingennummers differ from
    its employer's in Loket.nl, which, and what to do (a new request naming the right ones)."""
    link = (
        EmployerLink.objects.select_related("processor", "request")
        .prefetch_related("request__tax_numbers")
        .filter(pk=link_id, request__isnull=False)
        .first()
    )
    if link is None or link.problem_code not in NUMBER_CODES:
        logger.info("number-problem mail for link %s skipped: state changed", link_id)
        return
    employer_request = link.request
    assert employer_request is not None
    send_all(
        [
            _message(
                "link_employer_problem",
                to=_verified_contact(employer_request),
                context={
                    "employer_request": _request_about(employer_request),
                    "processor_name": link.processor.company_name,
                    "code": link.problem_code,
                    "numbers": link.problem_detail,
                    "status_url": _status_url(employer_request),
                    "form_url": absolute_url(reverse("employers:request_form")),
                },
                language=recipient_language(employer_request.language),
            )
        ]
    )


def send_link_ended(*, link_id: int) -> None:
    """Tell the processor (its language) and a.s.r. (Dutch) that a link ended: by whom, when,
    why. a.s.r. stops reading the employer's salary data."""
    link = (
        EmployerLink.objects.select_related("processor", "request", "ended_by")
        .filter(pk=link_id, status=LinkStatus.ENDED)
        .first()
    )
    if link is None:
        logger.info("ended mail for link %s skipped: no such ended link", link_id)
        return
    employer_request = link.request
    about = _request_about(employer_request) if employer_request is not None else {}
    context = {
        "employer_request": about,
        "employer_name": link.employer_name,
        "kvk_number": link.kvk_number,
        "loket_employer_id": link.loket_employer_id,
        "processor_name": link.processor.company_name,
        "ended_at": link.ended_at,
        "reason": link.end_reason,
        "by_asr": link.ended_by_id is not None,
        "ended_by": str(link.ended_by) if link.ended_by is not None else "",
    }
    admin_path = reverse("admin:employers_employerlink_change", args=[link.pk])
    send_all(
        [
            _message(
                "link_ended",
                to=link.processor.email,
                context={**context, "dashboard_url": _dashboard_url()},
                language=recipient_language(link.processor.language),
            ),
            _message(
                "link_ended_asr",
                to=settings.ASR_NOTIFY_EMAIL,
                context={**context, "admin_url": absolute_url(admin_path)},
                language=MAIL_LANGUAGE,
            ),
        ]
    )


def send_request_declined(*, request_id: int) -> None:
    """Tell the employer's verified contact that the processor declined its request, and why."""
    employer_request = _load_request(request_id)
    if employer_request is None or employer_request.status != RequestStatus.DECLINED:
        logger.info("decline mail for request %s skipped: state changed", request_id)
        return
    language = recipient_language(employer_request.language)
    with mail_language(language):
        reason = word_decline_reason(employer_request.decision_reason)
    send_all(
        [
            _message(
                "request_declined",
                to=_verified_contact(employer_request),
                context={
                    "employer_request": _request_about(employer_request),
                    "processor_name": employer_request.processor.company_name,
                    "reason": reason,
                    "status_url": _status_url(employer_request),
                    "form_url": absolute_url(reverse("employers:request_form")),
                },
                language=language,
            )
        ]
    )


# --- verification of a request (issue 12) --------------------------------------------------------


def send_verification(*, request_id: int) -> None:
    """What follows a request that is not verified yet, by where it stands:

    - register match (``UNVERIFIED``): ONE mail, the confirmation link, to the contact address
      a.s.r.'s customer register holds for the policy. Nothing to the address typed in the form
      (whoever typed it may not be the employer).
    - no match (``IN_REVIEW``): a notice to a.s.r. that a request waits for review (Dutch), and
      to the typed address only that a.s.r. reviews the request (no processor, no register
      data).
    """
    employer_request = _load_request(request_id)
    if employer_request is None:
        return
    language = recipient_language(employer_request.language)
    status_url = _status_url(employer_request)
    if employer_request.status == RequestStatus.UNVERIFIED and employer_request.register_email:
        send_all(
            [
                _message(
                    "request_verify",
                    to=employer_request.register_email,
                    context={
                        "employer_request": _request_about(employer_request),
                        "processor_name": employer_request.processor.company_name,
                        "verify_url": absolute_url(
                            reverse("employers:verify", args=[verify_token(employer_request.pk)])
                        ),
                        "expires_at": employer_request.expires_at,
                        "status_url": status_url,
                    },
                    language=language,
                )
            ]
        )
        return
    if employer_request.status == RequestStatus.IN_REVIEW:
        admin_path = reverse("admin:employers_employerrequest_change", args=[employer_request.pk])
        send_all(
            [
                _message(
                    "review_notice",
                    to=settings.ASR_NOTIFY_EMAIL,
                    context={
                        "employer_request": _request_about(employer_request),
                        "policy_number": employer_request.policy_number,
                        "processor_name": employer_request.processor.company_name,
                        "admin_url": absolute_url(admin_path),
                        "queue_url": absolute_url(
                            reverse("admin:employers_employerrequest_changelist")
                            + "?beoordeling=te_beoordelen"
                        ),
                        "expires_at": employer_request.expires_at,
                    },
                ),
                _message(
                    "request_in_review",
                    to=employer_request.contact_email,
                    context={
                        "contact_name": employer_request.contact_name,
                        "company_name": employer_request.company_name,
                        "days": VERIFY_DAYS,
                        "status_url": status_url,
                    },
                    language=language,
                ),
            ]
        )
        return
    logger.info("verification mail for employer request %s skipped: state changed", request_id)


def send_request_rejected(*, request_id: int) -> None:
    """The employer (the address typed in the form: nothing was verified) hears that a.s.r.
    rejected its request, and why."""
    employer_request = _load_request(request_id)
    if employer_request is None:
        return
    if employer_request.status != RequestStatus.REJECTED:
        logger.info("rejection mail for employer request %s skipped: state changed", request_id)
        return
    send_all(
        [
            _message(
                "request_rejected",
                to=employer_request.contact_email,
                context={
                    "contact_name": employer_request.contact_name,
                    "company_name": employer_request.company_name,
                    "kvk_number": employer_request.kvk_number,
                    "reason": employer_request.decision_reason,
                    "status_url": _status_url(employer_request),
                },
                language=recipient_language(employer_request.language),
            )
        ]
    )
