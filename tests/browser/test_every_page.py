"""Every public, processor and employer page, in Dutch and English, at 1280 and 375 px wide, in
headless Chromium against the live server: axe-core (vendored, ``vendor/axe-core``) with the
WCAG 2.2 AA tags finds nothing, a phone-wide page does not scroll sideways, and ``<html lang>``
is the language asked for and the language of the text.

One test per (language, width) walks all the pages (a registration in several states, the forms
empty and with their errors, logged in and out) and collects what fails on each, so that one run
lists every problem, by page, at once. Loket.nl is the sandbox over HTTP (the Werkgevers page
shows its employers); Celery tasks run in this process.

axe-core is put into each page with ``page.evaluate`` of its source: that runs in the page's
own world through the DevTools protocol, which the portal's strict Content-Security-Policy does
not govern (a ``<script>`` tag, as ``add_script_tag`` adds, would be refused). Each page proves
it worked: ``axe.version`` is the vendored version.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from playwright.sync_api import Page

from customers.models import Customer, Policy
from employers.models import EmployerRequest
from employers.tokens import VERIFY_MAX_AGE, VERIFY_SALT, verify_token
from onboarding.crypto import encrypt_secret
from onboarding.models import PayrollProcessor, Status
from onboarding.tokens import recovery_token_generator
from tests.browser.test_registration_journey import TIMEOUT_MS, _collect_console_errors
from tests.conftest import DEMO_PASSWORD
from tests.onboarding.factories import PayrollProcessorFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE_DIR = Path(__file__).parent / "vendor" / "axe-core"
AXE_VERSION = "4.14.1"  # as vendor/axe-core/README.md says
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
LOCALES = {"nl": "nl-NL", "en": "en-GB"}
NARROW = 375

# Words that only one of the two languages uses: found in the visible text of a page in the
# other language, they show text that was not translated. (No "de"/"van": names have them.)
DUTCH_ONLY = frozenset({"uw", "het", "een", "niet", "wordt", "worden", "deze", "naar", "kunt"})
DUTCH_ONLY |= {"wilt", "zijn", "voor", "bij", "ook", "maar", "wij", "geen", "nog"}
ENGLISH_ONLY = frozenset({"the", "your", "you", "with", "and", "please", "this", "have", "will"})
WORD = re.compile(r"[^\W\d_]+")

AXE_RUN = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags},
                                          resultTypes: ["violations"]});
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) => ({target: n.target.join(" "), html: n.html})),
  }));
}"""

# The outermost elements that reach past the right edge of the window, not inside a box that
# scrolls or clips them (for the report).
WIDEST = """() => {
  const edge = window.innerWidth, found = [];
  const name = (e) => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "")
    + [...e.classList].map((c) => "." + c).join("");
  for (const e of document.body.querySelectorAll("*")) {
    const right = e.getBoundingClientRect().right;
    if (right <= edge + 0.5) continue;
    let a = e.parentElement, inside = false;
    while (a && a !== document.body) {
      if (a.getBoundingClientRect().right > edge + 0.5
          || getComputedStyle(a).overflowX !== "visible") { inside = true; break; }
      a = a.parentElement;
    }
    if (!inside) found.push(`${name(e)} (right ${Math.round(right)})`);
  }
  return found.slice(0, 5);
}"""


