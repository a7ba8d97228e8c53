"""The forms of the processor's and the employer's pages as a person meets them: one error
summary that takes the focus and one field partial for every form, a refused password that says
it must be typed again, help at every dead end, the folded correction form, and the dashboard's
next step."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from employers.models import EmployerRequest
from onboarding.models import Status
from tests.onboarding.factories import (
    DEMO_PASSWORD,
    PORTAL_PASSWORD,
    PayrollProcessorFactory,
    UserFactory,
    logged_in_processor,
)

pytestmark = pytest.mark.django_db


def _activation_page(client, processor) -> str:
    uid = urlsafe_base64_encode(force_bytes(processor.user.pk))
    token = default_token_generator.make_token(processor.user)
    response = client.get(reverse("onboarding:activate", args=[uid, token]), follow=True)
    return response.redirect_chain[-1][0]


def _refused_forms(client):
    """Every form of these pages, posted with mistakes: (name, response)."""
    yield "register", client.post(reverse("onboarding:register"), {"email": "x"})
    yield "login", client.post(reverse("onboarding:login"), {"email": "x", "password": ""})
    target = _activation_page(client, PayrollProcessorFactory(confirmed=True, user=UserFactory()))
    yield "activation", client.post(target, {"new_password1": "kort", "new_password2": "kort"})
    yield "employer request", client.post(reverse("employers:request_form"), {})
    processor = PayrollProcessorFactory()
    yield (
        "correction",
        client.post(reverse("onboarding:correct", args=[processor.status_token]), {}),
    )
    logged_in_processor(client)
    yield "dashboard", client.post(reverse("onboarding:update_credentials"), {})


def test_every_refused_form_shows_the_one_error_summary_that_takes_the_focus(client):
    """...and, through the one field partial, every refused field is aria-invalid and names its
    error in aria-describedby."""
    for name, response in _refused_forms(client):
        page = response.content.decode()
        used = {template.name for template in response.templates}
        assert {"_error_summary.html", "_field.html"} <= used, name
        [summary] = re.findall(r'<div class="error-summary"[^>]*>', page)
        assert 'id="error-summary"' in summary, name
        assert 'tabindex="-1"' in summary, name
        assert "autofocus" in summary, name
        assert page.count("autofocus") == 1, f"{name}: a second autofocus takes the focus away"
        for error_id in re.findall(r'<p class="field-error" id="([^"]+)_error"', page):
            [widget] = re.findall(rf'<(?:input|select|textarea)[^>]*id="{error_id}"[^>]*>', page)
            assert 'aria-invalid="true"' in widget, f"{name}: {widget}"
            described = re.search(r'aria-describedby="([^"]*)"', widget).group(1).split()
            assert f"{error_id}_error" in described, f"{name}: {widget}"


def test_after_a_failed_registration_the_empty_password_field_says_to_type_it_again(client):
    data = {
        "company_name": "Salarisbureau Jansen",
        "email": "salaris@jansen.example",
        "loket_username": "ws-benefits",
        "loket_password": DEMO_PASSWORD,
        "omgevingscode": "DEMO001",
    }  # no consent: refused

    page = client.post(reverse("onboarding:register"), data).content.decode()

    assert DEMO_PASSWORD not in page
    [widget] = re.findall(r'<input[^>]*name="loket_password"[^>]*>', page)
    assert "value=" not in widget
    assert "id_loket_password_retype" in re.search(r'aria-describedby="([^"]*)"', widget).group(1)
    note = re.search(r'<p class="field-note" id="id_loket_password_retype">(.*?)</p>', page)
    assert "Vul het wachtwoord opnieuw in" in note.group(1)

    # Not on the empty form, nor for the correction form's optional password (empty keeps it).
    assert "field-note" not in client.get(reverse("onboarding:register")).content.decode()
    processor = PayrollProcessorFactory()
    page = client.post(
        reverse("onboarding:correct", args=[processor.status_token]), {"omgevingscode": "a b"}
    ).content.decode()
    assert "field-note" not in page


def test_the_activation_page_puts_the_password_validators_verdict_on_the_first_field(client):
    target = _activation_page(client, PayrollProcessorFactory(confirmed=True, user=UserFactory()))

    page = client.post(target, {"new_password1": "kort", "new_password2": "kort"}).content.decode()

    first = re.search(r'<p class="field-error" id="id_new_password1_error">(.*?)</p>', page, re.S)
    assert "te kort" in first.group(1)
    assert 'id="id_new_password2_error"' not in page
    assert 'href="#id_new_password1"' in page

    # Only "the two passwords differ" belongs to the second field.
    page = client.post(
        target, {"new_password1": PORTAL_PASSWORD, "new_password2": PORTAL_PASSWORD + "x"}
    ).content.decode()
    assert 'id="id_new_password2_error"' in page
    assert 'id="id_new_password1_error"' not in page


def test_the_login_page_says_what_to_do_with_a_forgotten_password(client):
    page = client.get(reverse("onboarding:login")).content.decode()

    section = re.search(r'<section[^>]*id="wachtwoord-vergeten".*?</section>', page, re.S)
    assert "Wachtwoord vergeten?" in section.group(0)
    assert f'href="{reverse("onboarding:password_reset")}"' in section.group(0)
    assert f'href="mailto:{settings.ASR_CONTACT_EMAIL}"' in section.group(0)


def test_an_expired_activation_link_gives_asr_contact_and_the_login_as_next_steps(client):
    page = client.get(reverse("onboarding:activate", args=["MQ", "bad-token"])).content.decode()

    main = re.search(r"<main\b.*?</main>", page, re.S).group(0)
    assert f'href="mailto:{settings.ASR_CONTACT_EMAIL}"' in main
    assert f'href="{reverse("onboarding:login")}"' in main


def test_a_rejected_registration_and_the_rate_limit_page_give_asr_contact(client, rf):
    rejected = PayrollProcessorFactory(status=Status.REJECTED, rejection_reason="Onbekend kantoor")
    page = client.get(reverse("onboarding:status", args=[rejected.status_token])).content.decode()
    main = re.search(r"<main\b.*?</main>", page, re.S).group(0)
    assert f'href="mailto:{settings.ASR_CONTACT_EMAIL}"' in main

    from onboarding.http import rate_limited_response
    from onboarding.ratelimit import RateLimited

    page = rate_limited_response(rf.get("/"), RateLimited(60)).content.decode()
    main = re.search(r"<main\b.*?</main>", page, re.S).group(0)
    assert f'href="mailto:{settings.ASR_CONTACT_EMAIL}"' in main


def test_the_correction_form_folds_away_once_the_check_passed(client):
    passed = PayrollProcessorFactory(check_passed=True)
    page = client.get(reverse("onboarding:status", args=[passed.status_token])).content.decode()
    details = re.search(r'<details class="correction" id="correction"[^>]*>', page).group(0)
    assert " open" not in details
    assert 'data-check-passed="true"' in page

    failed = PayrollProcessorFactory(check_failed=True)
    page = client.get(reverse("onboarding:status", args=[failed.status_token])).content.decode()
    details = re.search(r'<details class="correction" id="correction"[^>]*>', page).group(0)
    assert " open" in details


def test_a_refused_correction_stays_open_after_the_check_passed(client):
    passed = PayrollProcessorFactory(check_passed=True)

    page = client.post(
        reverse("onboarding:correct", args=[passed.status_token]), {"omgevingscode": "a b"}
    ).content.decode()

    details = re.search(r'<details class="correction" id="correction"[^>]*>', page).group(0)
    assert " open" in details


def _request(processor, n: int) -> EmployerRequest:
    return EmployerRequest.objects.create(
        company_name=f"Bakkerij {n}",
        kvk_number=f"{10000000 + n}",
        contact_name="Jan",
        contact_email=f"jan{n}@bakkerij.example",
        processor=processor,
        consent_at=timezone.now(),
        verified_at=timezone.now(),
        status="open",
    )


def test_the_dashboards_primary_action_is_registering_the_waiting_employers(client):
    processor = logged_in_processor(client)
    _request(processor, 1)
    _request(processor, 2)
    _request(PayrollProcessorFactory(confirmed=True), 3)  # another processor's

    page = client.get(reverse("onboarding:dashboard")).content.decode()

    button = re.search(r'<a class="button button--primary" href="([^"]+)">(.*?)</a>', page, re.S)
    assert button.group(1).startswith(reverse("employers:werkgevers"))
    assert " ".join(button.group(2).split()) == "2 wachtende werkgevers aanmelden"
    assert page.index("button--primary") < page.index("Laatste controle bij Loket.nl")


def test_with_no_employer_waiting_the_primary_action_leads_to_the_employers(client):
    logged_in_processor(client)

    page = client.get(reverse("onboarding:dashboard")).content.decode()

    button = re.search(r'<a class="button button--primary" href="([^"]+)">(.*?)</a>', page, re.S)
    assert button.group(1) == reverse("employers:werkgevers")
    assert "Er wacht nu geen werkgever op u." in page


def test_the_dashboards_details_list_is_styled(client):
    logged_in_processor(client)

    page = client.get(reverse("onboarding:dashboard")).content.decode()

    assert '<dl class="details">' in page
    css = (settings.BASE_DIR / "static" / "css" / "forms.css").read_text()
    assert re.search(r"^\.details \{[^}]*display: grid", css, re.M)


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("nl", "kunt u het over 1 minuut opnieuw proberen."),
        ("en", "you can try again in 1 minute."),
    ],
)
def test_a_locked_out_login_counts_its_minutes_in_the_pages_language(
    client, settings, language, text
):
    settings.LOGIN_FAILURES_ALLOWED = 1
    settings.LOGIN_LOCKOUT_SECONDS = 60
    processor = logged_in_processor(client)
    client.logout()
    login = reverse("onboarding:login")
    client.post(
        login, {"email": processor.email, "password": "fout"}, HTTP_ACCEPT_LANGUAGE=language
    )

    locked = client.post(
        login,
        {"email": processor.email, "password": PORTAL_PASSWORD},
        HTTP_ACCEPT_LANGUAGE=language,
    )

    assert locked.status_code == 429
    assert text in " ".join(locked.content.decode().split())
    assert 'id="error-summary"' in locked.content.decode()
