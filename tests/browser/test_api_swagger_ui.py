"""The API's self-hosted Swagger UI works under the portal's Content-Security-Policy: a client
authorizes with client credentials in the page and runs a request (issue 14, point 5)."""

from __future__ import annotations

import pytest

from tests.api.conftest import make_app, make_link
from tests.browser.test_registration_journey import TIMEOUT_MS, _collect_console_errors
from tests.employers.conftest import make_processor

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_swagger_ui_authorizes_with_client_credentials_and_reads_the_links(browser, live_server):
    app = make_app("swagger")
    link = make_link(make_processor(), 1)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    errors = _collect_console_errors(page)

    response = page.goto(f"{live_server.url}/api/v1/docs/swagger/")

    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert "unsafe-inline" not in response.headers["content-security-policy"]
    page.wait_for_selector(".opblock")
    page.locator("button.authorize").first.click()
    page.fill("input#client_id_clientCredentials", app.client_id)
    page.fill("input#client_secret_clientCredentials", app.secret)
    page.locator("label[for=read-clientCredentials-checkbox-oauth2]").click()
    page.locator(".auth-btn-wrapper button.authorize").click()
    page.locator(".auth-container h6", has_text="Authorized").wait_for()
    page.get_by_role("button", name="Close").first.click()

    operation = page.locator("#operations-links-links_list")
    operation.locator(".opblock-summary").click()
    operation.locator("button.try-out__btn").click()
    operation.locator("button.execute").click()
    result = operation.locator(".live-responses-table tbody .response-col_status").first
    result.wait_for()

    assert result.inner_text().strip() == "200"
    assert link.employer_name in operation.locator(".live-responses-table").inner_text()
    assert errors == []