@dataclass
class Walk:
    """The pages seen in one language at one width, and what failed on them."""

    page: Page
    base: str
    language: str
    width: int
    axe_source: str
    failures: list[str] = field(default_factory=list)

    def open(self, name: str, path: str) -> None:
        self.page.goto(self.base + path)
        self.check(name)

    def check(self, name: str) -> None:
        """Everything this module asks of the page now shown, as ``name``."""
        self.page.wait_for_load_state("load")
        where = f"[{self.language} {self.width}px] {name} ({self.page.url.removeprefix(self.base)})"
        self.failures.extend(f"{where}: {problem}" for problem in self._problems())

    def _problems(self) -> list[str]:
        problems: list[str] = []
        if self.page.evaluate("typeof window.axe") == "undefined":
            self.page.evaluate(self.axe_source)
        version = self.page.evaluate("typeof window.axe === 'object' ? axe.version : null")
        assert version == AXE_VERSION, f"axe-core was not injected into {self.page.url}: {version}"
        for violation in self.page.evaluate(AXE_RUN, WCAG_TAGS):
            nodes = "; ".join(f"{n['target']} → {n['html'][:300]}" for n in violation["nodes"])
            problems.append(
                f"axe {violation['id']} ({violation['impact']}): {violation['help']} — {nodes}"
            )
        if self.width == NARROW:
            scroll, inner = self.page.evaluate(
                "[document.documentElement.scrollWidth, window.innerWidth]"
            )
            if scroll > inner:
                wide = self.page.evaluate(WIDEST)
                problems.append(
                    f"scrolls sideways: scrollWidth {scroll} > innerWidth {inner}; "
                    f"past the edge: {wide}"
                )
        lang = self.page.evaluate("document.documentElement.getAttribute('lang')")
        if lang != self.language:
            problems.append(f"<html lang={lang!r}>, asked for {self.language!r}")
        text = self.page.evaluate("document.body.innerText")
        other = DUTCH_ONLY if self.language == "en" else ENGLISH_ONLY
        foreign = sorted({w for w in WORD.findall(text) if w.lower() in other})
        if foreign:
            problems.append(f"text not in {self.language!r}: {foreign} in {_snippets(text, other)}")
        return problems

    def submit(self, form: str) -> None:
        """Submit the form ``form`` (a CSS selector) with its first submit button."""
        with self.page.expect_navigation():
            self.page.locator(f"{form} button[type=submit]").first.click()


def _snippets(text: str, words: frozenset[str], limit: int = 4) -> list[str]:
    """The lines of ``text`` that hold one of ``words`` (at most ``limit``, shortened)."""
    lines = [
        line.strip()[:160]
        for line in text.splitlines()
        if any(w.lower() in words for w in WORD.findall(line))
    ]
    return lines[:limit]


@dataclass(frozen=True)
class Data:
    active_email: str
    active_password: str
    active_name: str
    pending_token: str
    failed_token: str
    confirmed_token: str
    expired_token: str
    activation_path: str
    request_id: int = 0  # a verified request to the active processor (its detail page)


