"""Every form of the processor's and the employer's pages, in headless Chromium: after a refused
submit the focus is on the error summary (a screen reader reads it first), and the status page's
correction form is folded away once the check passed, also when it passes while the page is open.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from playwright.sync_api import expect

from onboarding.models import PayrollProcessor, Status
from tests.onboarding.factories import PayrollProcessorFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TIMEOUT_MS = 15_000
PORTAL_PASSWORD = "Zonnebloem-Kade-2026!"


def _page(browser):
    context = browser.new_context(locale="nl-NL", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    return context, context.new_page()


def _submit_and_expect_focus_on_the_summary(page, url: str, button: str) -> None:
    page.goto(url)
    page.get_by_role("button", name=button, exact=True).click()
    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()


def test_after_a_refused_submit_the_focus_is_on_the_error_summary_on_every_form(
    browser, live_server
) -> None:
    submitted = PayrollProcessorFactory()
    confirmed = PayrollProcessorFactory(confirmed=True, user=UserFactory())
    uid = urlsafe_base64_encode(force_bytes(confirmed.user.pk))
    activation = f"/account/activeren/{uid}/{default_token_generator.make_token(confirmed.user)}/"
    active = PayrollProcessorFactory(
        confirmed=True,
        status=Status.ACTIVE,
        activated_at=timezone.now(),
        user=UserFactory(password=PORTAL_PASSWORD),
    )
    context, page = _page(browser)
    base = live_server.url

    _submit_and_expect_focus_on_the_summary(page, f"{base}/aanmelden/", "Aanmelden en controleren")
    _submit_and_expect_focus_on_the_summary(page, f"{base}/account/inloggen/", "Inloggen")
    _submit_and_expect_focus_on_the_summary(
        page, f"{base}{activation}", "Wachtwoord opslaan en inloggen"
    )
    _submit_and_expect_focus_on_the_summary(
        page, f"{base}/salariskoppeling/aanvragen/", "Salariskoppeling aanvragen"
    )
    page.goto(f"{base}/aanmelding/{submitted.status_token}/")
    page.fill("#id_omgevingscode", "met spatie")
    page.get_by_role("button", name="Opslaan en opnieuw controleren").click()
    expect(page.locator("#error-summary")).to_be_focused()

    # The dashboard's form, logged in.
    page.goto(f"{base}/account/inloggen/")
    page.fill("#id_email", active.email)
    page.fill("#id_password", PORTAL_PASSWORD)
    page.get_by_role("button", name="Inloggen", exact=True).click()
    expect(page).to_have_url(f"{base}/account/")
    page.fill("#id_omgevingscode", "met spatie")
    page.get_by_role("button", name="Opslaan en opnieuw controleren").click()
    expect(page.locator("#error-summary")).to_be_focused()
    context.close()


def test_the_correction_form_is_folded_away_once_the_check_passed(browser, live_server) -> None:
    passed = PayrollProcessorFactory(check_passed=True)
    context, page = _page(browser)

    page.goto(f"{live_server.url}/aanmelding/{passed.status_token}/")
    summary = page.locator("#correction > summary")
    expect(summary).to_be_visible()
    expect(page.locator("#id_loket_username")).to_be_hidden()
    summary.click()
    expect(page.locator("#id_loket_username")).to_be_visible()
    context.close()


def test_the_correction_form_folds_when_the_check_passes_while_the_page_is_open(
    browser, live_server
) -> None:
    processor = PayrollProcessorFactory(status=Status.CHECKING, check_requested_at=timezone.now())
    context, page = _page(browser)
    page.goto(f"{live_server.url}/aanmelding/{processor.status_token}/")
    expect(page.locator("#id_loket_username")).to_be_visible()

    PayrollProcessor.objects.filter(pk=processor.pk).update(
        status=Status.CHECK_PASSED,
        check_requested_at=None,
        checked_at=timezone.now(),
        check_employer_count=3,
        check_findings=[],
    )

    expect(page.locator("#status-region")).to_contain_text("De controle is geslaagd.")
    expect(page.locator("#id_loket_username")).to_be_hidden()
    context.close()
