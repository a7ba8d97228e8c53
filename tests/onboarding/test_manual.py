"""The a.s.r. manual as a portal page (/handleiding/), and every step reference numbered from it
and linked to it (issue 11, finding 4)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from locket_client.diagnose import Finding
from locket_client.problems import MANUAL_PARTS, MANUAL_STEPS, ProblemCode, manual_step
from tests.onboarding.factories import PayrollProcessorFactory

pytestmark = pytest.mark.django_db

MANUAL = "/handleiding/"


def _page(client, url: str, language: str = "nl") -> str:
    response = client.get(url, headers={"accept-language": language})
    assert response.status_code == 200
    return response.content.decode()


def _ids(html: str) -> set[str]:
    return set(re.findall(r'\bid="([^"]+)"', html))


def _step_headings(html: str) -> dict[int, str]:
    """Step number -> heading text of the section ``stap-N``."""
    headings = {}
    for number, text in re.findall(r'<h2 id="stap-(\d)-title">([^<]+)</h2>', html):
        headings[int(number)] = text
    return headings


@pytest.mark.parametrize(("language", "word"), [("nl", "Stap"), ("en", "Step")], ids=["nl", "en"])
def test_the_manual_page_has_the_five_steps_each_with_its_anchor(client, language, word):
    html = _page(client, MANUAL, language)

    assert f'<html lang="{language}">' in html
    assert {f"stap-{n}" for n in range(1, 6)} <= _ids(html)
    headings = _step_headings(html)
    assert sorted(headings) == [1, 2, 3, 4, 5]
    for number, heading in headings.items():
        assert heading.startswith(f"{word} {number}:"), heading


def test_the_english_manual_is_english_and_keeps_the_loket_nl_screen_names(client):
    html = _page(client, MANUAL, "en")

    assert "Step 3: Set up the details" in html
    assert "Webservicepartij" in html  # the name on the Loket.nl screen, explained in English
    for dutch in ("Verzoek indienen", "Gegevens instellen", "werkgever(s)", " u ", "Stap "):
        assert dutch not in html, dutch


def test_every_problem_s_manual_step_is_an_anchor_on_the_manual_page(client):
    ids = _ids(_page(client, MANUAL))

    assert set(MANUAL_STEPS) == {1, 2, 3, 4, 5}
    for part in MANUAL_PARTS:
        assert f"stap-3-{part}" in ids, part
    for code in ProblemCode:
        step = manual_step(code)
        if step:
            assert step.anchor in ids, code
            assert f"stap-{step.number}" in ids, code
            assert f"stap {step.number}" in step, code  # the label says the same number


def test_only_the_problems_nobody_can_fix_have_no_step():
    without = {code for code in ProblemCode if not manual_step(code)}

    assert without == {ProblemCode.TIJDELIJK_ONBEREIKBAAR, ProblemCode.ONVERWACHT_ANTWOORD}


def test_a_finding_on_the_status_page_links_to_its_step_of_the_manual(client):
    findings = [
        Finding(ProblemCode.VERKEERDE_WEBSERVICEPARTIJ, detail="Andere Partij B.V."),
        Finding(ProblemCode.OMGEVING_ONBEKEND),
    ]
    processor = PayrollProcessorFactory(
        check_failed=True, check_findings=[finding.as_dict() for finding in findings]
    )

    html = _page(client, reverse("onboarding:status", args=[processor.status_token]))

    assert (
        f'<a class="finding-step" href="{MANUAL}#stap-1">{escape("Handleiding: stap 1")}</a>'
        in html
    )
    assert (
        f'<a class="finding-step" href="{MANUAL}#stap-3-omgevingscode">'
        f"{escape('Handleiding: stap 3, Omgevingscode')}</a>" in html
    )
    assert '<strong class="finding-step">' not in html


def test_the_home_page_links_to_the_manual_and_numbers_its_steps_as_the_manual_does(client):
    home = _page(client, reverse("onboarding:home"))
    steps = home[home.index('<section class="steps">') :]
    items = re.findall(r"<li>(.*?)</li>", steps, flags=re.S)

    assert f'href="{MANUAL}"' in home
    assert len(items) == 5
    for number, item in enumerate(items, start=1):
        assert f'href="{MANUAL}#stap-{number}">Handleiding: stap {number}</a>' in item


def test_the_register_page_help_links_the_steps_it_names_to_the_manual(client):
    html = _page(client, reverse("onboarding:register"))

    assert f'<a href="{MANUAL}#stap-4">stap 4 van de handleiding</a>' in html
    assert f'<a href="{MANUAL}#stap-1">stap 1</a>' in html
    assert f'<a href="{MANUAL}#stap-2">stap 2</a>' in html
    assert f'<a href="{MANUAL}#stap-3">3</a>' in html
    manual = _step_headings(_page(client, MANUAL))
    # What the register page says of each step is what the manual's step is about.
    assert "aanmeldformulier" in manual[4]
    assert "Verzoek" in manual[1]
    assert "webservicegebruiker" in manual[2]


def test_the_manual_step_label_follows_the_active_language():
    with translation.override("en"):
        step = manual_step(ProblemCode.NIET_ZICHTBAAR)
    assert step == "Manual: step 3, AK user"
    assert step.anchor == "stap-3-ak-gebruiker"