def _data() -> Data:
    """Registrations in the states the pages show, and an active processor whose web-service
    user is the sandbox's (its Werkgevers page lists the sandbox's employers)."""
    now = timezone.now()
    password = "Portaal-" + secrets.token_urlsafe(12)
    user = UserFactory(email="salaris@jansen-loon.example", password=password)
    active = PayrollProcessor.objects.create(
        company_name="Salarisbureau Jansen B.V.",
        email=user.email,
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
    pending = PayrollProcessorFactory(company_name="Loonadvies Bakker")
    failed = PayrollProcessorFactory(check_failed=True, company_name="Salarisadministratie Smit")
    confirmed = PayrollProcessorFactory(confirmed=True, company_name="Payroll Visser B.V.")
    # a.s.r.'s customer register knows E1 (the employer request below names it)
    Policy.objects.create(
        number="ASR100001",
        customer=Customer.objects.create(kvk_number="12345678", name="Bakkerij Van Dijk B.V."),
        contact_email="jan@bakkerij-vandijk.example",
    )
    expired = PayrollProcessorFactory(
        confirmed=True,
        company_name="Loonbureau De Wit",
        confirmed_at=now - dt.timedelta(days=settings.STATUS_LINK_DAYS + 1),
    )
    to_activate = PayrollProcessorFactory(confirmed=True, company_name="Loonbureau Mulder")
    to_activate.user = UserFactory(email=to_activate.email)
    to_activate.save(update_fields=["user"])
    uid = urlsafe_base64_encode(force_bytes(to_activate.user.pk))
    token = default_token_generator.make_token(to_activate.user)
    from employers import services as employer_services
    from employers.models import VerificationMethod

    submitted = employer_services.request_submit(
        company_name="Zorggroep Tilburg",
        kvk_number="34567890",
        tax_numbers=["177756184L01"],
        contact_name="Els Tilburg",
        contact_email="els@zorggroep.example",
        contact_phone="013-1234567",
        processor=active,
    )
    employer_services.request_verify(
        request_id=submitted.pk, method=VerificationMethod.REVIEW, actor_label="test"
    )
    return Data(
        request_id=submitted.pk,
        active_email=active.email,
        active_password=password,
        active_name=active.company_name,
        pending_token=pending.status_token,
        failed_token=failed.status_token,
        confirmed_token=confirmed.status_token,
        expired_token=expired.status_token,
        activation_path=f"/account/activeren/{uid}/{token}/",
    )


def _public_pages(walk: Walk, data: Data) -> None:
    page = walk.page
    walk.open("home", "/")
    walk.open("manual", "/handleiding/")
    walk.open("API documentation", "/api/v1/docs/")

    walk.open("registration form", "/aanmelden/")
    page.fill("#id_email", "geen-e-mailadres")
    page.fill("#id_omgevingscode", "DEMO 001!")
    walk.submit("main form.form")
    walk.check("registration form with errors")

    walk.open("status: check pending", f"/aanmelding/{data.pending_token}/")
    walk.open("status: check failed, with a finding", f"/aanmelding/{data.failed_token}/")
    page.fill("#id_loket_username", "")
    page.fill("#id_omgevingscode", "")
    walk.submit("form[action$='/corrigeren/']")
    walk.check("status: correction with errors")
    walk.open("status: confirmed", f"/aanmelding/{data.confirmed_token}/")
    walk.open("status: link expired", f"/aanmelding/{data.expired_token}/")

    walk.open("activation: valid link", data.activation_path)
    page.fill("#id_new_password1", "kort")
    page.fill("#id_new_password2", "anders")
    walk.submit("main form.form")
    walk.check("activation: password errors")
    walk.open("activation: invalid or expired link", "/account/activeren/MQ/verlopen-token/")

    walk.open("directory", "/salarisverwerkers/")
    walk.open("directory: search with results", "/salarisverwerkers/?q=Jansen")
    walk.open("directory: search without results", "/salarisverwerkers/?q=Onbekend")

    walk.open("page not found", "/aanmelding/onbekend-token/")
    _account_recovery_pages(walk, data)


def _account_recovery_pages(walk: Walk, data: Data) -> None:
    """Issue 13: the registration form's one answer and "Wachtwoord vergeten?"."""
    page = walk.page
    walk.open("registration received", "/aanmelden/ontvangen/")
    walk.open("forgotten password", "/account/wachtwoord-vergeten/")
    page.fill("#id_email", "geen-e-mailadres")
    walk.submit("main form.form")
    walk.check("forgotten password with an error")
    walk.open("forgotten password: mail sent", "/account/wachtwoord-vergeten/verstuurd/")
    user = PayrollProcessor.objects.get(email=data.active_email).user
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    walk.open(
        "forgotten password: new password",
        f"/account/wachtwoord-herstellen/{uid}/{recovery_token_generator.make_token(user)}/",
    )
    page.fill("#id_new_password1", "kort")
    page.fill("#id_new_password2", "anders")
    walk.submit("main form.form")
    walk.check("forgotten password: new password with errors")
    walk.open("forgotten password: invalid link", "/account/wachtwoord-herstellen/MQ/verlopen/")


def _employer_pages(walk: Walk, data: Data) -> None:
    page = walk.page
    walk.open("employer request form", "/salariskoppeling/aanvragen/")
    page.fill("#id_kvk_number", "123")
    page.fill("#id_contact_email", "geen-e-mailadres")
    walk.submit("main form.form")
    walk.check("employer request form with errors")
    page.fill("#id_company_name", "Bakkerij Van Dijk B.V.")
    page.fill("#id_kvk_number", "12345678")
    page.fill("#id_policy_number", "ASR100001")
    page.fill("#id_tax_numbers", "144068989L01")
    page.fill("#id_contact_name", "Jan van Dijk")
    page.fill("#id_contact_email", "jan@bakkerij.example")
    page.select_option("#id_processor", label=data.active_name)
    page.check("#id_consent")
    walk.submit("main form.form")
    assert "/salariskoppeling/aangevraagd/" in page.url, walk.failures or page.url
    walk.check("employer request done")
    _verify_pages(walk)


def _verify_pages(walk: Walk) -> None:
    """The confirmation link of the request just made (mailed to the register's address)."""
    employer_request = EmployerRequest.objects.order_by("-pk").first()
    path = f"/salariskoppeling/bevestigen/{verify_token(employer_request.pk)}/"
    walk.open("verify: valid link", path)
    walk.submit("main form.form")
    assert "/salariskoppeling/status/" in walk.page.url, walk.failures or walk.page.url
    walk.check("status after confirming")
    walk.open("verify: used link", path)
    stamp = signing.b62_encode(int(time.time()) - VERIFY_MAX_AGE - 60)
    expired = signing.TimestampSigner(salt=VERIFY_SALT)
    value = f"{employer_request.pk}{expired.sep}{stamp}"
    token = f"{value}{expired.sep}{expired.signature(value)}"
    walk.open("verify: expired link", f"/salariskoppeling/bevestigen/{token}/")
    walk.open("verify: tampered link", "/salariskoppeling/bevestigen/onzin/")


def _processor_pages(walk: Walk, data: Data) -> None:
    page = walk.page
    walk.open("login", "/account/inloggen/")
    page.fill("#id_email", data.active_email)
    page.fill("#id_password", "niet-het-wachtwoord")
    walk.submit("main form.form")
    walk.check("login with an error")
    page.fill("#id_email", data.active_email)
    page.fill("#id_password", data.active_password)
    walk.submit("main form.form")
    assert page.url.endswith("/account/"), page.url
    walk.check("dashboard")
    page.fill("#id_loket_username", "")
    page.fill("#id_omgevingscode", "")
    walk.submit("form[action$='/loket-gegevens/']")
    walk.check("dashboard: Loket.nl details with errors")
    walk.open("password change", "/account/wachtwoord-wijzigen/")
    page.fill("#id_old_password", "niet-het-wachtwoord")
    page.fill("#id_new_password1", "kort")
    walk.submit("main form.form")
    walk.check("password change with errors")

    walk.open("Werkgevers", "/account/werkgevers/")
    row = page.locator("tr", has_text="Bakkerij Van Dijk B.V.")
    row.locator("input[name=employer_id]").check()
    walk.submit("form[action$='/werkgevers/aanmelden/']")
    walk.check("Werkgevers after registering an employer")
    walk.open("Werkgevers: search", "/account/werkgevers/?q=Bakkerij")

    walk.open("Werkgevers: a request's details", f"/account/werkgevers/aanvraag/{data.request_id}/")
    page.check("input[name=choice][value=other]")
    walk.submit("form[action$='/weigeren/']")
    walk.check("Werkgevers: declining without the reason written")


def _employer_status_pages(walk: Walk, data: Data) -> None:
    """The employer's status page (issue 12): awaiting confirmation with its withdraw step,
    active with the revoke form, its errors and confirm step, ended, and an unknown token."""
    from customers.models import Customer, Policy
    from employers import services
    from employers.models import EmployerLink, LinkStatus, RequestStatus

    page = walk.page
    processor = PayrollProcessor.objects.get(email=data.active_email)
    customer = Customer.objects.create(kvk_number="87654321", name="Bakkerij Van Dijk B.V.")
    Policy.objects.create(number="ASR900001", customer=customer, contact_email="p@bakkerij.example")
    waiting = services.request_submit(
        company_name="Bakkerij Van Dijk B.V.",
        kvk_number="87654321",
        tax_numbers=["177756184L01"],
        contact_name="Jan van Dijk",
        contact_email="jan@bakkerij.example",
        processor=processor,
        policy_number="ASR900001",
    )
    walk.open(
        "employer status: awaiting confirmation",
        f"/salariskoppeling/status/{waiting.status_token}/",
    )
    walk.submit("form[action$='/aanvraag-intrekken/']")
    walk.check("employer status: withdraw confirm step")

    now = timezone.now()
    active = services.request_submit(
        company_name="Kapsalon Smit",
        kvk_number="76543210",
        tax_numbers=["211946217L01"],
        contact_name="Anna Smit",
        contact_email="anna@kapsalon.example",
        processor=processor,
    )
    type(active).objects.filter(pk=active.pk).update(
        status=RequestStatus.LINKED,
        verification_method="review",
        verified_at=now,
        verified_email="anna@kapsalon.example",
        expires_at=None,
    )
    EmployerLink.objects.create(
        processor=processor,
        loket_employer_id="status-page-demo",
        employer_name="Kapsalon Smit",
        kvk_number="76543210",
        request=active,
        status=LinkStatus.ACTIVE,
        activated_at=now,
        checked_at=now,
    )
    status_path = f"/salariskoppeling/status/{active.status_token}/"
    walk.open("employer status: active, with the revoke form", status_path)
    walk.submit("form[action$='/koppeling-intrekken/']")
    walk.check("employer status: revoke without a reason")
    page.fill("#id_reason", "Kapsalon gesloten")
    walk.submit("form[action$='/koppeling-intrekken/']")
    walk.check("employer status: revoke confirm step")
    walk.submit("form[action$='/koppeling-intrekken/']")
    assert page.url.endswith(status_path), page.url
    walk.check("employer status: ended")

    walk.open("employer status: unknown token", "/salariskoppeling/status/onbekend-token/")


def _staff_security_pages(walk: Walk, data: Data) -> None:
    """The admin's two-factor pages (set-up, its errors, the recovery codes, the code page) and
    the lockouts of the admin login and of the code page (issue 13). The admin's own pages are
    Django's and not walked here. The app's key is fixed: the page shows it, and random letters
    could read as words of the other language."""
    from django.contrib.auth import get_user_model
    from django.test import override_settings
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    page = walk.page
    password = "Beheer-" + secrets.token_urlsafe(12)
    user = get_user_model().objects.create_superuser(
        f"beheer-{walk.language}-{walk.width}", "beheer@asr.example", password
    )
    # RFC 6238's test key: its base32 form holds no word of either language.
    device = TOTPDevice.objects.create(
        user=user, name="app", confirmed=False, key="3132333435363738393031323334353637383930"
    )

    def code(ahead: int = 0) -> str:
        return f"{totp(device.bin_key, step=30, t0=0, digits=6, drift=ahead):06d}"

    def admin_login(secret: str) -> None:
        page.goto(walk.base + "/beheer/login/?next=/beheer/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", secret)
        with page.expect_navigation():
            page.locator("#login-form [type=submit]").click()

    with override_settings(
        STAFF_TWO_FACTOR_REQUIRED=True, ADMIN_LOGIN_FAILURES_ALLOWED=2, STAFF_OTP_FAILURES_ALLOWED=2
    ):
        admin_login(password)
        assert "/beheer/tweestapsverificatie/instellen/" in page.url, page.url
        walk.check("staff two-factor set-up")
        page.fill("#id_code", "12345")
        walk.submit("main form.form")
        walk.check("staff two-factor set-up with an error")
        page.fill("#id_code", code())
        walk.submit("main form.form")
        walk.check("staff two-factor: recovery codes")

        page.context.clear_cookies()
        page.context.add_cookies(
            [{"name": "django_language", "value": walk.language, "url": walk.base}]
        )
        admin_login(password)
        assert "/beheer/tweestapsverificatie/code/" in page.url, page.url
        walk.check("staff code page")
        page.fill("#id_code", "12345")
        walk.submit("main form.form")
        walk.check("staff code page with an error")
        # The wrong code at set-up and this one make two: even the right code is refused now.
        page.fill("#id_code", code(ahead=1))
        walk.submit("main form.form")
        walk.check("staff code page: too many wrong codes")

        page.context.clear_cookies()
        page.context.add_cookies(
            [{"name": "django_language", "value": walk.language, "url": walk.base}]
        )
        admin_login("niet-het-wachtwoord")
        admin_login("niet-het-wachtwoord")
        walk.check("admin login locked")


WALKS: tuple[Callable[[Walk, Data], None], ...] = (
    _public_pages,
    _employer_pages,
    _processor_pages,
    _employer_status_pages,
    _staff_security_pages,
)


@pytest.mark.parametrize("width", [1280, NARROW])
@pytest.mark.parametrize("language", ["nl", "en"])
def test_every_page_has_no_wcag22_aa_violation_fits_the_width_and_speaks_its_language(
    browser, live_server, loket_settings, in_process_tasks, language, width
) -> None:
    loket_settings.PORTAL_BASE_URL = live_server.url
    data = _data()
    context = browser.new_context(
        locale=LOCALES[language], viewport={"width": width, "height": 900}
    )
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    errors = _collect_console_errors(page)
    walk = Walk(
        page=page,
        base=live_server.url,
        language=language,
        width=width,
        axe_source=(AXE_DIR / "axe.min.js").read_text(encoding="utf-8"),
    )

    for part in WALKS:
        part(walk, data)

    # A form with errors answers 400 and an unknown address 404, which Chromium logs as well.
    errors = [e for e in errors if "the server responded with a status of 4" not in e]
    walk.failures.extend(f"[{language} {width}px] console: {error}" for error in errors)
    assert not walk.failures, f"{len(walk.failures)} problems:\n" + "\n".join(walk.failures)


def test_the_page_check_reports_each_kind_of_fault_it_looks_for(browser, live_server) -> None:
    """The walk's checks are not empty: on the home page, under the portal's CSP, axe-core is
    injected and reports a button without a name, and a too-wide block, a wrong ``lang`` and
    text in the other language are each reported."""
    page = browser.new_context(locale="nl-NL", viewport={"width": NARROW, "height": 900}).new_page()
    response = page.goto(live_server.url + "/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.evaluate(
        """() => {
        const main = document.querySelector("main");
        main.append(document.createElement("button"));
        const wide = document.createElement("p");
        wide.style.width = "900px";
        wide.textContent = "Please check your details";
        main.append(wide);
        document.documentElement.lang = "en";
    }"""
    )
    walk = Walk(
        page=page,
        base=live_server.url,
        language="nl",
        width=NARROW,
        axe_source=(AXE_DIR / "axe.min.js").read_text(encoding="utf-8"),
    )

    walk.check("home with faults added")

    assert page.evaluate("axe.version") == AXE_VERSION
    report = "\n".join(walk.failures)
    assert "axe button-name (critical)" in report
    assert "scrolls sideways: scrollWidth" in report
    assert "<html lang='en'>, asked for 'nl'" in report
    assert "text not in 'nl': ['Please', 'your']" in report


def _credential_change_pages(walk: Walk, data: Data) -> None:
    """Issue 13: the dashboard while another Loket.nl account waits for a.s.r. (the processor
    logs in again: the staff walk before this one logged in as staff)."""
    page = walk.page
    walk.open("login (processor again)", "/account/inloggen/")
    page.fill("#id_email", data.active_email)
    page.fill("#id_password", data.active_password)
    walk.submit("main form.form")
    assert page.url.endswith("/account/"), page.url
    page.fill("#id_omgevingscode", "DEMO001")
    page.fill("#id_loket_username", "ws-zonder-team")
    page.fill("#id_portal_password", data.active_password)
    walk.submit("form[action$='/loket-gegevens/']")
    walk.check("dashboard: another Loket.nl account waits for a.s.r.")
    assert page.locator("#wijziging").count() == 1


WALKS = (*WALKS, _credential_change_pages)


def _delivery_pages(walk: Walk, data: Data) -> None:
    """Issue 14: the processor's deliveries, first none, then the last delivery per employer in
    each state (on the dashboard and on their own page), and the status page of an employer
    whose data flows. The processor is logged in (the walk before this one logged in again)."""
    from deliveries import periods
    from deliveries.models import DeliveryStatus
    from tests.deliveries_ui.conftest import make_delivery, make_link

    processor = PayrollProcessor.objects.get(email=data.active_email)
    walk.open("deliveries: none yet", "/account/leveringen/")
    last = periods.last_closed(timezone.localdate(), periods.MONTH)
    bakery = make_link(processor, name="Bakkerij Van Dijk B.V.")
    make_delivery(bakery, last.previous())
    make_delivery(bakery, last, employees=1234, wages=1250)
    long_name = "Administratiekantoor Van der Heijden-Vermeulen & Partners B.V."
    make_delivery(
        make_link(processor, name=long_name), last, DeliveryStatus.FAILED, will_retry=True
    )
    four_weeks = periods.last_closed(timezone.localdate(), periods.FOUR_WEEKS)
    make_delivery(make_link(processor, name="Kapsalon Smit"), four_weeks, DeliveryStatus.PENDING)
    walk.open("dashboard with deliveries", "/account/")
    assert walk.page.locator("table.deliveries tbody tr").count() == 3
    walk.open("deliveries", "/account/leveringen/")
    assert walk.page.locator("table.deliveries tbody tr").count() == 3
    walk.page.select_option("#deliveries-status", "failed")
    walk.submit("form.deliveries-filter")
    assert walk.page.locator("table.deliveries tbody tr").count() == 1
    walk.check("deliveries: the failed ones")
    walk.open("deliveries: a filter without employers", "/account/leveringen/?status=stopped")
    walk.open(
        "employer status: data flows", f"/salariskoppeling/status/{bakery.request.status_token}/"
    )
    assert walk.page.locator(".data-flow--flowing").count() == 1


WALKS = (*WALKS, _delivery_pages)
