"""The employer's pages: the request form (GET/POST) and its signed confirmation page."""

from __future__ import annotations

import random
import re
import time

import pytest
from django.core import mail, signing
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from employers.models import EmployerRequest, RequestStatus, RequestTaxNumber
from employers.views.employer import DONE_PAGE_MAX_AGE, DONE_PAGE_SALT, done_token
from onboarding.models import Status
from tests.employers.conftest import REGISTER_EMAIL, make_processor, submit_verified
from tests.employers.test_verification import VERIFY_LINK

pytestmark = pytest.mark.django_db

FORM = reverse("employers:request_form")
HOSTILE_NAME = '<script>alert("x")</script> & Zn'


@pytest.fixture
def valid(processor):
    return {
        "company_name": "Bakkerij Van Dijk B.V.",
        "kvk_number": "12345678",
        "policy_number": "ASR100001",
        "tax_numbers": "144068989L01",
        "contact_name": "Jan van Dijk",
        "contact_email": "jan@bakkerij.example",
        "contact_phone": "010 123 45 67",
        "processor": str(processor.pk),
        "consent": "on",
    }


def _inline_code(html: str) -> list[str]:
    """Inline scripts, style elements, style attributes and event handlers: what the CSP blocks."""
    return (
        re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html)
        + re.findall(r"<style\b", html)
        + re.findall(r"\sstyle=", html)
        + re.findall(r"\son[a-z]+=", html)
    )


def _selected(html: str) -> list[str]:
    return re.findall(r'<option value="(\d+)" selected>', html)


# --- the form ----------------------------------------------------------------------------------


def test_the_form_is_shown_in_dutch_with_the_confirmed_processors_and_no_inline_code(
    client, processor
):
    make_processor("ws-nieuw", status=Status.SUBMITTED, n=2)

    response = client.get(FORM)

    html = response.content.decode()
    assert response.status_code == 200
    assert response["Content-Language"] == "nl"
    assert "<h1>Salariskoppeling aanvragen</h1>" in html
    assert f'<option value="{processor.pk}">{processor.company_name}</option>' in html
    assert "ws-nieuw" not in html
    assert 'src="/static/js/processor-search.js"' in html
    assert _inline_code(html) == []
    assert "no-cache" in response["Cache-Control"]


def test_the_verwerker_parameter_preselects_the_processor(client, processor):
    response = client.get(FORM, {"verwerker": processor.pk})

    assert _selected(response.content.decode()) == [str(processor.pk)]


@pytest.mark.parametrize("value", ["abc", "\x00", "9" * 40, "-1", "999999", "1 OR 1=1"])
def test_a_bad_verwerker_parameter_is_ignored(client, processor, value):
    response = client.get(FORM, {"verwerker": value})

    assert response.status_code == 200
    assert _selected(response.content.decode()) == []


def test_a_processor_that_is_not_confirmed_is_not_preselected(client, processor):
    submitted = make_processor("ws-nieuw", status=Status.SUBMITTED, n=2)

    response = client.get(FORM, {"verwerker": submitted.pk})

    assert _selected(response.content.decode()) == []


