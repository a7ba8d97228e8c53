"""Dutch pages speak Dutch and English pages English: the processor's and the employer's pages
and forms, their error messages (Django's own among them) and their counts.

The msgids are Dutch; English comes from locale/en. Django's own messages come from Django's
catalogues, where Django 5.2's Dutch lacks a few (locale/nl fills them in).
"""

from __future__ import annotations

import html
import re

import pytest
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from onboarding.models import Status
from tests.onboarding.factories import (
    PayrollProcessorFactory,
    UserFactory,
    logged_in_processor,
)

pytestmark = pytest.mark.django_db


# What Django says in English when a Dutch catalogue lacks the text.
ENGLISH_DJANGO = (
    "This field",
    "This password",
    "This value",
    "Enter a valid",
    "Ensure this value",
    "Select a valid",
    "The two password",
    "The password is too similar",
    "Your password",
    "Password confirmation",
    "New password",
    "Enter the same password",
)

# Words only an untranslated (Dutch) text puts on an English page. Loket.nl's own screen terms
# (webservicegebruiker, omgevingscode, loonheffingennummer, Webservicepartij) may stay.
DUTCH_WORDS = (
    "aanmelden",
    "aanmelding",
    "aangemeld",
    "inloggen",
    "werkgever",
    "werkgevers",
    "wachtwoord",
    "gegevens",
    "controle",
    "controleren",
    "salarisverwerker",
    "salarisverwerkers",
    "salariskoppeling",
    "bedrijfsnaam",
    "uw",
    "niet",
    "opnieuw",
    "vul",
    "zoeken",
    "pagina",
    "vorige",
    "volgende",
    "verplicht",
    "fout",
    "wordt",
    "hebt",
)
_DUTCH = re.compile(r"\b(" + "|".join(DUTCH_WORDS) + r")\b", re.IGNORECASE)


def _text(page: str) -> str:
    """The text a person reads in <title> and <main> (header and footer are base.html's)."""
    title = re.search(r"<title>(.*?)</title>", page, re.S).group(1)
    main = re.search(r"<main\b.*?</main>", page, re.S).group(0)
    main = re.sub(r"<(script|style)\b.*?</\1>", " ", main, flags=re.S)
    text = html.unescape(re.sub(r"<[^>]+>", " ", title + " " + main))
    # An e-mail address is a name, not text (a.s.r.'s is salariskoppeling@asr.nl in any language).
    return re.sub(r"\S+@\S+", " ", text)


def _get(client, url: str, language: str, **kwargs):
    return client.get(url, HTTP_ACCEPT_LANGUAGE=language, **kwargs)


def _post(client, url: str, data: dict, language: str):
    return client.post(url, data, HTTP_ACCEPT_LANGUAGE=language)


def _activation_url(processor) -> str:
    uid = urlsafe_base64_encode(force_bytes(processor.user.pk))
    return reverse(
        "onboarding:activate",
        args=[uid, default_token_generator.make_token(processor.user)],
    )


def _confirmed_with_user():
    return PayrollProcessorFactory(confirmed=True, user=UserFactory())


def _post_activation(client, processor, password: str, language: str):
    form = _get(client, _activation_url(processor), language, follow=True)
    target = form.redirect_chain[-1][0]
    return _post(client, target, {"new_password1": password, "new_password2": password}, language)


# --- the invalid forms -----------------------------------------------------------------------


def _invalid_forms(client, language: str) -> dict[str, str]:
    """Each form of the processor's and the employer's pages, posted with mistakes."""
    pages = {}
    pages["register"] = _post(
        client,
        reverse("onboarding:register"),
        {"email": "geen-adres", "omgevingscode": "met spatie", "loket_password": "x"},
        language,
    ).content.decode()
    pages["login"] = _post(
        client, reverse("onboarding:login"), {"email": "geen-adres", "password": ""}, language
    ).content.decode()
    pages["activation, short"] = _post_activation(
        client, _confirmed_with_user(), "kort1!", language
    ).content.decode()
    pages["activation, common"] = _post_activation(
        client, _confirmed_with_user(), "password1234", language
    ).content.decode()
    pages["employer request"] = _post(
        client,
        reverse("employers:request_form"),
        {"kvk_number": "12", "tax_numbers": "123", "contact_email": "geen-adres"},
        language,
    ).content.decode()
    processor = PayrollProcessorFactory()  # (the findings of a failed check are locket_client's)
    pages["correction"] = _post(
        client,
        reverse("onboarding:correct", args=[processor.status_token]),
        {"loket_username": "", "omgevingscode": "met spatie"},
        language,
    ).content.decode()
    return pages


