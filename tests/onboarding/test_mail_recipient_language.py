"""A processor's mails are written in the language it registered in (the page's language)."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from onboarding import emails
from onboarding.models import PayrollProcessor
from tests.employers.conftest import make_processor

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("language", "subject"),
    [
        ("en", "We have received your registration for the salary link"),
        ("nl", "Wij hebben uw aanmelding voor de salariskoppeling ontvangen"),
        ("fr", "Wij hebben uw aanmelding voor de salariskoppeling ontvangen"),  # not spoken: Dutch
    ],
)
def test_the_receipt_is_written_in_the_language_the_processor_registered_in(
    language: str, subject: str
) -> None:
    processor = make_processor()
    PayrollProcessor.objects.filter(pk=processor.pk).update(language=language)
    mail.outbox.clear()

    emails.send_received(processor_id=processor.pk)

    (message,) = mail.outbox
    assert message.subject == subject
    assert ("Questions? Contact a.s.r." in message.body) is (language == "en")


def test_the_registration_form_stores_the_pages_language(client, loket_settings) -> None:
    """The language the mails use is the one the form was filled in."""
    client.post(
        reverse("onboarding:register"),
        {
            "company_name": "Salarisbureau Engels",
            "email": "engels@example.nl",
            "omgevingscode": "DEMO001",
            "loket_username": "ws-benefits",
            "loket_password": "x" * 12,
            "consent": "on",
        },
        headers={"accept-language": "en"},
    )
    assert PayrollProcessor.objects.get(email="engels@example.nl").language == "en"
