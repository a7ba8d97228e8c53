"""``manage.py requests_before_register``: what existed before the customer register (issue 12,
point 7). Migration 0007 left open requests unverified (before_register, no expiry) and marked
linked ones verified "before the register"; the rows here are made in that shape directly."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from employers.models import (
    VERIFY_DAYS,
    EmployerLink,
    EmployerRequest,
    LinkStatus,
    RequestStatus,
    RequestTaxNumber,
    VerificationMethod,
)
from employers.tokens import verify_token
from tests.employers.conftest import REGISTER_EMAIL, REGISTER_POLICY

pytestmark = pytest.mark.django_db


def _old_request(processor, *, kvk, number, status, name, **extra) -> EmployerRequest:
    consent = timezone.now() - dt.timedelta(days=90)
    employer_request = EmployerRequest.objects.create(
        company_name=name,
        kvk_number=kvk,
        contact_name="Oude Aanvrager",
        contact_email=f"oud@{kvk}.example",
        processor=processor,
        consent_at=consent,
        created_at=consent,
        status=status,
        before_register=True,
        expires_at=None,
        **extra,
    )
    RequestTaxNumber.objects.create(request=employer_request, number=number, is_open=False)
    return employer_request


@pytest.fixture
def before(processor, register):
    """A link made active before the register, and two open requests the migration turned
    unverified: one whose KvK number the register knows (E1), one it does not (E2)."""
    linked = _old_request(
        processor,
        kvk="34567890",
        number="177756184L01",
        status=RequestStatus.LINKED,
        name="Zorggroep Tilburg",
        verification_method=VerificationMethod.BEFORE_REGISTER,
        verified_at=timezone.now() - dt.timedelta(days=90),
    )
    link = EmployerLink.objects.create(
        processor=processor,
        loket_employer_id="00000000-0000-4000-8000-000000001003",
        employer_name="Zorggroep Tilburg",
        kvk_number="34567890",
        request=linked,
        status=LinkStatus.ACTIVE,
        activated_at=timezone.now() - dt.timedelta(days=80),
    )
    known = _old_request(
        processor,
        kvk="12345678",
        number="144068989L01",
        status=RequestStatus.UNVERIFIED,
        name="Bakkerij Van Dijk B.V.",
    )
    unknown = _old_request(
        processor,
        kvk="23456789",
        number="173718528L01",
        status=RequestStatus.UNVERIFIED,
        name="Installatiebedrijf De Vries",
    )
    return link, known, unknown


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("requests_before_register", *args, stdout=out)
    return out.getvalue()


def test_the_list_shows_the_old_active_links_and_the_old_unverified_requests(before):
    link, known, unknown = before

    output = _run()

    assert "Actieve koppelingen, aanvraag geverifieerd vóór het klantregister: 1" in output
    assert f"koppeling {link.pk}\tZorggroep Tilburg" in output
    assert "Aanvragen van vóór het klantregister, nog niet bevestigd: 2" in output
    assert f"aanvraag {known.pk}\tBakkerij Van Dijk B.V." in output
    assert f"aanvraag {unknown.pk}\tInstallatiebedrijf De Vries" in output
    assert output.count("wacht op --send") == 2
    # listing changes and sends nothing
    assert mail.outbox == []
    assert EmployerRequest.objects.filter(expires_at__isnull=False).count() == 0


def test_send_mails_the_register_address_or_puts_the_request_up_for_review(
    client, before, settings, django_capture_on_commit_callbacks
):
    _link, known, unknown = before

    with django_capture_on_commit_callbacks(execute=True):
        output = _run("--send")

    assert "bevestigingslink naar het adres in het klantregister: 1" in output
    assert "ter beoordeling bij a.s.r.: 1" in output
    known.refresh_from_db()
    unknown.refresh_from_db()
    assert known.status == RequestStatus.UNVERIFIED
    assert (known.register_policy, known.register_email) == (REGISTER_POLICY, REGISTER_EMAIL)
    assert unknown.status == RequestStatus.IN_REVIEW
    week = timezone.now() + dt.timedelta(days=VERIFY_DAYS)
    for employer_request in (known, unknown):
        assert abs(employer_request.expires_at - week) < dt.timedelta(minutes=1)
        assert employer_request.verification_mailed_at is not None
        assert employer_request.events.order_by("pk").last().actor_label == (
            "aanvraag van vóór het klantregister"
        )
    recipients = sorted(address for message in mail.outbox for address in message.to)
    assert recipients == sorted([REGISTER_EMAIL, settings.ASR_NOTIFY_EMAIL, unknown.contact_email])
    assert known.contact_email not in recipients
    [link_mail] = [m for m in mail.outbox if REGISTER_EMAIL in m.to]
    path = reverse("employers:verify", args=[verify_token(known.pk)])
    assert path in link_mail.body

    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(path).status_code == 302
    known.refresh_from_db()
    assert known.status == RequestStatus.OPEN
    assert known.verification_method == VerificationMethod.REGISTER


def test_send_twice_sends_nothing_twice(before, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _run("--send")
    sent = len(mail.outbox)

    with django_capture_on_commit_callbacks(execute=True):
        output = _run("--send")

    assert len(mail.outbox) == sent
    assert "bevestigingslink naar het adres in het klantregister: 0" in output
    assert "ter beoordeling bij a.s.r.: 0" in output
    listed = _run()
    assert "wacht op --send" not in listed
    assert "verloopt" in listed


def test_send_leaves_new_requests_and_the_active_links_alone(
    processor, before, django_capture_on_commit_callbacks
):
    link, _known, _unknown = before
    new = EmployerRequest.objects.create(
        company_name="Nieuw",
        kvk_number="45678901",
        contact_name="X",
        contact_email="x@example.org",
        processor=processor,
        consent_at=timezone.now(),
        status=RequestStatus.UNVERIFIED,
        expires_at=timezone.now() + dt.timedelta(days=3),
    )

    with django_capture_on_commit_callbacks(execute=True):
        _run("--send")

    link.refresh_from_db()
    assert link.status == LinkStatus.ACTIVE
    assert EmployerRequest.objects.get(pk=new.pk).events.count() == 0
