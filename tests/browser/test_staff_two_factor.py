"""A staff user's two-factor authentication in headless Chromium: the first login sets up the
authenticator app (the test reads the key off the page and computes the app's codes, RFC 6238),
shows the ten recovery codes once; a later login asks for the app's code, another takes a
recovery code, which does not work a second time."""

from __future__ import annotations

from base64 import b32decode

import pytest
from django.contrib.auth import get_user_model
from django_otp.oath import totp

from tests.browser.test_registration_journey import TIMEOUT_MS, _collect_console_errors

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

STAFF_PASSWORD = "Beheer-Tweestaps#2026"


def _code(secret: str, *, ahead: int = 0) -> str:
    """What the app shows (``ahead`` time steps later: the portal accepts the next step too)."""
    key = b32decode(secret.replace(" ", "") + "=" * (-len(secret.replace(" ", "")) % 8))
    return f"{totp(key, step=30, t0=0, digits=6, drift=ahead):06d}"


def _password_login(page, base: str) -> None:
    page.goto(f"{base}/beheer/login/?next=/beheer/")
    page.fill("#id_username", "beheerder")
    page.fill("#id_password", STAFF_PASSWORD)
    with page.expect_navigation():
        page.locator("#login-form [type=submit]").click()


def _log_out(page) -> None:
    page.goto(page.url.split("/beheer/")[0] + "/beheer/")
    with page.expect_navigation():
        page.locator("#logout-form button").click()


def test_a_staff_user_sets_up_two_factor_and_logs_in_with_a_code_or_a_recovery_code(
    browser, live_server, settings
) -> None:
    settings.STAFF_TWO_FACTOR_REQUIRED = True
    get_user_model().objects.create_superuser("beheerder", "beheer@asr.example", STAFF_PASSWORD)
    context = browser.new_context(locale="nl-NL", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    errors = _collect_console_errors(page)
    base = live_server.url

    # First login: straight to the set-up page, QR code drawn inline.
    _password_login(page, base)
    assert "/beheer/tweestapsverificatie/instellen/" in page.url
    assert page.locator(".qr svg").is_visible()
    secret = page.locator("#otp-secret").inner_text()
    page.fill("#id_code", "000000" if _code(secret) != "000000" else "111111")
    with page.expect_navigation():
        page.locator("main form.form button[type=submit]").click()
    assert page.locator("#id_code_error").is_visible()
    page.wait_for_timeout(1100)  # django-otp refuses any code for a second after a wrong one
    page.fill("#id_code", _code(secret))
    with page.expect_navigation():
        page.locator("main form.form button[type=submit]").click()
    codes = [c.replace(" ", "") for c in page.locator("#recovery-codes code").all_inner_texts()]
    assert len(set(codes)) == 10
    with page.expect_navigation():
        page.get_by_role("link", name="Verder naar het beheer").click()
    assert page.url == f"{base}/beheer/"
    assert page.locator("#site-name").is_visible()

    # Second login: the admin asks for the app's code.
    _log_out(page)
    _password_login(page, base)
    assert "/beheer/tweestapsverificatie/code/" in page.url
    page.goto(f"{base}/beheer/onboarding/payrollprocessor/")
    assert "/beheer/tweestapsverificatie/code/" in page.url  # the admin stays closed
    page.fill("#id_code", _code(secret, ahead=1))
    with page.expect_navigation():
        page.locator("main form.form button[type=submit]").click()
    assert page.url == f"{base}/beheer/onboarding/payrollprocessor/"

    # Third login: a recovery code, once.
    _log_out(page)
    _password_login(page, base)
    page.fill("#id_code", codes[0])
    with page.expect_navigation():
        page.locator("main form.form button[type=submit]").click()
    assert page.url == f"{base}/beheer/"
    _log_out(page)
    _password_login(page, base)
    page.fill("#id_code", codes[0])
    with page.expect_navigation():
        page.locator("main form.form button[type=submit]").click()
    assert "/beheer/tweestapsverificatie/code/" in page.url
    assert "al gebruikt" in page.locator("#id_code_error").inner_text()

    errors = [e for e in errors if "the server responded with a status of 4" not in e]
    assert errors == []
    context.close()
