from __future__ import annotations

import pytest
from django.urls import reverse


@pytest.mark.django_db
def test_the_home_page_explains_the_steps_in_dutch(client):
    response = client.get(reverse("onboarding:home"))

    assert response.status_code == 200
    assert "Salariskoppeling met Loket.nl" in response.content.decode()
    assert response["Content-Language"] == "nl"


@pytest.mark.django_db
def test_healthz_answers_ok_when_the_database_answers(client):
    response = client.get(reverse("onboarding:healthz"))

    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert "no-cache" in response["Cache-Control"]


def test_the_home_page_refuses_a_post(client):
    assert client.post(reverse("onboarding:home")).status_code == 405


def _links(html: str) -> set[str]:
    import re

    return set(re.findall(r'<a [^>]*href="([^"]+)"', html))


@pytest.mark.django_db
def test_the_home_page_is_the_way_in_for_processors_and_employers(client):
    html = client.get(reverse("onboarding:home")).content.decode()

    assert {
        reverse("onboarding:register"),
        reverse("onboarding:dashboard"),
        reverse("onboarding:directory"),
        reverse("employers:request_form"),
    } <= _links(html)
    assert "Aanmelden als salarisverwerker" in html


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["onboarding:home", "onboarding:register", "onboarding:directory"])
def test_every_page_header_offers_the_way_to_log_in(client, page):
    """Also the pages served from the per-process page cache: the header is the same for
    everyone, and the account page sends a visitor who is not logged in to the login page."""
    client.get(reverse(page))  # the cached copy is what the second visitor gets
    html = client.get(reverse(page)).content.decode()

    assert f'<a href="{reverse("onboarding:dashboard")}">Inloggen</a>' in html
    answer = client.get(reverse("onboarding:dashboard"))
    assert answer.status_code == 302
    assert answer["Location"].startswith(reverse("onboarding:login"))


@pytest.mark.django_db
def test_the_way_in_reads_english_in_english(client):
    html = client.get(reverse("onboarding:home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert '<html lang="en">' in html
    assert "Register as a payroll processor" in html
    assert ">Log in</a>" in html
    assert "How it works" in html
    assert "Zo werkt het" not in html
    assert "Met de salariskoppeling" not in html
