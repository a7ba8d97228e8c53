"""The a.s.r. admin in headless Chromium at 1280 px: the processors' list fits its page, in
Dutch and in English (no column cut off, nothing to scroll sideways); a link's evidence page
fits a 1280 and a 375 px window (its timeline scrolls in its own box)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from tests.browser.test_registration_journey import TIMEOUT_MS
from tests.onboarding.factories import PayrollProcessorFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

STAFF_PASSWORD = "Beheer-Breedte#2026"


def _processors_with_long_values() -> None:
    """Registrations as the list meets them: long names and addresses, every status's label
    (the longest: "Bevestigd door a.s.r.", "Controle niet geslaagd"), checked and not."""
    now = timezone.now()
    PayrollProcessorFactory(
        company_name="Administratiekantoor Van der Heijden-Vermeulen & Partners B.V.",
        email="salarisadministratie.vanderheijden-vermeulen@administratiekantoor.example",
        loket_username="ws-administratiekantoor-vdheijden-vermeulen",
        omgevingscode="ADMINKANTOOR-NOORD-HOLLAND",
        check_failed=True,
    )
    PayrollProcessorFactory(company_name="Salarisbureau De Vries", confirmed=True)
    PayrollProcessorFactory(company_name="Loonbureau Zuid", check_passed=True)
    PayrollProcessorFactory(company_name="Payroll Oost", status="checking", checked_at=now)


@pytest.mark.parametrize("language", ["nl", "en"])
def test_the_processors_list_fits_a_1280_pixel_wide_window(browser, live_server, language) -> None:
    get_user_model().objects.create_superuser("beheerder", "beheer@asr.example", STAFF_PASSWORD)
    _processors_with_long_values()
    context = browser.new_context(
        locale="nl-NL" if language == "nl" else "en-GB", viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(f"{live_server.url}/beheer/login/")
    page.fill("#id_username", "beheerder")
    page.fill("#id_password", STAFF_PASSWORD)
    page.locator("#login-form [type=submit]").click()

    page.goto(f"{live_server.url}/beheer/onboarding/payrollprocessor/")

    assert page.locator("html").get_attribute("lang") == language
    table = page.locator("#result_list")
    assert table.locator("tbody tr").count() == 4
    fits = page.evaluate(
        """() => {
            const table = document.querySelector('#result_list');
            const box = table.parentElement.getBoundingClientRect();
            const cells = [...table.querySelectorAll('thead th')].map((th) => {
                const r = th.getBoundingClientRect();
                return {text: th.innerText.trim(), left: r.left, right: r.right};
            });
            return {
                tableScroll: table.scrollWidth,
                container: table.parentElement.clientWidth,
                page: document.documentElement.scrollWidth,
                window: window.innerWidth,
                boxLeft: box.left,
                boxRight: box.right,
                cells,
            };
        }"""
    )
    clipped = [c["text"] for c in fits["cells"] if c["right"] > fits["boxRight"] + 0.5]
    assert clipped == [], fits
    assert fits["tableScroll"] <= fits["container"], fits
    assert fits["page"] <= fits["window"], fits
    context.close()


def _log_in(browser, live_server, language: str, width: int):
    context = browser.new_context(
        locale="nl-NL" if language == "nl" else "en-GB", viewport={"width": width, "height": 900}
    )
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(f"{live_server.url}/beheer/login/")
    page.fill("#id_username", "beheerder")
    page.fill("#id_password", STAFF_PASSWORD)
    page.locator("#login-form [type=submit]").click()
    return context, page


@pytest.mark.parametrize("width", [1280, 375])
@pytest.mark.parametrize("language", ["nl", "en"])
def test_the_evidence_page_of_a_link_fits_the_window(
    browser, live_server, loket_settings, language, width
) -> None:
    from employers import services
    from employers.models import EmployerLink, VerificationMethod
    from tests.employers.conftest import E1, make_processor

    get_user_model().objects.create_superuser("beheerder", "beheer@asr.example", STAFF_PASSWORD)
    processor = make_processor("ws-benefits")
    submitted = services.request_submit(
        company_name="Administratiekantoor Van der Heijden-Vermeulen & Partners B.V.",
        kvk_number="12345678",
        tax_numbers=["144068989L01"],
        contact_name="Jan van Dijk",
        contact_email="salarisadministratie.vanderheijden-vermeulen@administratiekantoor.example",
        processor=processor,
    )
    services.request_verify(
        request_id=submitted.pk, method=VerificationMethod.REVIEW, actor_label="medewerker anna"
    )
    services.links_register(processor=processor, employer_ids=[E1], by=None)
    link = EmployerLink.objects.get()
    services.links_recheck(processor=processor, trigger="dagelijkse hercontrole")
    context, page = _log_in(browser, live_server, language, width)

    page.goto(f"{live_server.url}/beheer/employers/employerlink/{link.pk}/bewijs/")

    assert page.locator("html").get_attribute("lang") == language
    assert page.locator(".evidence-timeline tbody tr").count() >= 6
    download = page.locator(f"a[href$='/{link.pk}/bewijs.json']")
    assert download.count() == 1
    fits = page.evaluate(
        "() => ({page: document.documentElement.scrollWidth, window: window.innerWidth})"
    )
    assert fits["page"] <= fits["window"], fits
    context.close()


AXE_ON_OVERVIEW = """async (tags) => {
  const result = await axe.run("#content-main", {runOnly: {type: "tag", values: tags},
                                                  resultTypes: ["violations"]});
  return result.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target)})`);
}"""


@pytest.mark.parametrize("width", [1280, 375])
@pytest.mark.parametrize("language", ["nl", "en"])
def test_the_deliveries_overview_fits_the_window_and_its_chart_is_accessible(
    browser, live_server, language, width
) -> None:
    """Issue 14: the overview of the latest closed month, with processors of long names and
    every state; its content (chart, table, period navigation) passes axe-core's WCAG 2.2 AA
    rules and nothing scrolls sideways at 1280 or 375 px."""
    from deliveries import periods
    from deliveries.models import DeliveryStatus
    from tests.browser.test_every_page import AXE_DIR, AXE_VERSION, WCAG_TAGS
    from tests.deliveries_ui.conftest import make_delivery, make_link
    from tests.employers.conftest import make_processor

    get_user_model().objects.create_superuser("beheerder", "beheer@asr.example", STAFF_PASSWORD)
    last = periods.last_closed(timezone.localdate(), periods.MONTH)
    long_name = make_processor("ws-lang")
    long_name.company_name = "Administratiekantoor Van der Heijden-Vermeulen & Partners B.V."
    long_name.save(update_fields=["company_name"])
    states = [DeliveryStatus.DELIVERED] * 40 + [DeliveryStatus.FAILED] * 3
    states += [DeliveryStatus.PENDING, DeliveryStatus.RETRIEVING, DeliveryStatus.STOPPED]
    for state in states:
        make_delivery(make_link(long_name), last, state)
    small = make_processor("ws-klein")
    for state in (DeliveryStatus.DELIVERED, DeliveryStatus.FAILED, DeliveryStatus.PENDING):
        make_delivery(make_link(small), last, state)
    context, page = _log_in(browser, live_server, language, width)

    page.goto(f"{live_server.url}/beheer/deliveries/deliveryoverview/")

    assert page.locator("html").get_attribute("lang") == language
    chart = page.locator("svg[role=img]")
    assert chart.count() == 1
    assert chart.locator(".overview-chart__bar").count() == 2
    box = chart.bounding_box()
    assert 0 < box["width"] <= width
    assert page.locator("#overview-table tbody tr").count() == 2
    assert page.locator("#overview-table tfoot td").first.inner_text() == "41"
    fits = page.evaluate(
        "() => ({page: document.documentElement.scrollWidth, window: window.innerWidth})"
    )
    assert fits["page"] <= fits["window"], fits
    page.evaluate((AXE_DIR / "axe.min.js").read_text(encoding="utf-8"))
    assert page.evaluate("axe.version") == AXE_VERSION
    assert page.evaluate(AXE_ON_OVERVIEW, WCAG_TAGS) == []
    context.close()
