"""The Werkgevers page in headless Chromium at desktop (1280) and phone (375) widths, Dutch and
English (issue 11, finding 8 and 10): the content starts where the header does, the table fits
(nothing of "Wat te doen" cut off), a phone never scrolls sideways and reads each employer as a
block of labelled lines, "select all on this page" works, and "register everything that
matches" asks for confirmation first."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import Page, expect

from employers.models import EmployerLink
from tests.browser.test_registration_journey import TIMEOUT_MS, _collect_console_errors
from tests.employers.conftest import make_processor, submit_verified
from tests.onboarding.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = {"desktop": (1280, 900), "phone": (375, 740)}
TEXTS = {
    "nl": {
        "locale": "nl-NL",
        "todo": "Wat te doen",
        "select_page": "Alle werkgevers op deze pagina selecteren",
        "register_all": "die aan het filter voldoen aanmelden",
        "confirm": "3 werkgevers aanmelden?",
        "cancel": "Annuleren",
    },
    "en": {
        "locale": "en-GB",
        "todo": "What to do",
        "select_page": "Select all employers on this page",
        "register_all": "employers that match the filter",
        "confirm": "Register 3 employers?",
        "cancel": "Cancel",
    },
}

# Elements that stick out past the viewport's right edge (visually hidden ones excluded).
_OVERFLOWING = """() => Array.from(document.querySelectorAll('body *'))
  .filter(e => { const r = e.getBoundingClientRect();
                 return r.width > 1 && r.height > 1 && r.right > window.innerWidth + 0.5; })
  .map(e => e.tagName + '.' + e.className)"""


def _processor_with_rows():
    """ws-benefits sees three employers; one of them has asked for the link, and a fourth
    request names a number the web-service user does not see (a problem with a long text)."""
    processor = make_processor()
    processor.user = UserFactory()
    processor.save(update_fields=["user"])
    for name, kvk, number in (
        ("Bakkerij Van Dijk B.V.", "12345678", "144068989L01"),
        ("Transport Jansen B.V.", "45678901", "211946217L01"),
    ):
        submit_verified(
            company_name=name,
            kvk_number=kvk,
            tax_numbers=[number],
            contact_name="Jan van Dijk",
            contact_email="jan.van.dijk@bakkerij-van-dijk.example",
            processor=processor,
        )
    return processor


def _logged_in_page(browser, live_server, user, language: str, width: int, height: int) -> Page:
    client = Client()
    client.force_login(user)
    context = browser.new_context(
        locale=TEXTS[language]["locale"], viewport={"width": width, "height": height}
    )
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    return page


def _assert_no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    inner = page.evaluate("window.innerWidth")
    overflowing = page.evaluate(_OVERFLOWING)
    assert width <= inner, f"the page is {width} px wide in a {inner} px viewport: {overflowing}"
    assert overflowing == []


@pytest.mark.parametrize("language", ["nl", "en"])
@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_the_werkgevers_page_fits_the_screen_and_lines_up_with_the_header(
    browser, live_server, loket_settings, in_process_tasks, language, size
) -> None:
    processor = _processor_with_rows()
    width, height = WIDTHS[size]
    texts = TEXTS[language]
    page = _logged_in_page(browser, live_server, processor.user, language, width, height)
    errors = _collect_console_errors(page)

    page.goto(f"{live_server.url}/account/werkgevers/")

    assert page.evaluate("document.documentElement.lang") == language
    table = page.locator("table.werkgevers")
    expect(table).to_be_visible()
    _assert_no_sideways_scroll(page)
    box = table.bounding_box()
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= width
    # Nothing of the table hides in its scroller (the last column was cut off at 1280).
    scroller = page.evaluate(
        "(() => { const s = document.querySelector('.table-scroll');"
        " return [s.scrollWidth, s.clientWidth]; })()"
    )
    assert scroller[0] <= scroller[1], scroller
    header_x = page.locator(".site-header .brand").bounding_box()["x"]
    content_x = page.locator("main h1").bounding_box()["x"]
    assert content_x == header_x
    problem_row = page.locator("tr.werkgever--problem")
    todo = problem_row.locator(".werkgever__todo")
    todo_box = todo.bounding_box()
    assert todo_box["x"] + todo_box["width"] <= width
    if size == "desktop":
        heading = page.get_by_role("columnheader", name=texts["todo"])
        heading_box = heading.bounding_box()
        assert heading_box["x"] + heading_box["width"] <= width
    else:
        # A block per employer: the name on top, each value with its label.
        assert page.evaluate("getComputedStyle(document.querySelector('thead')).position") == (
            "absolute"
        )
        label = todo.evaluate("e => getComputedStyle(e, '::before').content")
        assert label == f'"{texts["todo"]}"'
        name_box = problem_row.locator("th").bounding_box()
        assert name_box["y"] < todo_box["y"]
    # Still a table to assistive technology, with its column headings.
    assert page.get_by_role("table").count() == 1
    assert page.get_by_role("columnheader", name=texts["todo"]).count() == 1
    assert page.get_by_role("rowheader", name="Transport Jansen B.V.").count() == 1

    # Select all on this page: every box on the page, and back.
    boxes = page.locator('input[name="employer_id"]')
    assert boxes.count() == 3
    select_page = page.get_by_label(texts["select_page"])
    select_page.check()
    for n in range(boxes.count()):
        expect(boxes.nth(n)).to_be_checked()
    boxes.nth(0).uncheck()
    assert select_page.evaluate("e => e.indeterminate") is True
    select_page.check()
    select_page.uncheck()
    for n in range(boxes.count()):
        expect(boxes.nth(n)).not_to_be_checked()

    # Register everything that matches: a confirmation page first, which can be cancelled.
    page.get_by_role("button", name=texts["register_all"]).click()
    expect(page.locator("h1")).to_have_text(texts["confirm"])
    _assert_no_sideways_scroll(page)
    assert not EmployerLink.objects.exists()
    page.get_by_role("link", name=texts["cancel"]).click()
    expect(page).to_have_url(re.compile(r"/account/werkgevers/(\?pagina=1)?$"))
    assert not EmployerLink.objects.exists()
    assert errors == []
