"""The whole journey of a payroll processor, in headless Chromium against the live server.

Registration form → the status page shows "check passed" without a reload → a.s.r. staff
confirms in the admin → the activation link from the confirmation mail → a portal password →
logging in with e-mail + password → the dashboard. Loket.nl is the sandbox over real HTTP;
Celery tasks run in this process after commit, so the mails land in ``mail.outbox``.
"""

from __future__ import annotations

import re
import secrets
import time

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core import mail
from playwright.sync_api import ConsoleMessage, Page, expect

from onboarding.models import PayrollProcessor, Status
from tests.conftest import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

COMPANY = "Salarisbureau De Vries & Zonen"
EMAIL = "salaris@devries-zonen.example"
SCREENSHOT = "/tmp/journey.png"
TIMEOUT_MS = 15_000  # per Playwright action; the pages answer in milliseconds
ACTIVATION_LINK = re.compile(r"https?://[^\s\"'<>]+/account/activeren/[^/\s]+/[^/\s]+/")


def _collect_console_errors(page: Page) -> list[str]:
    """Console errors and uncaught exceptions of ``page``: a CSP violation shows up here."""
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        # The browser asks for /favicon.ico on its own; the portal has none (a 404, no harm).
        if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
            errors.append(f"{page.url}: {message.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(f"{page.url}: {error}"))
    return errors


def _activation_link(to: str, *, timeout: float = 10.0) -> str:
    """The link in the confirmation mail to ``to`` (the mail task runs right after commit; the
    processor has other mails too, such as the receipt of its registration)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in mail.outbox:
            match = ACTIVATION_LINK.search(message.body) if message.to == [to] else None
            if match:
                return match.group(0)
        time.sleep(0.1)
    raise AssertionError(
        f"no mail with an activation link to {to}: {[(m.to, m.subject) for m in mail.outbox]}"
    )


def _status_link(to: str, *, timeout: float = 10.0) -> str:
    """The status page's link in the receipt mail to ``to``."""
    pattern = re.compile(r"https?://[^\s\"'<>]+/aanmelding/[A-Za-z0-9_-]{16,64}/")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in mail.outbox:
            match = pattern.search(message.body) if message.to == [to] else None
            if match:
                return match.group(0)
        time.sleep(0.1)
    raise AssertionError(f"no receipt with a status link to {to}")


def _staff_with_confirm_permission() -> tuple[str, str]:
    password = secrets.token_urlsafe(18)
    user = get_user_model().objects.create_user(
        username="medewerker-asr",
        email="medewerker@asr.example",
        password=password,
        is_staff=True,
    )
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="onboarding",
            codename__in=["view_payrollprocessor", "confirm_payrollprocessor"],
        )
    )
    return user.username, password


def test_a_processor_registers_is_confirmed_activates_and_sees_its_dashboard(
    browser, live_server, loket_settings, in_process_tasks
) -> None:
    loket_settings.PORTAL_BASE_URL = live_server.url
    context = browser.new_context(locale="nl-NL", viewport={"width": 1100, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    errors = _collect_console_errors(page)

    # 1. The registration form, filled in with the sandbox's web-service user.
    page.goto(f"{live_server.url}/aanmelden/")
    page.fill("#id_company_name", COMPANY)
    page.fill("#id_email", EMAIL)
    page.fill("#id_loket_username", "ws-benefits")
    page.fill("#id_loket_password", DEMO_PASSWORD)
    page.fill("#id_omgevingscode", "DEMO001")
    page.check("#id_consent")
    page.get_by_role("button", name="Aanmelden en controleren").click()

    # 2. The form answers the same for every registration (issue 13); the status page's link
    # comes in the receipt mail. The status page reaches "check passed" by itself (no reload by
    # the test: the page's own script polls while the check is pending).
    expect(page).to_have_url(re.compile(r"/aanmelden/ontvangen/$"))
    expect(page.locator("h1")).to_have_text("Aanmelding ontvangen")
    page.goto(_status_link(EMAIL))
    status_url = page.url
    navigations: list[str] = []
    page.on(
        "framenavigated",
        lambda frame: navigations.append(frame.url) if frame == page.main_frame else None,
    )
    region = page.locator("#status-region")
    expect(region).to_contain_text("De controle is geslaagd.", timeout=30_000)
    expect(region).to_contain_text("Uw webservicegebruiker ziet 3 werkgevers.")
    assert navigations == [], "the status page was reloaded instead of updating itself"
    assert page.url == status_url
    processor = PayrollProcessor.objects.get(email=EMAIL)
    assert processor.status == Status.CHECK_PASSED
    page.screenshot(path="/tmp/journey-1-status.png", full_page=True)

    # 3. a.s.r. staff with the confirm permission confirms it with the admin action.
    username, password = _staff_with_confirm_permission()
    staff_context = browser.new_context(locale="nl-NL", viewport={"width": 1300, "height": 900})
    staff_context.set_default_timeout(TIMEOUT_MS)
    staff = staff_context.new_page()
    staff_errors = _collect_console_errors(staff)
    staff.goto(f"{live_server.url}/beheer/")
    staff.fill("#id_username", username)
    staff.fill("#id_password", password)
    staff.locator("#login-form [type=submit]").click()
    expect(staff).to_have_url(f"{live_server.url}/beheer/")
    staff.goto(f"{live_server.url}/beheer/onboarding/payrollprocessor/")
    expect(staff.locator("#result_list")).to_contain_text(COMPANY)
    staff.check(f"input[name=_selected_action][value='{processor.pk}']")
    staff.select_option("select[name=action]", "confirm")
    staff.locator("button[name=index]").click()
    expect(staff.locator("ul.messagelist")).to_contain_text("1 aanmelding bevestigd")
    staff.screenshot(path="/tmp/journey-2-admin.png", full_page=True)
    processor.refresh_from_db()
    assert processor.status == Status.CONFIRMED

    # 4. The activation link from the confirmation mail: choose a portal password.
    link = _activation_link(EMAIL)
    assert link.startswith(live_server.url)
    portal_password = "Portaal-" + secrets.token_urlsafe(12)
    page.goto(link)
    expect(page.locator("h1")).to_have_text("Wachtwoord instellen")
    assert "/wachtwoord-instellen/" in page.url, "the token must leave the address bar"
    page.screenshot(path="/tmp/journey-3-activate.png", full_page=True)
    page.fill("#id_new_password1", portal_password)
    page.fill("#id_new_password2", portal_password)
    page.get_by_role("button", name="Wachtwoord opslaan en inloggen").click()
    expect(page).to_have_url(f"{live_server.url}/account/")
    processor.refresh_from_db()
    assert processor.status == Status.ACTIVE

    # 5. Log out, and log in again with e-mail address + the new password.
    page.get_by_role("button", name="Uitloggen").click()
    expect(page).to_have_url(re.compile(r"/account/inloggen/"))
    page.fill("#id_email", EMAIL)
    page.fill("#id_password", portal_password)
    page.locator("form[action$='/account/inloggen/'] button[type=submit]").click()

    # 6. The dashboard: the name as shown on the website, and the status.
    expect(page).to_have_url(f"{live_server.url}/account/")
    expect(page.locator(".company")).to_contain_text(COMPANY)
    expect(page.locator(".status-box")).to_contain_text("Actief")
    expect(
        page.get_by_text("Controle geslaagd: uw webservicegebruiker ziet 3 werkgevers.")
    ).to_be_visible()
    page.screenshot(path=SCREENSHOT, full_page=True)

    assert errors == [], errors
    assert staff_errors == [], staff_errors
    context.close()
    staff_context.close()