def test_refused_forms_on_dutch_pages_show_no_english_django_message(client):
    for name, page in _invalid_forms(client, "nl").items():
        assert 'class="error-summary"' in page, name
        text = _text(page)
        found = [fragment for fragment in ENGLISH_DJANGO if fragment in text]
        assert found == [], f"{name}: {found}"


def test_the_dutch_activation_page_says_in_dutch_that_a_password_is_too_short(client):
    page = _post_activation(client, _confirmed_with_user(), "kort1!", "nl").content.decode()

    assert "Dit wachtwoord is te kort. Het moet minstens 12 tekens lang zijn." in page


def test_refused_forms_on_english_pages_are_english(client):
    pages = _invalid_forms(client, "en")

    assert "Please check the following" in pages["register"]
    assert "Enter a valid e-mail address, for example salaris@kantoor.nl." in pages["register"]
    assert "Enter the user name of the web service user." in pages["register"]
    assert "Enter a valid email address." in pages["login"]
    assert "This field is required." in pages["login"]
    assert (
        "This password is too short. It must contain at least 12 characters."
        in (pages["activation, short"])
    )
    assert "This password is too common." in pages["activation, common"]
    assert "Enter your company&#x27;s name." in pages["employer request"]
    assert (
        "A KvK number (Chamber of Commerce number) has exactly 8 digits."
        in pages["employer request"]
    )
    assert "Enter the user name of the web service user." in pages["correction"]
    for name, page in pages.items():
        found = sorted({m.group(0).lower() for m in _DUTCH.finditer(_text(page))})
        assert found == [], f"{name}: Dutch on the English page: {found}"


# --- the English pages -------------------------------------------------------------------------


def _english_pages(client) -> dict[str, str]:
    pages = {}
    for name, url in {
        "home": reverse("onboarding:home"),
        "register": reverse("onboarding:register"),
        "login": reverse("onboarding:login"),
        "directory": reverse("onboarding:directory"),
        "employer request": reverse("employers:request_form"),
        "activation, invalid": reverse("onboarding:activate", args=["MQ", "bad-token"]),
    }.items():
        pages[name] = _get(client, url, "en").content.decode()

    for status, kwargs in {
        "submitted": {},
        "check_passed": {"check_passed": True},
        "confirmed": {"confirmed": True},
        "rejected": {"status": Status.REJECTED, "rejection_reason": "Test"},
    }.items():
        processor = PayrollProcessorFactory(**kwargs)
        url = reverse("onboarding:status", args=[processor.status_token])
        pages[f"status, {status}"] = _get(client, url, "en").content.decode()

    processor = _confirmed_with_user()
    pages["activation"] = _get(client, _activation_url(processor), "en", follow=True).content
    pages["activation"] = pages["activation"].decode()

    confirmed = PayrollProcessorFactory(confirmed=True)
    from employers.models import EmployerRequest

    done = EmployerRequest.objects.create(
        company_name="Bakkerij Test",
        kvk_number="12345678",
        contact_name="Jan",
        contact_email="jan@bakkerij.example",
        processor=confirmed,
        consent_at=timezone.now(),
        verified_at=timezone.now(),
        status="open",
    )
    from employers.views.employer import done_token

    pages["employer request, done"] = _get(
        client, reverse("employers:request_done", args=[done_token(done.pk)]), "en"
    ).content.decode()

    logged_in_processor(client, check_employer_count=10000)
    pages["dashboard"] = _get(client, reverse("onboarding:dashboard"), "en").content.decode()
    return pages


def test_english_pages_contain_no_dutch(client):
    for name, page in _english_pages(client).items():
        assert '<html lang="en"' in page, name
        found = sorted({m.group(0).lower() for m in _DUTCH.finditer(_text(page))})
        assert found == [], f"{name}: Dutch on the English page: {found}"


def test_the_rate_limit_page_is_english_on_an_english_page(client, rf):
    from onboarding.http import rate_limited_response
    from onboarding.ratelimit import RateLimited

    request = rf.get("/", HTTP_ACCEPT_LANGUAGE="en")
    with translation.override("en"):
        page = rate_limited_response(request, RateLimited(retry_after=120)).content.decode()
    assert "Too many checks; please try again in 2 minutes." in page
    assert _DUTCH.search(_text(page)) is None


@pytest.mark.parametrize(
    ("language", "shown"), [("nl", "10.000 werkgevers"), ("en", "10,000 employers")]
)
def test_counts_are_grouped_per_language(client, language, shown):
    logged_in_processor(client, check_employer_count=10000)

    page = _get(client, reverse("onboarding:dashboard"), language).content.decode()

    assert shown in page
    assert settings.USE_THOUSAND_SEPARATOR is False
