"""Issue 13 in the browser: "Wachtwoord vergeten?" from the login page (request → mail → link →
new password → login) and the password change in the account (another device is logged out).
Celery tasks run in this process after commit, so the mails land in ``mail.outbox``."""

from __future__ import annotations

import re
import time

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from onboarding.models import Status
from tests.browser.test_registration_journey import TIMEOUT_MS, _collect_console_errors
from tests.onboarding.factories import PORTAL_PASSWORD, PayrollProcessorFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EMAIL = "salaris@vergeten.example"
NEW_PASSWORD = "Lindeboom-Gracht-2031?"
RESET_LINK = re.compile(r"https?://[^\s\"'<>]+/account/wachtwoord-herstellen/[^/\s]+/[^/\s]+/")


def _active():
    return PayrollProcessorFactory(
        email=EMAIL,
        confirmed=True,
        status=Status.ACTIVE,
        activated_at=timezone.now(),
        user=UserFactory(password=PORTAL_PASSWORD),
    )


def _reset_link(timeout: float = 10.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in mail.outbox:
            match = RESET_LINK.search(message.body) if message.to == [EMAIL] else None
            if match:
                return match.group(0)
        time.sleep(0.1)
    raise AssertionError(f"no reset mail: {[(m.to, m.subject) for m in mail.outbox]}")


def _log_in(page, base: str, password: str) -> None:
    page.goto(f"{base}/account/inloggen/")
    page.fill("#id_email", EMAIL)
    page.fill("#id_password", password)
    page.locator("form[action$='/account/inloggen/'] button[type=submit]").click()


def test_password_reset_journey_request_mail_link_new_password_login(
    browser, live_server, in_process_tasks, settings
) -> None:
    settings.PORTAL_BASE_URL = live_server.url
    _active()
    context = browser.new_context(locale="nl-NL")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    errors = _collect_console_errors(page)

    page.goto(f"{live_server.url}/account/inloggen/")
    page.get_by_role("link", name="Nieuw wachtwoord aanvragen").click()
    expect(page.locator("h1")).to_have_text("Wachtwoord vergeten")
    page.fill("#id_email", EMAIL)
    page.get_by_role("button", name="Link versturen").click()
    expect(page.locator("h1")).to_have_text("Kijk in uw mailbox")

    page.goto(_reset_link())
    expect(page.locator("h1")).to_have_text("Nieuw wachtwoord kiezen")
    assert "/nieuw-wachtwoord/" in page.url, "the token must leave the address bar"
    page.fill("#id_new_password1", NEW_PASSWORD)
    page.fill("#id_new_password2", NEW_PASSWORD)
    page.get_by_role("button", name="Wachtwoord opslaan").click()
    expect(page).to_have_url(re.compile(r"/account/inloggen/$"))
    expect(page.locator(".messages")).to_contain_text("Uw nieuwe wachtwoord is opgeslagen")

    _log_in(page, live_server.url, NEW_PASSWORD)
    expect(page).to_have_url(f"{live_server.url}/account/")
    assert errors == [], errors
    context.close()


def test_password_change_journey_logs_out_the_other_device(
    browser, live_server, in_process_tasks
) -> None:
    _active()
    here = browser.new_context(locale="nl-NL")
    there = browser.new_context(locale="nl-NL")
    for context in (here, there):
        context.set_default_timeout(TIMEOUT_MS)
    page, other = here.new_page(), there.new_page()
    errors = _collect_console_errors(page)
    _log_in(page, live_server.url, PORTAL_PASSWORD)
    _log_in(other, live_server.url, PORTAL_PASSWORD)
    expect(other).to_have_url(f"{live_server.url}/account/")

    expect(page).to_have_url(f"{live_server.url}/account/")
    page.get_by_role("link", name="Wachtwoord wijzigen").click()
    page.fill("#id_old_password", PORTAL_PASSWORD)
    page.fill("#id_new_password1", NEW_PASSWORD)
    page.fill("#id_new_password2", NEW_PASSWORD)
    page.get_by_role("button", name="Wachtwoord wijzigen").click()
    expect(page).to_have_url(f"{live_server.url}/account/")
    expect(page.locator(".messages")).to_contain_text("Uw wachtwoord is gewijzigd.")

    other.reload()
    expect(other).to_have_url(re.compile(r"/account/inloggen/"))
    assert errors == [], errors
    here.close()
    there.close()
