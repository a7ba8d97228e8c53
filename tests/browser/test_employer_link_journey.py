"""The salary-link journey in headless Chromium against the live server: the employer requests
the link and picks its processor → the address a.s.r.'s register holds for the policy gets the
confirmation link and confirms → the processor gets the mail → logs in → registers the
employer on its Werkgevers page → the link shows as active. Loket.nl is the sandbox over HTTP;
Celery tasks run in this process after commit, so mails land in ``mail.outbox``."""

from __future__ import annotations

import re
import secrets

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from customers.models import Customer, Policy
from employers.models import EmployerLink, LinkStatus, RequestStatus
from onboarding.crypto import encrypt_secret
from onboarding.models import PayrollProcessor, Status
from tests.browser.test_registration_journey import TIMEOUT_MS, _collect_console_errors
from tests.conftest import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PROCESSOR_EMAIL = "salaris@devries-zonen.example"
REGISTER_EMAIL = "administratie@bakkerij-vandijk.example"


def _active_processor() -> tuple[PayrollProcessor, str]:
    password = "Portaal-" + secrets.token_urlsafe(12)
    user = get_user_model().objects.create_user(
        "salarisverwerker-browser", PROCESSOR_EMAIL, password
    )
    now = timezone.now()
    processor = PayrollProcessor.objects.create(
        company_name="Salarisbureau De Vries & Zonen",
        email=PROCESSOR_EMAIL,
        omgevingscode="DEMO001",
        loket_username="ws-benefits",
        loket_password_encrypted=encrypt_secret(DEMO_PASSWORD),
        status=Status.ACTIVE,
        user=user,
        consent_at=now,
        confirmed_at=now,
        activated_at=now,
        checked_at=now,
        check_employer_count=3,
    )
    return processor, password


def test_an_employer_requests_the_processor_registers_and_the_link_is_active(
    browser, live_server, loket_settings, in_process_tasks
) -> None:
    loket_settings.PORTAL_BASE_URL = live_server.url
    processor, password = _active_processor()
    Policy.objects.create(
        number="ASR100001",
        customer=Customer.objects.create(kvk_number="12345678", name="Bakkerij Van Dijk B.V."),
        contact_email=REGISTER_EMAIL,
    )
    page = browser.new_context(locale="nl-NL", viewport={"width": 1200, "height": 900}).new_page()
    page.set_default_timeout(TIMEOUT_MS)
    errors = _collect_console_errors(page)

    # 1. The employer asks for the salary link and chooses its processor.
    page.goto(f"{live_server.url}/salariskoppeling/aanvragen/")
    page.fill("#id_company_name", "Bakkerij Van Dijk B.V.")
    page.fill("#id_kvk_number", "12345678")
    page.fill("#id_policy_number", "ASR100001")
    page.fill("#id_tax_numbers", "144068989L01")
    page.fill("#id_contact_name", "Jan van Dijk")
    page.fill("#id_contact_email", "jan@bakkerij.example")
    page.select_option("#id_processor", str(processor.pk))
    page.check("#id_consent")
    page.get_by_role("button", name="Salariskoppeling aanvragen").click()
    expect(page).to_have_url(re.compile(r"/salariskoppeling/aangevraagd/[^/]+/$"))
    expect(page.locator("main")).to_contain_text("Bakkerij Van Dijk B.V.")
    expect(page.locator("main")).to_contain_text("a\u2026@bakkerij-vandijk.example")

    # 1b. Only the address on file gets the confirmation link; it confirms (GET shows, POST
    # verifies) and lands on the status page.
    assert [m.to for m in mail.outbox] == [[REGISTER_EMAIL]]
    confirm = re.search(r"https?://\S+/salariskoppeling/bevestigen/\S+/", mail.outbox[0].body)
    page.goto(confirm.group(0))
    page.get_by_role("button", name="Bevestigen").click()
    expect(page).to_have_url(re.compile(r"/salariskoppeling/status/[^/]+/$"))

    # 2. The processor is told, with a link to its dashboard.
    [notice] = [m for m in mail.outbox if m.to == [PROCESSOR_EMAIL]]
    assert "Bakkerij Van Dijk B.V." in notice.body
    dashboard = re.search(r"https?://\S+/account/", notice.body).group(0)

    # 3. It logs in and opens its Werkgevers page: the request is there, ready to register.
    page.goto(dashboard)
    page.fill("#id_email", PROCESSOR_EMAIL)
    page.fill("#id_password", password)
    page.get_by_role("button", name="Inloggen").click()
    page.get_by_role("link", name="Werkgevers").click()
    row = page.locator("tr", has_text="Bakkerij Van Dijk B.V.")
    expect(row).to_be_visible()

    # 4. It registers the employer; the link is checked against Loket.nl and shows as active.
    row.locator("input[name=employer_id]").check()
    page.get_by_role("button", name="Geselecteerde werkgevers aanmelden").click()
    page.screenshot(path="/tmp/link-journey.png", full_page=True)
    row = page.locator("tr", has_text="Bakkerij Van Dijk B.V.")
    expect(row).to_contain_text("Gekoppeld")

    link = EmployerLink.objects.get()
    assert link.status == LinkStatus.ACTIVE
    assert link.request.status == RequestStatus.LINKED
    # the "link active" mail goes to the verified contact: the register's address
    [active] = [m for m in mail.outbox if m.to == [REGISTER_EMAIL] and "actief" in m.subject]
    assert not any(m.to == ["jan@bakkerij.example"] for m in mail.outbox)

    # 5. The employer follows the mail's "Intrekken" link to its status page: active, with the
    # revoke form. It revokes (a reason, then a confirmation): the link ends at once.
    revoke = re.search(r"Intrekken: (https?://\S+)", active.body).group(1)
    page.goto(revoke)
    expect(page.locator("main")).to_contain_text("Koppeling intrekken")
    page.fill("#id_reason", "Wij stoppen met deze verzekering")
    page.locator("main form").get_by_role("button", name="Koppeling intrekken").click()
    page.get_by_role("button", name="Ja, koppeling beëindigen").click()
    expect(page).to_have_url(re.compile(r"/salariskoppeling/status/[^/]+/$"))
    expect(page.locator("main")).to_contain_text("Beëindigd")
    expect(page.locator("main")).to_contain_text("Wij stoppen met deze verzekering")
    expect(page.get_by_role("button", name="Koppeling intrekken")).to_have_count(0)
    link.refresh_from_db()
    assert link.status == LinkStatus.ENDED
    assert link.end_reason == "Wij stoppen met deze verzekering"
    # the processor and a.s.r. are told
    ended = [m for m in mail.outbox if "beëindigd" in m.subject.lower()]
    assert sorted(m.to[0] for m in ended) == sorted([PROCESSOR_EMAIL, settings.ASR_NOTIFY_EMAIL])
    assert errors == []
