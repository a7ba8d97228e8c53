"""The employer-side e-mails: Dutch, text + HTML, untrusted names escaped, one summary per
processor for a bulk of links, one mail connection per batch, never a secret."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core import mail
from django.core.mail.backends import locmem
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from employers import emails, services, tasks
from employers.models import (
    EmployerLink,
    EmployerRequest,
    LinkStatus,
    RequestStatus,
    RequestTaxNumber,
)
from locket_client.problems import explain, manual_step
from tests.employers.conftest import DEMO_PASSWORD, E1, make_processor, submit_verified

pytestmark = pytest.mark.django_db

HOSTILE_NAME = '<script>alert("x")</script> & Zn\r\nBcc: victim@example.org'
DASHBOARD_URL = settings.PORTAL_BASE_URL + reverse("onboarding:dashboard")


class CountingBackend(locmem.EmailBackend):
    """The test backend (mail.outbox), counting the connections opened."""

    opened = 0

    def open(self) -> bool:
        type(self).opened += 1
        return super().open()


@pytest.fixture
def counting_backend(settings):
    settings.EMAIL_BACKEND = f"{__name__}.CountingBackend"
    CountingBackend.opened = 0
    return CountingBackend


def _html(message: mail.EmailMultiAlternatives) -> str:
    [(content, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return content


def _parts(message: mail.EmailMultiAlternatives) -> tuple[str, str, str]:
    return message.subject, message.body, _html(message)


def _assert_no_secret(message: mail.EmailMultiAlternatives, processor) -> None:
    for part in _parts(message):
        assert DEMO_PASSWORD not in part
        assert processor.loket_password_encrypted not in part


def _request(processor, *, company_name="Bakkerij Van Dijk B.V.", numbers=("144068989L01",), **kw):
    request = EmployerRequest.objects.create(
        company_name=company_name,
        kvk_number=kw.pop("kvk_number", "12345678"),
        contact_name=kw.pop("contact_name", "Jan van Dijk"),
        contact_email=kw.pop("contact_email", "jan@bakkerij.example"),
        verified_email=kw.pop("verified_email", "jan@bakkerij.example"),
        contact_phone=kw.pop("contact_phone", "010 123 45 67"),
        processor=processor,
        consent_at=timezone.now(),
        verified_at=timezone.now(),
        status=kw.pop("status", "open"),
        **kw,
    )
    RequestTaxNumber.objects.bulk_create(
        RequestTaxNumber(request=request, number=n, is_open=True) for n in numbers
    )
    return request


def _active_links(processor, count: int, *, start: int = 0) -> list[EmployerLink]:
    """``count`` active links of ``processor``, each with its own request (and contact)."""
    now = timezone.now()
    requests = EmployerRequest.objects.bulk_create(
        EmployerRequest(
            company_name=f"Werkgever {start + i}",
            kvk_number=f"{10000000 + start + i}",
            contact_name=f"Contact {start + i}",
            contact_email=f"contact{start + i}@werkgever.example",
            verified_email=f"contact{start + i}@werkgever.example",
            processor=processor,
            status=RequestStatus.LINKED,
            consent_at=now,
            verified_at=now,
        )
        for i in range(count)
    )
    RequestTaxNumber.objects.bulk_create(
        RequestTaxNumber(request=r, number=f"{100000000 + start + i}L01", is_open=False)
        for i, r in enumerate(requests)
    )
    return EmployerLink.objects.bulk_create(
        EmployerLink(
            processor=processor,
            loket_employer_id=f"loket-{start + i}",
            employer_name=f"Werkgever {start + i}",
            kvk_number=f"{10000000 + start + i}",
            request=r,
            status=LinkStatus.ACTIVE,
            activated_at=now,
        )
        for i, r in enumerate(requests)
    )


# --- request received --------------------------------------------------------------------------


def test_a_request_mails_the_employer_a_confirmation_and_the_processor_the_request(
    counting_backend,
):
    processor = make_processor()
    request = _request(processor, numbers=("144068989L01", "173718528L02"))

    emails.send_request_received(request_id=request.pk)

    assert len(mail.outbox) == 2
    assert counting_backend.opened == 1
    employer, notification = mail.outbox
    assert employer.to == ["jan@bakkerij.example"]
    assert employer.from_email == settings.DEFAULT_FROM_EMAIL
    assert "aanvraag" in employer.subject
    for part in (employer.body, _html(employer)):
        assert processor.company_name in part
        assert "144068989L01, 173718528L02" in part
        assert "Wat gebeurt er nu?" in part

    assert notification.to == [processor.email]
    assert "Nieuwe aanvraag salariskoppeling" in notification.subject
    for part in (notification.body, _html(notification)):
        for text in ("Bakkerij Van Dijk B.V.", "12345678", "144068989L01", "Jan van Dijk"):
            assert text in part
        assert "jan@bakkerij.example" in part
        assert "010 123 45 67" in part
        assert DASHBOARD_URL in part
    for message in mail.outbox:
        _assert_no_secret(message, processor)


def test_an_untrusted_company_name_is_escaped_in_html_and_cannot_add_a_header():
    processor = make_processor()
    request = _request(processor, company_name=HOSTILE_NAME)

    emails.send_request_received(request_id=request.pk)

    for message in mail.outbox:
        assert "\n" not in message.subject
        assert "\r" not in message.subject
        assert "<script>" not in _html(message)
        assert escape("<script>") in _html(message)
        assert "<script>" in message.body  # plain text: nothing to escape
        assert "victim@example.org" not in message.to
        assert message.bcc == []
        message.message()  # builds without a header error


def test_no_mail_for_a_request_that_does_not_exist():
    emails.send_request_received(request_id=987654)

    assert mail.outbox == []


# --- the employer cannot be seen in Loket.nl ---------------------------------------------------


def test_the_problem_mail_tells_the_processor_the_manual_step():
    processor = make_processor()
    request = _request(processor, company_name=HOSTILE_NAME, problem_code="NIET_ZICHTBAAR")

    emails.send_request_problem(request_id=request.pk)

    [message] = mail.outbox
    step, explanation = manual_step("NIET_ZICHTBAAR"), explain("NIET_ZICHTBAAR")
    assert message.to == [processor.email]
    assert "Actie nodig" in message.subject
    assert "\n" not in message.subject
    for part in (message.body, _html(message)):
        assert step in part
        assert explanation in part
        assert "144068989L01" in part
        assert DASHBOARD_URL in part
    assert escape("<script>") in _html(message)
    assert "<script>" not in _html(message)
    _assert_no_secret(message, processor)


@pytest.mark.parametrize(
    ("status", "problem_code"),
    [(RequestStatus.OPEN, ""), (RequestStatus.LINKED, "NIET_ZICHTBAAR")],
)
def test_no_problem_mail_once_the_problem_is_gone(status, problem_code):
    processor = make_processor()
    request = _request(processor, status=status, problem_code=problem_code)

    emails.send_request_problem(request_id=request.pk)

    assert mail.outbox == []


def test_a_request_for_an_employer_outside_the_team_mails_the_processor_the_problem(
    processor, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        submit_verified(
            company_name="Transport Jansen B.V.",
            kvk_number="45678901",
            tax_numbers=["211946217L01"],  # E4: outside the web-service user's team
            contact_name="Piet Jansen",
            contact_email="piet@transport.example",
            processor=processor,
        )

    subjects = {message.subject: message.to for message in mail.outbox}
    assert len(mail.outbox) == 3
    [problem] = [m for m in mail.outbox if m.subject.startswith("Actie nodig")]
    assert problem.to == [processor.email]
    assert "Handleiding: stap 3, Ak gebruiker" in problem.body
    assert ["piet@transport.example"] in subjects.values()


# --- links active ------------------------------------------------------------------------------


def _mail_links(links):
    """What the tasks do after a linking run: the employers' mails, then each digest."""
    emails.send_links_active(link_ids=[link.pk for link in links])
    for processor_id in sorted({link.processor_id for link in links}):
        tasks.send_processor_digest(processor_id)


