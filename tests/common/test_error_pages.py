"""Error pages (400, 403, CSRF failure, 404, 500) in the portal's look, with a way back to the
home page and a.s.r.'s contact details, in Dutch and English (issue 11, finding 2)."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.common.error_urls")]

CASES = {
    400: ("/test-fout/400/", "Ongeldig verzoek", "Bad request"),
    403: ("/test-fout/403/", "Geen toegang", "No access"),
    404: ("/bestaat-niet/", "Pagina niet gevonden", "Page not found"),
    500: ("/test-fout/500/", "Er ging iets mis", "Something went wrong"),
}


@pytest.fixture
def contact_settings(settings):
    settings.DEBUG = False
    settings.ASR_CONTACT_EMAIL = "hulp@asr.example"
    settings.ASR_CONTACT_PHONE = "030 123 4567"
    settings.ASR_CONTACT_OPENS = "09:00"
    settings.ASR_CONTACT_CLOSES = "16:30"


def _main(html: str) -> str:
    """The page's own content, without the footer (which has the contact details anyway)."""
    return html[html.index("<main") : html.index("</main>")]


def _assert_error_page(html: str, heading: str, language: str) -> None:
    assert f'<html lang="{language}">' in html
    assert 'class="site-header"' in html  # the portal's look
    main = _main(html)
    assert f"<h1>{heading}</h1>" in main
    assert 'href="/"' in main  # the way back
    assert 'href="mailto:hulp@asr.example"' in main
    assert 'href="tel:+31301234567"' in main
    assert "09:00–16:30" in main  # noqa: RUF001 (the en dash of the opening hours)


@pytest.mark.parametrize("status", sorted(CASES))
def test_an_error_page_has_the_portal_s_look_the_contact_and_a_way_home_in_dutch(
    contact_settings, status
):
    url, dutch, _english = CASES[status]
    client = Client(raise_request_exception=False)

    response = client.get(url, headers={"accept-language": "nl"})

    assert response.status_code == status
    _assert_error_page(response.content.decode(), dutch, "nl")


@pytest.mark.parametrize("status", sorted(CASES))
def test_an_error_page_is_english_on_an_english_request(contact_settings, status):
    url, dutch, english = CASES[status]
    client = Client(raise_request_exception=False)

    response = client.get(url, headers={"accept-language": "en"})

    html = response.content.decode()
    assert response.status_code == status
    _assert_error_page(html, english, "en")
    assert dutch not in html
    assert "Naar de startpagina" not in html
    assert "Back to the home page" in html


@pytest.mark.parametrize(
    ("language", "heading"), [("nl", "Formulier verlopen"), ("en", "Form expired")]
)
def test_a_form_posted_without_a_valid_csrf_token_gets_the_portal_s_page_with_the_contact(
    contact_settings, language, heading
):
    client = Client(enforce_csrf_checks=True)

    response = client.post(
        "/aanmelden/", {"company_name": "X"}, headers={"accept-language": language}
    )

    assert response.status_code == 403
    html = response.content.decode()
    _assert_error_page(html, heading, language)


def test_a_request_for_an_unknown_host_gets_the_400_page(contact_settings):
    client = Client(raise_request_exception=False)

    response = client.get("/", headers={"host": "elders.example"})

    assert response.status_code == 400
    _assert_error_page(response.content.decode(), "Ongeldig verzoek", "nl")
