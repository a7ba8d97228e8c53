"""The status page turns from "being checked" to "check passed" by itself while a real Celery
worker checks the credentials: the sandbox's ``TRAAG`` environment answers after a few seconds,
so the browser sees the page before the check is done and must update without a reload."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from onboarding.models import PayrollProcessor
from tests.browser.test_registration_journey import TIMEOUT_MS, _collect_console_errors
from tests.conftest import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_the_status_page_turns_to_check_passed_without_a_reload(
    browser,
    live_server,
    loket_settings,
    celery_worker_process,
) -> None:
    page = browser.new_context(locale="nl-NL").new_page()
    page.set_default_timeout(TIMEOUT_MS)
    errors = _collect_console_errors(page)
    page.goto(f"{live_server.url}/aanmelden/")
    page.fill("#id_company_name", "Traag Salarisbureau B.V.")
    page.fill("#id_email", "traag@salarisbureau.example")
    page.fill("#id_loket_username", "ws-benefits")
    page.fill("#id_loket_password", DEMO_PASSWORD)
    page.fill("#id_omgevingscode", "TRAAG")
    page.check("#id_consent")
    page.get_by_role("button", name="Aanmelden en controleren").click()

    # The form answers the same for every registration (issue 13); the status link is mailed.
    expect(page).to_have_url(re.compile(r"/aanmelden/ontvangen/$"))
    token = PayrollProcessor.objects.get(email="traag@salarisbureau.example").status_token
    page.goto(f"{live_server.url}/aanmelding/{token}/")
    navigations: list[str] = []
    page.on(
        "framenavigated",
        lambda frame: navigations.append(frame.url) if frame == page.main_frame else None,
    )
    region = page.locator("#status-region")
    expect(region).not_to_contain_text("De controle is geslaagd.")
    expect(region).to_contain_text("De controle is geslaagd.", timeout=30_000)
    expect(region).to_contain_text("Uw webservicegebruiker ziet 3 werkgevers.")
    assert navigations == [], "the status page was reloaded instead of updating itself"
    assert errors == []