def test_a_digest_delivered_twice_mails_once():
    processor = make_processor()
    _active_links(processor, 3)

    tasks.send_processor_digest(processor.pk)
    tasks.send_processor_digest(processor.pk)

    assert len([m for m in mail.outbox if m.to == [processor.email]]) == 1


def test_a_bulk_of_200_active_links_gives_the_processor_one_summary_over_two_connections(
    counting_backend,
):
    processor = make_processor()
    links = _active_links(processor, 200)

    _mail_links(links)

    to_processor = [m for m in mail.outbox if m.to == [processor.email]]
    to_employers = [m for m in mail.outbox if m.to != [processor.email]]
    assert len(to_processor) == 1
    assert len(to_employers) == 200
    assert sorted(m.to[0] for m in to_employers) == sorted(
        f"contact{i}@werkgever.example" for i in range(200)
    )
    assert counting_backend.opened == 2  # the employers' mails, then the digest
    [summary] = to_processor
    assert "200 werkgevers" in summary.subject
    for i in range(200):
        assert f"Werkgever {i} (KvK {10000000 + i})" in summary.body
    assert DASHBOARD_URL in summary.body
    _assert_no_secret(summary, processor)


def test_the_query_count_of_the_link_mails_does_not_grow_with_the_number_of_links(
    django_assert_max_num_queries,
):
    processor = make_processor()
    links = _active_links(processor, 50)

    with django_assert_max_num_queries(5):
        emails.send_links_active(link_ids=[link.pk for link in links])