def test_a_valid_request_redirects_to_the_confirmation_and_mails_only_the_address_on_file(
    client, processor, valid, register, django_capture_on_commit_callbacks
):
    """A request is stored unverified (reserving nothing); the confirmation link goes to the
    register's address for the policy, the processor hears nothing yet (test_verification)."""
    data = valid | {"company_name": HOSTILE_NAME, "tax_numbers": "144068989L01\n173718528l02"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(FORM, data)

    request = EmployerRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("employers:request_done", args=[done_token(request.pk)])
    assert request.company_name == HOSTILE_NAME
    assert request.kvk_number == "12345678"
    assert request.policy_number == "ASR100001"
    assert request.processor == processor
    assert request.status == RequestStatus.UNVERIFIED
    assert request.consent_at is not None
    assert sorted(request.tax_numbers.values_list("number", flat=True)) == [
        "144068989L01",
        "173718528L02",
    ]
    assert not request.tax_numbers.filter(is_open=True).exists()

    page = client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert escape(HOSTILE_NAME) in html
    assert HOSTILE_NAME not in html
    assert processor.company_name in html
    assert "144068989L01" in html
    assert "173718528L02" in html
    assert "no-cache" in page["Cache-Control"]

    [message] = mail.outbox
    assert message.to == [REGISTER_EMAIL]
    [(html_body, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    assert "\n" not in message.subject
    assert escape(HOSTILE_NAME) in html_body
    assert HOSTILE_NAME not in html_body
    assert HOSTILE_NAME in message.body  # plain text: nothing to escape
    assert processor.company_name in message.body


def test_the_typed_values_come_back_when_one_field_is_wrong(client, valid):
    response = client.post(FORM, valid | {"kvk_number": "1234"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "Een KvK-nummer bestaat uit precies 8 cijfers." in html
    assert 'value="Bakkerij Van Dijk B.V."' in html
    assert "144068989L01</textarea>" in html
    assert "Fout:" in html
    assert EmployerRequest.objects.count() == 0


def test_a_second_request_for_the_same_number_is_accepted_and_tells_nothing_of_the_first(
    client, valid, register, django_capture_on_commit_callbacks
):
    """Unverified requests block nothing, and the form never says whether a number is taken;
    which of two requests counts is decided when one is verified (test_verification)."""
    with django_capture_on_commit_callbacks(execute=True):
        client.post(FORM, valid)
        response = client.post(
            FORM, valid | {"company_name": "Nog een keer", "tax_numbers": "144068989 l01"}
        )

    assert response.status_code == 302
    assert EmployerRequest.objects.count() == 2
    assert not RequestTaxNumber.objects.filter(is_open=True).exists()
    assert "Er loopt al een aanvraag" not in client.get(response["Location"]).content.decode()


def test_a_processor_no_longer_confirmed_when_the_form_is_sent_gets_a_message(
    client, processor, valid
):
    type(processor).objects.filter(pk=processor.pk).update(
        status=Status.REJECTED, rejection_reason="test"
    )

    response = client.post(FORM, valid)

    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["processor"]
    assert EmployerRequest.objects.count() == 0


def test_an_invisible_format_character_is_refused_on_its_field(client, valid):
    # U+200B (zero-width space): one single-line rule for forms and models (common.text), so
    # the form refuses it with the same message the model's validator would give.
    response = client.post(FORM, valid | {"company_name": "Bakkerij\u200bVan Dijk"})

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == ["company_name"]
    assert "onzichtbaar stuurteken" in errors["company_name"][0]


def test_the_form_refuses_a_post_without_csrf_token(valid):
    csrf_client = Client(enforce_csrf_checks=True)

    response = csrf_client.post(FORM, valid)

    assert response.status_code == 403
    assert EmployerRequest.objects.count() == 0


def test_the_form_accepts_a_post_with_its_csrf_token(valid):
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.get(FORM)
    token = csrf_client.cookies["csrftoken"].value

    response = csrf_client.post(FORM, valid | {"csrfmiddlewaretoken": token})

    assert response.status_code == 302


@pytest.mark.parametrize("method", ["put", "delete", "patch"])
def test_the_form_refuses_other_methods(client, method):
    assert getattr(client, method)(FORM).status_code == 405


def test_too_many_requests_from_one_address_get_a_429(client, valid, settings):
    settings.CHECKS_PER_IP_PER_HOUR = 1
    assert client.post(FORM, valid).status_code == 302

    response = client.post(FORM, valid | {"tax_numbers": "173718528L01"})

    assert response.status_code == 429
    assert "Retry-After" in response
    assert EmployerRequest.objects.count() == 1


# --- no 500, whatever is sent ------------------------------------------------------------------

NASTY = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\r\n",
    "\u2028",
    "\ufeff",
    "\u202e",
    "\ud7ff",
    "\U0001f600",
    "'; DROP TABLE employers_employerrequest; --",
    "<script>alert(1)</script>",
    "{{ settings.SECRET_KEY }}",
    "%(value)s %s {0}",
    "١٢٣٤٥٦٧٨",
    "\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18",  # fullwidth digits
    "12345678",
    "123456782L01",
    "144068989L01,123456789L01",
    "x" * 5000,
    "9" * 40,
    "-1",
    "1e5",
    "on",
    "@",
    "a@b",
    "jan@bakkerij.example",
]


def _random_text(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return rng.choice(NASTY)
    alphabet = [chr(rng.randrange(0, 0x2FFF)) for _ in range(20)] + list("0123456789L,\n ")
    return "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 40)))


def test_a_few_hundred_random_inputs_never_cause_a_500(client, valid):
    rng = random.Random(4)  # fixed seed: a failure can be replayed
    fields = list(valid)
    for _ in range(300):
        data = dict(valid)
        for field in rng.sample(fields, rng.randrange(1, len(fields) + 1)):
            if rng.random() < 0.1:
                data.pop(field)
            else:
                data[field] = _random_text(rng)
        response = client.post(FORM, data)
        assert response.status_code in (200, 302, 429), (data, response.status_code)
    # and the GET side
    for _ in range(50):
        response = client.get(FORM, {"verwerker": _random_text(rng)})
        assert response.status_code == 200


# --- the confirmation page ---------------------------------------------------------------------


def _submitted(processor) -> EmployerRequest:

    return submit_verified(
        company_name="Bakkerij Van Dijk B.V.",
        kvk_number="12345678",
        tax_numbers=["144068989L01"],
        contact_name="Jan van Dijk",
        contact_email="jan@bakkerij.example",
        processor=processor,
    )


def test_a_tampered_confirmation_token_is_a_404(client, processor):
    request = _submitted(processor)
    token = done_token(request.pk)
    other = done_token(request.pk + 1)
    forged = f"{request.pk + 1}:{token.split(':', 1)[1]}"

    assert client.get(reverse("employers:request_done", args=[token])).status_code == 200
    for bad in (forged, token[:-1] + ("A" if token[-1] != "A" else "B"), str(request.pk), "x"):
        assert client.get(reverse("employers:request_done", args=[bad])).status_code == 404
    # well signed, but no such request
    assert client.get(reverse("employers:request_done", args=[other])).status_code == 404


def test_a_token_signed_with_another_salt_is_a_404(client, processor):
    request = _submitted(processor)
    token = signing.TimestampSigner(salt="onboarding.other").sign(str(request.pk))

    assert client.get(reverse("employers:request_done", args=[token])).status_code == 404


def test_an_expired_confirmation_token_is_a_404(client, processor):
    request = _submitted(processor)

    class _Yesterday(signing.TimestampSigner):
        def timestamp(self) -> str:
            return signing.b62_encode(int(time.time()) - DONE_PAGE_MAX_AGE - 60)

    token = _Yesterday(salt=DONE_PAGE_SALT).sign(str(request.pk))

    assert client.get(reverse("employers:request_done", args=[token])).status_code == 404


def test_the_confirmation_page_shows_only_the_request_it_was_signed_for(client, processor):
    first = _submitted(processor)
    RequestTaxNumber.objects.filter(request=first).update(is_open=False)
    second = EmployerRequest.objects.create(
        company_name="Ander Bedrijf",
        kvk_number="87654321",
        contact_name="X",
        contact_email="x@example.org",
        processor=processor,
        consent_at=first.consent_at,
        verified_at=first.consent_at,
        status="open",
    )

    html = client.get(reverse("employers:request_done", args=[done_token(first.pk)])).content
    assert b"Bakkerij Van Dijk B.V." in html
    assert b"Ander Bedrijf" not in html
    assert second.pk != first.pk


def test_the_home_page_links_to_the_request_form(client):
    html = client.get(reverse("onboarding:home")).content.decode()

    assert f'href="{FORM}"' in html
    assert "Salariskoppeling aanvragen" in html


def _verify_by_link(client, capture) -> None:
    [message] = [m for m in mail.outbox if REGISTER_EMAIL in m.to]
    link = VERIFY_LINK.search(message.body).group(0)
    mail.outbox.clear()
    with capture(execute=True):
        assert client.post(link).status_code == 302


def test_each_recipient_gets_the_request_mails_in_its_own_language(
    client, processor, valid, register, django_capture_on_commit_callbacks
):
    """The employer asked on the English page: its mails are English. The processor registered
    in Dutch (the default): its notice, once the request is verified, stays Dutch."""
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(FORM, valid, headers={"accept-language": "en"})

    assert EmployerRequest.objects.get().language == "en"
    [link_mail] = mail.outbox
    assert link_mail.subject == ("Confirm the salary link request for Bakkerij Van Dijk B.V.")
    _verify_by_link(client, django_capture_on_commit_callbacks)
    by_address = {message.to[0]: message for message in mail.outbox}
    employer, to_processor = by_address[REGISTER_EMAIL], by_address[processor.email]
    assert (
        employer.subject == "Your salary link request for Bakkerij Van Dijk B.V. has been confirmed"
    )
    assert to_processor.subject.startswith("Nieuwe aanvraag salariskoppeling: Bakkerij Van Dijk")


def test_a_processor_that_registered_in_english_gets_its_notice_in_english(
    client, processor, valid, register, django_capture_on_commit_callbacks
):
    processor.language = "en"
    processor.save(update_fields=["language"])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(FORM, valid)
    _verify_by_link(client, django_capture_on_commit_callbacks)

    assert EmployerRequest.objects.get().language == "nl"
    by_address = {message.to[0]: message for message in mail.outbox}
    assert by_address[processor.email].subject.startswith("New salary link request: Bakkerij")
    assert by_address[REGISTER_EMAIL].subject.startswith("Uw aanvraag voor de salariskoppeling")
