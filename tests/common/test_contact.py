"""a.s.r.'s contact details are a setting, shown in every page's footer."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_every_page_footer_shows_the_contact_details_from_the_settings(client, settings) -> None:
    settings.ASR_CONTACT_EMAIL = "hulp@asr.example"
    settings.ASR_CONTACT_PHONE = "030 123 4567"
    settings.ASR_CONTACT_OPENS = "09:00"
    settings.ASR_CONTACT_CLOSES = "16:30"
    for url in (
        reverse("onboarding:home"),
        reverse("onboarding:register"),
        reverse("onboarding:login"),
    ):
        page = client.get(url).content.decode()
        footer = page[page.index('<footer class="site-footer">') :]
        assert 'href="mailto:hulp@asr.example"' in footer, url
        assert 'href="tel:+31301234567"' in footer, url
        assert "09:00\u201316:30" in footer, url  # an en dash between the times


def test_the_footer_speaks_english_on_an_english_page(client) -> None:
    page = client.get(
        reverse("onboarding:home"), headers={"accept-language": "en"}
    ).content.decode()
    footer = page[page.index('<footer class="site-footer">') :]
    assert "Questions? Contact a.s.r." in footer
    assert "Neem contact op" not in footer