def test_each_processor_gets_its_own_summary_and_each_employer_its_own_mail():
    first, second = make_processor("ws-a", n=1), make_processor("ws-b", n=2)
    links = _active_links(first, 3) + _active_links(second, 2, start=3)

    _mail_links(links)

    assert len(mail.outbox) == 5 + 2
    [first_summary] = [m for m in mail.outbox if m.to == [first.email]]
    [second_summary] = [m for m in mail.outbox if m.to == [second.email]]
    assert "3 werkgevers" in first_summary.subject
    assert "Werkgever 3" not in first_summary.body
    assert "2 werkgevers" in second_summary.subject
    employer_mail = next(m for m in mail.outbox if m.to == ["contact0@werkgever.example"])
    assert "is actief" in employer_mail.subject
    assert "Werkgever 0" in employer_mail.subject
    assert first.company_name in employer_mail.body
    assert first.company_name in _html(employer_mail)


def test_links_no_longer_active_get_no_mail():
    processor = make_processor()
    links = _active_links(processor, 3)
    EmployerLink.objects.filter(pk=links[0].pk).update(status=LinkStatus.NEEDS_ATTENTION)

    _mail_links(links)

    recipients = [m.to[0] for m in mail.outbox]
    assert "contact0@werkgever.example" not in recipients
    assert len([r for r in recipients if r != processor.email]) == 2

    mail.outbox.clear()
    _mail_links([links[0]])
    emails.send_links_active(link_ids=[987654])
    assert mail.outbox == []


def test_one_active_link_names_the_employer_in_the_summary_subject():
    processor = make_processor()
    [link] = _active_links(processor, 1)
    EmployerLink.objects.filter(pk=link.pk).update(employer_name=HOSTILE_NAME)

    _mail_links([link])

    [summary] = [m for m in mail.outbox if m.to == [processor.email]]
    assert summary.subject.startswith("Salariskoppeling actief voor <script>")
    assert "\n" not in summary.subject
    assert escape("<script>") in _html(summary)
    assert "<script>" not in _html(summary)


def test_request_then_register_mails_employer_and_processor_that_the_link_is_active(
    processor, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        submit_verified(
            company_name="Bakkerij Van Dijk B.V.",
            kvk_number="12345678",
            tax_numbers=["144068989L01"],
            contact_name="Jan van Dijk",
            contact_email="jan@bakkerij.example",
            processor=processor,
        )
    assert len(mail.outbox) == 2
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.links_register(processor=processor, employer_ids=[E1], by=None)

    assert sorted(m.to[0] for m in mail.outbox) == sorted(["jan@bakkerij.example", processor.email])
    employer = next(m for m in mail.outbox if m.to == ["jan@bakkerij.example"])
    assert "De salariskoppeling van Bakkerij Van Dijk B.V. is actief" in employer.subject
