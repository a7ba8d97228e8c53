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


# --- issue 13, point 9: a form body in another charset than UTF-8 --------------------------------

FORM_CHARSETS = ["utf-16", "utf-32"]


def _post_in(client: Client, path: str, charset: str, body: str):
    return client.post(
        path,
        data=body,  # the test client encodes it in the charset of the content type
        content_type=f"application/x-www-form-urlencoded; charset={charset}",
        headers={"accept-language": "nl"},
    )


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("charset", FORM_CHARSETS)
def test_a_form_posted_in_utf16_or_utf32_gets_the_400_page_not_a_500(
    contact_settings, settings, charset, debug
):
    settings.DEBUG = debug
    client = Client(raise_request_exception=False)

    response = _post_in(client, "/aanmelden/", charset, "company_name=X&email=a%40b.nl")

    assert response.status_code == 400
    if not debug:
        _assert_error_page(response.content.decode(), "Ongeldig verzoek", "nl")


@pytest.mark.parametrize("charset", FORM_CHARSETS)
def test_a_form_posted_in_utf16_through_the_csrf_check_gets_the_400_page_not_a_500(
    contact_settings, charset
):
    """The CSRF check reads the body (the token is a form field): that must end in the 400 page,
    and the error page must not read the body again."""
    client = Client(raise_request_exception=False, enforce_csrf_checks=True)
    client.get("/aanmelden/")
    token = client.cookies["csrftoken"].value

    response = _post_in(client, "/aanmelden/", charset, f"csrfmiddlewaretoken={token}&x=1")
    login = _post_in(client, "/account/inloggen/", charset, f"csrfmiddlewaretoken={token}&x=1")
    unknown = _post_in(client, "/bestaat-niet/", charset, f"csrfmiddlewaretoken={token}&x=1")

    for answer in (response, login, unknown):
        assert answer.status_code == 400
        _assert_error_page(answer.content.decode(), "Ongeldig verzoek", "nl")


@pytest.mark.parametrize("charset", FORM_CHARSETS)
def test_a_form_posted_in_utf16_without_a_csrf_cookie_gets_the_400_page_too(
    contact_settings, charset
):
    client = Client(raise_request_exception=False, enforce_csrf_checks=True)

    response = _post_in(client, "/aanmelden/", charset, "company_name=X")

    assert response.status_code == 400
    _assert_error_page(response.content.decode(), "Ongeldig verzoek", "nl")


def test_a_utf16_form_gets_the_400_page_from_a_real_server_with_debug_off(
    contact_settings, live_server
):
    """Through a real WSGI server (no test client in between): a plain-text 500 there was the
    server's own answer to an exception escaping the error view."""
    import requests

    session = requests.Session()
    first = session.get(f"{live_server.url}/aanmelden/", timeout=10)
    token = first.cookies["csrftoken"]
    response = session.post(
        f"{live_server.url}/aanmelden/",
        data=f"csrfmiddlewaretoken={token}&company_name=X".encode("utf-16"),
        headers={
            "Content-Type": "application/x-www-form-urlencoded; charset=utf-16",
            "Referer": f"{live_server.url}/aanmelden/",
            "Accept-Language": "nl",
        },
        timeout=10,
    )

    assert response.status_code == 400
    assert response.headers["Content-Type"].startswith("text/html")
    assert "Ongeldig verzoek" in response.text
