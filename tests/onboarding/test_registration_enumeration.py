"""Issue 13 point 5: the registration form is no oracle. Details registered already (an e-mail
address, an omgevingscode + gebruikersnaam) get the answer a new registration gets; the
registration holding them is mailed instead. The per-client limit counts before the form is
read."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

from onboarding.models import PayrollProcessor
from tests.onboarding.factories import DEMO_PASSWORD, PayrollProcessorFactory

pytestmark = pytest.mark.django_db

REGISTER = reverse("onboarding:register")
RECEIVED = reverse("onboarding:registration_received")


def _form(**overrides) -> dict[str, str]:
    return {
        "company_name": "Salarisbureau Nieuw B.V.",
        "email": "nieuw@salarisbureau.example",
        "omgevingscode": "DEMO001",
        "loket_username": "ws-benefits",
        "loket_password": DEMO_PASSWORD,
        "consent": "on",
    } | overrides


def _without_csrf(response) -> str:
    """The page, its per-request (masked) CSRF token left out."""
    return re.sub(r'value="[A-Za-z0-9]{64}"', 'value=""', response.content.decode())


def _post(client, capture, data):
    with capture(execute=True):
        response = client.post(REGISTER, data)
    follow = client.get(response["Location"]) if response.status_code == 302 else None
    return response, follow


def test_enumeration_a_registered_email_gets_the_answer_of_a_new_registration(
    client, loket_settings, django_capture_on_commit_callbacks
):
    PayrollProcessorFactory(email="bestaand@salarisbureau.example", loket_username="ws-oud")

    new, new_page = _post(client, django_capture_on_commit_callbacks, _form())
    known, known_page = _post(
        client,
        django_capture_on_commit_callbacks,
        _form(email="Bestaand@Salarisbureau.example", loket_username="ws-ander"),
    )

    assert (known.status_code, known["Location"]) == (new.status_code, new["Location"])
    assert known["Location"] == RECEIVED
    assert _without_csrf(known_page) == _without_csrf(new_page)
    assert "Met dit e-mailadres is al een salarisverwerker aangemeld" not in (
        known_page.content.decode()
    )
    assert PayrollProcessor.objects.filter(loket_username="ws-ander").count() == 0


def test_enumeration_a_registered_email_is_told_someone_tried_in_its_language(
    client, django_capture_on_commit_callbacks
):
    PayrollProcessorFactory(
        email="bestaand@salarisbureau.example", company_name="Bestaand B.V.", language="en"
    )

    _post(
        client,
        django_capture_on_commit_callbacks,
        _form(email="bestaand@salarisbureau.example", loket_username="ws-ander"),
    )

    [message] = mail.outbox
    assert message.to == ["bestaand@salarisbureau.example"]
    assert message.subject == "New registration with your details for the salary link"
    assert "Someone filled in the registration form" in message.body
    assert "Bestaand B.V." in message.body


def test_enumeration_a_registered_loket_user_gets_the_same_answer_and_its_address_a_mail(
    client, django_capture_on_commit_callbacks
):
    holder = PayrollProcessorFactory(
        email="houder@salarisbureau.example", omgevingscode="DEMO001", loket_username="WS-Benefits"
    )

    response, page = _post(
        client,
        django_capture_on_commit_callbacks,
        _form(email="vreemde@elders.example", omgevingscode="demo001"),
    )

    assert response.status_code == 302
    assert response["Location"] == RECEIVED
    assert "Deze gebruikersnaam is voor deze omgevingscode al aangemeld" not in (
        page.content.decode()
    )
    assert PayrollProcessor.objects.count() == 1
    assert [m.to for m in mail.outbox] == [[holder.email]]  # never the address typed


def test_enumeration_the_notice_leaves_through_the_outbox(
    client, django_capture_on_commit_callbacks
):
    holder = PayrollProcessorFactory(email="bestaand@salarisbureau.example")

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post(REGISTER, _form(email="bestaand@salarisbureau.example"))

    holder.refresh_from_db()
    assert holder.duplicate_notice_due_at is not None
    assert mail.outbox == []
    for callback in callbacks:
        callback()
    holder.refresh_from_db()
    assert holder.duplicate_notice_due_at is None
    assert len(mail.outbox) == 1


def test_enumeration_the_per_client_limit_counts_before_the_form_is_validated(client, settings):
    settings.REGISTRATIONS_PER_IP_PER_HOUR = 3

    answers = [client.post(REGISTER, {"email": f"probe{n}@x.example"}) for n in range(4)]

    assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
    assert answers[3]["Retry-After"]


def test_enumeration_the_answer_reveals_no_status_link(
    client, loket_settings, django_capture_on_commit_callbacks
):
    response, page = _post(client, django_capture_on_commit_callbacks, _form())

    processor = PayrollProcessor.objects.get()
    assert processor.status_token not in response["Location"]
    assert processor.status_token not in page.content.decode()
    [receipt] = [m for m in mail.outbox if m.to == [processor.email]]
    assert processor.status_token in receipt.body


def test_enumeration_notices_to_one_registration_are_capped_per_day(
    client, settings, django_capture_on_commit_callbacks
):
    settings.REGISTRATIONS_PER_IP_PER_HOUR = 100
    PayrollProcessorFactory(email="bestaand@salarisbureau.example")

    answers = [
        _post(
            client,
            django_capture_on_commit_callbacks,
            _form(email="bestaand@salarisbureau.example", loket_username=f"ws-{n}"),
        )[0]
        for n in range(5)
    ]

    assert {answer["Location"] for answer in answers} == {RECEIVED}
    assert len(mail.outbox) == 3  # DUPLICATE_NOTICES_PER_DAY
