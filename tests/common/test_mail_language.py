"""Every mail in one language (subject, text and HTML; dates and numbers too), Dutch by default
and complete in English, and every mail ending with a.s.r.'s contact details (issue 11,
findings 2 and 3)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.utils import translation

from common.mail import MAIL_LANGUAGE, build
from locket_client.problems import ProblemCode, explain, manual_step
from onboarding import emails
from onboarding.models import Status
from tests.onboarding.factories import PayrollProcessorFactory, UserFactory

pytestmark = pytest.mark.django_db

WHEN = dt.datetime(2026, 3, 5, 14, 30, tzinfo=dt.UTC)
MANUAL_URL = "https://portaal.example/handleiding/"

# Words only Dutch text has. Loket.nl's own names (webservicegebruiker, webservicepartij,
# omgevingscode, loonheffingennummer, KvK) stay in the English mails on purpose, as they are
# the names on the Loket.nl screens; the words below are not among them.
DUTCH_WORDS = (
    "Beste",
    "groet",
    "aanmelding",
    "aanvraag",
    "salariskoppeling",
    "Salariskoppeling",
    "werkgevers",
    "Werkgevers",
    "salarisverwerker",
    "Handleiding",
    "stap",
    "Neem contact",
    "maandag",
    "maart",
    "wachtwoord",
    "Wachtwoord",
    "Inloggen",
    "Bedrijf",
    "gebruikersnaam",
    "U hoeft",
    " uw ",
    " u ",
    " de ",
    " het ",
    " een ",
    " en ",
    " niet ",
    " is actief",
    " voor ",
    " van ",
)


def _context(language: str) -> dict[str, dict[str, Any]]:
    """A complete context for every mail template, worded in ``language`` where emails.py words
    things (findings, problems) before rendering."""
    with translation.override(language):
        finding_steps = [manual_step(ProblemCode.INLOG_ONGELDIG)]
        findings = [
            {
                "step": step,
                "step_url": f"{MANUAL_URL}#{step.anchor}",
                "message": explain(ProblemCode.INLOG_ONGELDIG),
            }
            for step in finding_steps
        ]
        problem_step = manual_step(ProblemCode.NIET_ZICHTBAAR)
        problem = explain(ProblemCode.NIET_ZICHTBAAR)
    processor = {
        "company_name": "Acme Payroll Ltd",
        "email": "payroll@acme.example",
        "omgevingscode": "DEMO001",
        "loket_username": "ws-acme",
        "created_at": WHEN,
    }
    employer_request = {
        "company_name": "Jansen Transport Ltd",
        "kvk_number": "12345678",
        "numbers": ["144068989L01"],
        "contact_name": "J. Jansen",
        "contact_email": "j@jansen.example",
        "contact_phone": "020 555 0101",
        "created_at": WHEN,
    }
    employers_active = [
        {"name": "Jansen Transport Ltd", "kvk_number": "12345678", "activated_at": WHEN},
        {"name": "Pieterse Bakery Ltd", "kvk_number": "87654321", "activated_at": WHEN},
    ]
    employers_problem = [
        {
            "name": "Jansen Transport Ltd",
            "step": problem_step,
            "step_url": f"{MANUAL_URL}#{problem_step.anchor}",
            "message": problem,
        }
    ]
    dashboard = "https://portaal.example/account/"
    ended = {
        "employer_request": employer_request,
        "employer_name": "Jansen Transport Ltd",
        "kvk_number": "12345678",
        "loket_employer_id": "00000000-0000-4000-8000-000000001001",
        "processor_name": "Acme Payroll Ltd",
        "ended_at": WHEN,
        "reason": "Contract ended",
        "by_asr": False,
        "ended_by": "",
    }
    status = "https://portaal.example/salariskoppeling/status/t/"
    return {
        "onboarding/emails/asr_notification": {
            "processor": processor,
            "admin_url": "https://portaal.example/beheer/1/",
        },
        "onboarding/emails/confirmation": {
            "processor": processor,
            "activation_url": "https://portaal.example/account/activeren/x/y/",
            "link_valid_days": 3,
            "link_valid_hours": 72,
        },
        "onboarding/emails/needs_attention": {
            "processor": processor,
            "findings": findings,
            "login_url": "https://portaal.example/account/inloggen/",
        },
        "onboarding/emails/received": {
            "processor": processor,
            "status_url": "https://portaal.example/aanmelding/t/",
        },
        "onboarding/emails/rejection": {"processor": processor, "reason": "Unknown office."},
        "onboarding/emails/password_reset": {
            "processor": processor,
            "reset_url": "https://portaal.example/account/wachtwoord-herstellen/MQ/t/",
            "forgotten_url": "https://portaal.example/account/wachtwoord-vergeten/",
            "link_valid_minutes": 60,
        },
        # Issue 13: a new Loket.nl account waits for a.s.r.; a.s.r. changed the e-mail address.
        "onboarding/emails/credential_change_waiting": {
            "processor": processor,
            "pending": {"omgevingscode": "DEMO002", "loket_username": "ws-new"},
        },
        "onboarding/emails/credential_change_asr": {
            "processor": processor,
            "pending": {"omgevingscode": "DEMO002", "loket_username": "ws-new"},
            "admin_url": "https://portaal.example/beheer/1/",
        },
        "onboarding/emails/credential_change_confirmed": {"processor": processor},
        "onboarding/emails/credential_change_rejected": {
            "processor": processor,
            "reason": "Unknown account.",
        },
        "onboarding/emails/email_changed": {
            "processor": processor,
            "old_email": "old@example.org",
            "new_email": "new@example.org",
        },
        "onboarding/emails/duplicate_notice": {
            "processor": processor,
            "login_url": "https://portaal.example/account/inloggen/",
            "forgotten_url": "https://portaal.example/account/wachtwoord-vergeten/",
            "status_url": "https://portaal.example/aanmelding/t/",
            "has_account": True,
        },
        "employers/emails/link_active": {
            "employer_request": employer_request,
            "employer_name": "Jansen Transport Ltd",
            "processor_name": "Acme Payroll Ltd",
            "activated_at": WHEN,
            "status_url": "https://portaal.example/salariskoppeling/status/t/",
            "revoke_url": "https://portaal.example/salariskoppeling/status/t/#intrekken",
        },
        "employers/emails/links_active_summary": {
            "processor_name": "Acme Payroll Ltd",
            "count": 1200,
            "employers": employers_active,
            "dashboard_url": dashboard,
        },
        "employers/emails/links_problem_summary": {
            "processor_name": "Acme Payroll Ltd",
            "count": 1200,
            "employers": employers_problem,
            "dashboard_url": dashboard,
        },
        "employers/emails/request_new": {
            "employer_request": employer_request,
            "processor_name": "Acme Payroll Ltd",
            "dashboard_url": dashboard,
            "manual_url": MANUAL_URL,
        },
        "employers/emails/request_problem": {
            "employer_request": employer_request,
            "processor_name": "Acme Payroll Ltd",
            "step": problem_step,
            "step_url": f"{MANUAL_URL}#{problem_step.anchor}",
            "explanation": problem,
            "dashboard_url": dashboard,
        },
        "employers/emails/request_received": {
            "employer_request": employer_request,
            "processor_name": "Acme Payroll Ltd",
            "status_url": status,
        },
        "employers/emails/request_verify": {
            "employer_request": employer_request,
            "processor_name": "Acme Payroll Ltd",
            "verify_url": "https://portaal.example/salariskoppeling/bevestigen/t/",
            "expires_at": WHEN,
            "status_url": status,
        },
        "employers/emails/request_in_review": {
            "contact_name": "J. Jansen",
            "company_name": "Jansen Transport Ltd",
            "days": 7,
            "status_url": status,
        },
        "employers/emails/request_rejected": {
            "contact_name": "J. Jansen",
            "company_name": "Jansen Transport Ltd",
            "kvk_number": "12345678",
            "reason": "Not an a.s.r. customer.",
            "status_url": status,
        },
        "employers/emails/review_notice": {
            "employer_request": employer_request,
            "policy_number": "ASR999999",
            "processor_name": "Acme Payroll Ltd",
            "admin_url": "https://portaal.example/beheer/employers/employerrequest/1/",
            "queue_url": "https://portaal.example/beheer/employers/employerrequest/",
            "expires_at": WHEN,
        },
        # Issue 12: a withdrawn request and an ended link.
        "employers/emails/request_withdrawn": {
            "employer_request": employer_request,
            "processor_name": "Acme Payroll Ltd",
            "withdrawn_at": WHEN,
            "reason": "Changed our mind",
            "dashboard_url": dashboard,
        },
        "employers/emails/link_ended": {
            **ended,
            "dashboard_url": dashboard,
        },
        "employers/emails/link_ended_asr": {
            **ended,
            "admin_url": "https://portaal.example/beheer/2/",
        },
        "employers/emails/link_employer_problem": {
            "employer_request": employer_request,
            "processor_name": "Acme Payroll Ltd",
            "code": "NUMMER_EXTRA",
            "numbers": "173718528L02",
            "status_url": "https://portaal.example/salariskoppeling/status/t/",
            "form_url": "https://portaal.example/salariskoppeling/aanvragen/",
        },
        "employers/emails/request_declined": {
            "employer_request": employer_request,
            "processor_name": "Acme Payroll Ltd",
            "reason": "Not a client of ours",
            "status_url": "https://portaal.example/salariskoppeling/status/t/",
            "form_url": "https://portaal.example/salariskoppeling/aanvragen/",
        },
    }


MAILS = sorted(_context("nl"))


@pytest.fixture(autouse=True)
def _contact(settings):
    settings.ASR_CONTACT_EMAIL = "hulp@asr.example"
    settings.ASR_CONTACT_PHONE = "030 123 4567"
    settings.ASR_CONTACT_OPENS = "09:00"
    settings.ASR_CONTACT_CLOSES = "16:30"


def _parts(message: mail.EmailMultiAlternatives) -> tuple[str, str, str]:
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return message.subject, message.body, html


def _words(part: str) -> str:
    """The words a person reads: tags, attribute values and links (whose paths are the portal's
    Dutch URLs) left out."""
    return re.sub(r"https?://\S+", " ", re.sub(r"<[^>]+>", " ", part))


def test_the_test_covers_every_mail_template():
    root = Path(settings.BASE_DIR) / "templates"
    prefixes = {
        str(path.relative_to(root)).removesuffix("_subject.txt")
        for path in root.glob("*/emails/*_subject.txt")
    }

    assert prefixes == set(MAILS)


@pytest.mark.parametrize("prefix", MAILS)
def test_a_mail_rendered_in_english_has_no_dutch_left(prefix):
    message = build(prefix, to=["x@example.org"], context=_context("en")[prefix], language="en")

    subject, text, html = _parts(message)
    assert '<html lang="en">' in html
    for part in (subject, text, html):
        part = _words(part)  # noqa: PLW2901
        for word in DUTCH_WORDS:
            assert word not in part, (word, part)
    for part in (text, html):
        assert "hulp@asr.example" in part
        assert "Monday to Friday, 09:00–16:30" in part  # noqa: RUF001 (en dash)


@pytest.mark.parametrize("prefix", MAILS)
def test_a_mail_in_dutch_ends_with_the_contact_details_of_a_s_r(prefix):
    message = build(prefix, to=["x@example.org"], context=_context("nl")[prefix])

    _subject, text, html = _parts(message)
    assert MAIL_LANGUAGE == "nl"
    assert '<html lang="nl">' in html
    for part in (text, html):
        tail = part[-600:]
        assert "hulp@asr.example" in tail
        assert "030 123 4567" in tail
        assert "maandag tot en met vrijdag, 09:00–16:30 uur" in tail  # noqa: RUF001
        # "Neem contact op met a.s.r." never stands without the address.
        for match in re.finditer(r"[Nn]eem (dan )?contact op met a\.s\.r\.", part):
            assert "hulp@asr.example" in part[match.end() : match.end() + 120]


def test_dates_and_counts_in_a_mail_follow_its_language():
    context = _context("en")
    active = "employers/emails/links_active_summary"
    english = build(active, to=["x@example.org"], context=context[active], language="en")
    dutch = build(active, to=["x@example.org"], context=_context("nl")[active])
    link = "employers/emails/link_active"
    english_link = build(link, to=["x@example.org"], context=context[link], language="en")

    assert "1,200 employers" in english.subject
    assert "1.200 werkgevers" in dutch.subject
    assert "March 5, 2026" in english_link.body or "5 March 2026" in english_link.body
    assert "maart" not in english_link.body


def test_the_needs_attention_mail_links_each_finding_to_its_step_of_the_manual():
    processor = PayrollProcessorFactory(
        confirmed=True,
        user=UserFactory(),
        status=Status.NEEDS_ATTENTION,
        check_findings=[{"code": "VERKEERDE_WEBSERVICEPARTIJ", "detail": "X", "retryable": False}],
    )

    emails.send_needs_attention(processor_id=processor.pk)

    [message] = mail.outbox
    _subject, text, html = _parts(message)
    link = f"{settings.PORTAL_BASE_URL}/handleiding/#stap-1"
    assert f"Handleiding: stap 1: {link}" in text
    assert f'<a href="{link}">Handleiding: stap 1</a>' in html
    assert "hulp@asr.example" in text
