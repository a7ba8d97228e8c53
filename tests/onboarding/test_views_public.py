"""The public pages: registration form, status page (with its correction form), directory."""

from __future__ import annotations

import datetime as dt
import random
import re
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from locket_client.diagnose import Finding, ProblemCode
from onboarding import pagecache
from onboarding.crypto import decrypt_secret
from onboarding.models import PayrollProcessor, Status, StatusChange
from tests.onboarding.factories import DEMO_PASSWORD, PayrollProcessorFactory

pytestmark = pytest.mark.django_db

REGISTER = reverse("onboarding:register")
DIRECTORY = reverse("onboarding:directory")
AMSTERDAM = ZoneInfo("Europe/Amsterdam")

VALID = {
    "company_name": "Salarisbureau De Vries B.V.",
    "email": "salaris@devries.example",
    "loket_username": "ws-benefits",
    "loket_password": DEMO_PASSWORD,
    "omgevingscode": "DEMO001",
    "consent": "on",
}


def status_url(processor: PayrollProcessor, name: str = "status") -> str:
    return reverse(f"onboarding:{name}", args=[processor.status_token])


def _inline_code(html: str) -> list[str]:
    """Inline scripts, style elements, style attributes and event handlers: what the CSP blocks."""
    return (
        re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html)
        + re.findall(r"<style\b", html)
        + re.findall(r"\sstyle=", html)
        + re.findall(r"\son[a-z]+=", html)
    )


# --- registration ------------------------------------------------------------------------------


def test_the_registration_form_is_shown_in_dutch_with_help_for_every_field(client):
    response = client.get(REGISTER)

    assert response.status_code == 200
    page = response.content.decode()
    assert "Aanmelden als salarisverwerker" in page
    assert 'id="id_loket_username_helptext"' in page
    assert "Benefits-Plaza als webservicepartij" in page
    assert 'href="/static/css/forms.css"' in page
    assert _inline_code(page) == []


def test_a_registration_is_stored_with_its_password_encrypted_and_its_status_link_is_mailed(
    client, loket_settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(REGISTER, VALID)

    processor = PayrollProcessor.objects.get()
    assert response.status_code == 302
    # The same answer for every registration (issue 13): the status page's link only by mail.
    assert response["Location"] == reverse("onboarding:registration_received")
    assert processor.company_name == VALID["company_name"]
    assert processor.loket_password_encrypted != DEMO_PASSWORD
    assert DEMO_PASSWORD not in processor.loket_password_encrypted
    assert decrypt_secret(processor.loket_password_encrypted) == DEMO_PASSWORD
    assert processor.consent_at is not None
    assert processor.status == Status.CHECK_PASSED  # the sandbox's ws-benefits sees 3 employers

    received = client.get(response["Location"]).content.decode()
    assert "Uw aanmelding is ontvangen" in received
    assert processor.status_token not in received
    [receipt] = [m for m in mail.outbox if m.to == [VALID["email"]]]
    assert status_url(processor) in receipt.body
    page = client.get(status_url(processor)).content.decode()
    assert "Uw webservicegebruiker ziet 3 werkgevers." in page


def test_a_rejected_registration_keeps_what_was_typed_except_the_password(client):
    response = client.post(REGISTER, VALID | {"omgevingscode": "DEMO 001"})

    assert response.status_code == 200
    page = response.content.decode()
    assert PayrollProcessor.objects.count() == 0
    assert 'class="error-summary"' in page
    assert 'href="#id_omgevingscode"' in page
    assert 'id="id_omgevingscode_error"' in page
    assert "De omgevingscode bestaat alleen uit letters, cijfers" in page
    assert 'value="DEMO 001"' in page
    assert f'value="{VALID["company_name"]}"' in page
    assert DEMO_PASSWORD not in page


def test_a_second_registration_of_the_same_loket_user_answers_as_a_new_one_and_stores_nothing(
    client,
):
    PayrollProcessorFactory(omgevingscode="DEMO001", loket_username="WS-Benefits")

    response = client.post(REGISTER, VALID | {"omgevingscode": "demo001"})

    assert response.status_code == 302
    assert response["Location"] == reverse("onboarding:registration_received")
    assert PayrollProcessor.objects.count() == 1


def test_the_registration_form_enforces_csrf():
    response = Client(enforce_csrf_checks=True).post(REGISTER, VALID)

    assert response.status_code == 403
    assert PayrollProcessor.objects.count() == 0


def _csrf_tokens(response) -> set[str]:
    return set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.content.decode()))


def test_the_empty_form_is_rendered_once_and_then_served_with_a_fresh_csrf_token(
    django_assert_num_queries,
):
    first = Client().get(REGISTER)
    with django_assert_num_queries(0):  # no session, no messages look-up, nothing
        second = Client().get(REGISTER)

    assert first.status_code == second.status_code == 200
    assert [template.name for template in first.templates][:2] == [
        "onboarding/register.html",
        "base.html",
    ]
    assert second.templates == []  # served from the page cache, not rendered
    (token_1,), (token_2,) = _csrf_tokens(first), _csrf_tokens(second)
    assert token_1 != token_2
    page_1, page_2 = first.content.decode(), second.content.decode()
    assert page_1.count(token_1) == page_2.count(token_2) == 2  # language switch and the form
    assert page_1.replace(token_1, "TOKEN") == page_2.replace(token_2, "TOKEN")
    assert pagecache.CSRF_PLACEHOLDER not in page_2
    assert second.cookies["csrftoken"].value
    assert "no-cache" in second["Cache-Control"]
    assert len(pagecache.FORM_PAGES) == 1


def test_the_cached_form_posts_through_the_csrf_check_with_its_own_token(loket_settings):
    stranger = Client(enforce_csrf_checks=True)
    visitor = Client(enforce_csrf_checks=True)
    strangers_page = stranger.get(REGISTER)  # renders and caches the page
    page = visitor.get(REGISTER)
    assert page.templates == []  # the visitor got the cached page
    (token,) = _csrf_tokens(page)
    (strangers_token,) = _csrf_tokens(strangers_page)

    refused = visitor.post(REGISTER, VALID | {"csrfmiddlewaretoken": strangers_token})
    accepted = visitor.post(REGISTER, VALID | {"csrfmiddlewaretoken": token})

    assert refused.status_code == 403
    assert accepted.status_code == 302
    assert PayrollProcessor.objects.get().company_name == VALID["company_name"]


def test_the_cached_form_is_kept_per_language(client):
    dutch = client.get(REGISTER).content.decode()
    english = Client(HTTP_ACCEPT_LANGUAGE="en").get(REGISTER).content.decode()
    dutch_again = Client().get(REGISTER).content.decode()

    assert '<html lang="nl">' in dutch
    assert '<html lang="nl">' in dutch_again
    assert '<html lang="en">' in english
    assert len(pagecache.FORM_PAGES) == 2


def test_the_cached_form_sends_the_language_switch_back_to_the_form_without_unread_parameters():
    """The form reads no query parameter: one cached page for every query string (issue 13.8),
    whose language switch goes back to the form itself."""
    with_query = Client().get(REGISTER, {"bron": "nieuwsbrief"}).content.decode()
    plain = Client().get(REGISTER).content.decode()

    assert 'name="next" type="hidden" value="/aanmelden/"' in with_query
    assert 'name="next" type="hidden" value="/aanmelden/"' in plain


def test_a_visitor_with_pending_messages_gets_them_on_a_freshly_rendered_form(client):
    from django.contrib import messages
    from django.contrib.messages.storage.cookie import CookieStorage
    from django.http import HttpResponse

    Client().get(REGISTER)  # the cached page, without messages
    storage = CookieStorage(RequestFactory().get("/"))
    storage.add(messages.INFO, "Uw sessie is verlopen.")
    carrier = HttpResponse()
    storage.update(carrier)
    client.cookies["messages"] = carrier.cookies["messages"].value

    with_message = client.get(REGISTER)
    afterwards = client.get(REGISTER)

    assert with_message.templates  # rendered for this request, not from the cache
    assert "Uw sessie is verlopen." in with_message.content.decode()
    assert "Uw sessie is verlopen." not in afterwards.content.decode()  # shown once
    assert afterwards.templates == []
    assert "Uw sessie is verlopen." not in Client().get(REGISTER).content.decode()


def test_a_visitor_with_a_session_still_gets_the_cached_form_without_a_query(
    client, settings, django_assert_num_queries
):
    Client().get(REGISTER)
    client.session.save()  # the visitor now has a session cookie, and a session row
    assert client.cookies[settings.SESSION_COOKIE_NAME].value

    with django_assert_num_queries(0):
        response = client.get(REGISTER)

    assert response.templates == []


def test_html_in_a_company_name_is_stored_as_typed_and_shown_as_text(client):
    name = '<script>alert("x")</script> & Zn'
    client.post(REGISTER, VALID | {"company_name": name})
    processor = PayrollProcessor.objects.get()
    assert processor.company_name == name

    status_page = client.get(status_url(processor)).content.decode()
    PayrollProcessor.objects.filter(pk=processor.pk).update(
        status=Status.CONFIRMED, confirmed_at=timezone.now()
    )
    directory_page = client.get(DIRECTORY).content.decode()

    for page in (status_page, directory_page):
        assert "<script>alert" not in page
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Zn" in page


# --- no input produces a 500 ---------------------------------------------------------------------

_PIECES = [
    "a",
    "Z",
    "0",
    "9",
    "-",
    "_",
    " ",
    ".",
    "@",
    "<",
    ">",
    "&",
    '"',
    "'",
    "%",
    "\\",
    "/",
    "\x00",
    "\x01",
    "\x07",
    "\x1b",
    "\x7f",
    "\x85",
    "\t",
    "\n",
    "\r",
    "\u2028",
    "\u202e",
    "\ufeff",
    "\ufffe",
    "é",
    "ß",
    "İ",
    "漢",
    "😀",
    "\U0010fffd",
    "<script>",
    "%00",
    "' OR 1=1--",
]
_LENGTHS = [0, 1, 2, 8, 49, 50, 51, 100, 101, 120, 121, 300, 5000]
_GOOD = VALID | {"loket_password": "geheim"}


def _random_text(rng: random.Random) -> str:
    return "".join(rng.choice(_PIECES) for _ in range(rng.choice(_LENGTHS)))


def _random_form(rng: random.Random, names) -> dict[str, str]:
    """A valid form with some fields broken or left out, now and then an entirely random one."""
    serial = rng.randrange(10**9)
    good = _GOOD | {"loket_username": f"ws-fuzz-{serial}", "email": f"fuzz{serial}@example.nl"}
    data = {name: good[name] for name in names}
    entirely_random = rng.random() < 0.25
    broken = names if entirely_random else rng.sample(list(names), rng.choice([0, 1, 1, 2]))
    for name in broken:
        if rng.random() < 0.15:
            del data[name]
        else:
            data[name] = _random_text(rng)
    return data


def test_no_input_to_the_registration_form_produces_a_server_error(client):
    rng = random.Random(20260611)  # fixed seed: a failure can be replayed
    seen = set()
    for _ in range(300):
        data = _random_form(rng, VALID)
        response = client.post(REGISTER, data)  # the test client raises on a 500
        assert response.status_code in (200, 302, 429), data
        seen.add(response.status_code)
    assert seen == {200, 302, 429}  # refused, stored, and rate-limited inputs all occurred


def test_no_input_to_the_correction_form_or_the_status_urls_produces_a_server_error(client):
    processor = PayrollProcessorFactory(check_failed=True)
    rng = random.Random(20260612)
    for _ in range(200):
        data = _random_form(rng, ("loket_username", "loket_password", "omgevingscode"))
        response = client.post(status_url(processor, "correct"), data)
        assert response.status_code in (200, 302, 429), data
    for _ in range(100):
        token = quote(_random_text(rng) or "x", safe="")
        for suffix in ("", "voortgang/", "corrigeren/"):
            response = client.get(f"/aanmelding/{token}/{suffix}")
            assert response.status_code == 404


# --- the status page ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "token", ["bestaat-niet-maar-lang-genoeg-0123456789", "kort", "%00", "a%00b"]
)
def test_an_unknown_status_token_gives_404(client, token):
    for name in ("", "voortgang/", "corrigeren/"):
        assert client.get(f"/aanmelding/{token}/{name}").status_code == 404
    assert client.post(f"/aanmelding/{token}/opnieuw/").status_code == 404


def test_the_status_page_polls_while_the_check_runs_and_holds_the_correction_form(client):
    processor = PayrollProcessorFactory(
        company_name="Bureau Jansen", omgevingscode="JANSEN1", loket_username="ws-jansen"
    )

    response = client.get(status_url(processor))

    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"]
    page = response.content.decode()
    assert "Bureau Jansen" in page
    assert "Wordt gecontroleerd" in page
    assert 'data-pending="true"' in page
    assert f'data-partial-url="{status_url(processor, "status_partial")}"' in page
    assert '<script src="/static/js/status.js" defer></script>' in page
    assert f'action="{status_url(processor, "correct")}"' in page
    assert f'action="{status_url(processor, "recheck")}"' in page
    assert 'value="ws-jansen"' in page
    assert 'value="JANSEN1"' in page
    assert 'name="loket_password"' in page
    assert DEMO_PASSWORD not in page
    assert '<meta name="robots" content="noindex, nofollow">' in page
    assert _inline_code(page) == []


def test_the_status_page_says_when_loket_is_tried_again(client):
    retry_at = dt.datetime(2026, 6, 11, 14, 35, tzinfo=AMSTERDAM)
    processor = PayrollProcessorFactory(
        status=Status.CHECKING, check_requested_at=timezone.now(), check_retry_at=retry_at
    )

    page = client.get(status_url(processor)).content.decode()

    assert "Wordt gecontroleerd" in page
    assert "Loket.nl is tijdelijk niet bereikbaar; we proberen het om 14:35 opnieuw." in page
    assert 'data-pending="true"' in page


def test_the_status_page_shows_the_number_of_employers_after_a_passed_check(client):
    processor = PayrollProcessorFactory(check_passed=True, check_employer_count=7)

    page = client.get(status_url(processor)).content.decode()

    assert "Controle geslaagd" in page
    assert "Uw webservicegebruiker ziet 7 werkgevers." in page
    assert 'data-pending="false"' in page


def test_the_status_page_shows_each_finding_with_the_manual_step_that_fixes_it(client):
    findings = [
        Finding(ProblemCode.VERKEERDE_WEBSERVICEPARTIJ, detail="Andere Partij B.V."),
        Finding(ProblemCode.AUTORISATIE_ONTBREEKT, detail="LOONGEGEVENS|persoon"),
    ]
    processor = PayrollProcessorFactory(
        check_failed=True, check_findings=[finding.as_dict() for finding in findings]
    )

    page = client.get(status_url(processor)).content.decode()

    assert "Controle niet geslaagd" in page
    assert 'data-pending="false"' in page
    for finding in findings:
        assert escape(finding.manual_step()) in page
        assert escape(finding.message()) in page
    assert "Handleiding: stap 1" in page
    assert "Handleiding: stap 3, Webservicepartij" in page


def test_a_stored_finding_the_code_no_longer_knows_does_not_break_the_page(client):
    processor = PayrollProcessorFactory(
        check_failed=True,
        check_findings=[{"code": "VERDWENEN"}, {"code": "GEEN_WERKGEVERS", "detail": ""}],
    )

    response = client.get(status_url(processor))

    assert response.status_code == 200
    assert escape(Finding(ProblemCode.GEEN_WERKGEVERS).message()) in response.content.decode()


def test_after_confirmation_the_status_page_links_to_login_instead_of_offering_corrections(client):
    processor = PayrollProcessorFactory(confirmed=True)

    page = client.get(status_url(processor)).content.decode()

    assert "Uw aanmelding is verwerkt" in page
    assert f'href="{reverse("onboarding:login")}"' in page
    assert 'data-pending="false"' in page
    assert status_url(processor, "correct") not in page
    assert status_url(processor, "recheck") not in page


def test_a_rejected_registration_shows_the_reason_and_no_corrections(client):
    processor = PayrollProcessorFactory(
        status=Status.REJECTED, rejection_reason="Onbekend kantoor <x>"
    )

    page = client.get(status_url(processor)).content.decode()

    assert "a.s.r. heeft uw aanmelding afgewezen." in page
    assert "Onbekend kantoor &lt;x&gt;" in page
    assert status_url(processor, "correct") not in page


def test_the_partial_renders_only_the_status_block(client):
    pending = PayrollProcessorFactory()
    done = PayrollProcessorFactory(check_passed=True)

    pending_block = client.get(status_url(pending, "status_partial"))
    done_block = client.get(status_url(done, "status_partial")).content.decode()

    assert pending_block.status_code == 200
    assert "no-cache" in pending_block["Cache-Control"]
    html = pending_block.content.decode()
    assert html.lstrip().startswith('<div class="status-box')
    assert "<html" not in html
    assert "<form" not in html
    assert 'data-pending="true"' in html
    assert 'data-pending="false"' in done_block
    assert "Uw webservicegebruiker ziet 3 werkgevers." in done_block


def test_the_partial_turns_from_pending_to_done_once_the_check_ran(
    client, loket_settings, django_capture_on_commit_callbacks
):
    processor = PayrollProcessorFactory(
        loket_username="ws-zonder-team", check_requested_at=timezone.now()
    )
    assert (
        'data-pending="true"'
        in client.get(status_url(processor, "status_partial")).content.decode()
    )

    from onboarding import services

    services.check_run(processor_id=processor.pk, trigger="test")
    block = client.get(status_url(processor, "status_partial")).content.decode()

    assert 'data-pending="false"' in block
    assert escape(Finding(ProblemCode.GEEN_WERKGEVERS).message()) in block


# --- recheck -----------------------------------------------------------------------------------


def test_recheck_only_accepts_post(client):
    processor = PayrollProcessorFactory(check_failed=True)

    assert client.get(status_url(processor, "recheck")).status_code == 405


def test_recheck_runs_the_check_again_and_comes_back_to_the_status_page(
    client, loket_settings, django_capture_on_commit_callbacks
):
    processor = PayrollProcessorFactory(check_failed=True, loket_username="ws-benefits")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(status_url(processor, "recheck"))

    assert response.status_code == 302
    assert response["Location"] == status_url(processor)
    processor.refresh_from_db()
    assert processor.status == Status.CHECK_PASSED
    assert processor.status_changes.filter(actor_label="statuspagina").exists()


def test_recheck_and_correct_enforce_csrf():
    processor = PayrollProcessorFactory(check_failed=True)
    csrf_client = Client(enforce_csrf_checks=True)

    assert csrf_client.post(status_url(processor, "recheck")).status_code == 403
    assert (
        csrf_client.post(
            status_url(processor, "correct"),
            {"loket_username": "ws-ander", "omgevingscode": "DEMO001"},
        ).status_code
        == 403
    )
    processor.refresh_from_db()
    assert processor.status == Status.CHECK_FAILED
    assert processor.loket_username != "ws-ander"


def test_a_confirmed_registration_is_not_changed_through_its_status_link(client):
    processor = PayrollProcessorFactory(confirmed=True, loket_username="ws-benefits")

    recheck = client.post(status_url(processor, "recheck"))
    correct = client.post(
        status_url(processor, "correct"), {"loket_username": "ws-ander", "omgevingscode": "X1"}
    )

    assert recheck.status_code == correct.status_code == 302
    processor.refresh_from_db()
    assert processor.loket_username == "ws-benefits"
    assert processor.check_requested_at is None
    assert not StatusChange.objects.filter(processor=processor).exists()


# --- correction --------------------------------------------------------------------------------


def test_the_correction_form_is_shown_on_get(client):
    processor = PayrollProcessorFactory(check_failed=True, loket_username="ws-oud")

    response = client.get(status_url(processor, "correct"))

    assert response.status_code == 200
    assert 'value="ws-oud"' in response.content.decode()


def test_a_correction_changes_only_the_loket_fields_and_keeps_the_stored_password(
    client, loket_settings, django_capture_on_commit_callbacks
):
    processor = PayrollProcessorFactory(
        check_failed=True,
        company_name="Bureau Jansen",
        email="jansen@example.nl",
        omgevingscode="FOUT01",
        loket_username="ws-zonder-team",
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            status_url(processor, "correct"),
            {"loket_username": "ws-benefits", "omgevingscode": "DEMO001", "loket_password": ""},
        )

    assert response.status_code == 302
    assert response["Location"] == status_url(processor)
    processor.refresh_from_db()
    assert processor.company_name == "Bureau Jansen"
    assert processor.email == "jansen@example.nl"
    assert (processor.omgevingscode, processor.loket_username) == ("DEMO001", "ws-benefits")
    assert decrypt_secret(processor.loket_password_encrypted) == DEMO_PASSWORD
    assert processor.status == Status.CHECK_PASSED


def test_a_correction_with_a_new_password_stores_it_encrypted(client):
    processor = PayrollProcessorFactory(check_failed=True)
    new_password = "Nieuw#Wachtwoord-99"

    client.post(
        status_url(processor, "correct"),
        {
            "loket_username": processor.loket_username,
            "omgevingscode": processor.omgevingscode,
            "loket_password": new_password,
        },
    )

    processor.refresh_from_db()
    assert new_password not in processor.loket_password_encrypted
    assert decrypt_secret(processor.loket_password_encrypted) == new_password
    assert processor.status == Status.CHECKING


def test_a_rejected_correction_keeps_what_was_typed_except_the_password(client):
    processor = PayrollProcessorFactory(check_failed=True, loket_username="ws-oud")

    response = client.post(
        status_url(processor, "correct"),
        {
            "loket_username": "ws-nieuw",
            "omgevingscode": "FOUT CODE",
            "loket_password": "Geheim!123",
        },
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "De omgevingscode bestaat alleen uit letters, cijfers" in page
    assert 'value="ws-nieuw"' in page
    assert 'value="FOUT CODE"' in page
    assert "Geheim!123" not in page
    processor.refresh_from_db()
    assert processor.loket_username == "ws-oud"


def test_a_correction_to_another_registrations_loket_user_is_refused(client):
    PayrollProcessorFactory(omgevingscode="DEMO001", loket_username="ws-bezet")
    processor = PayrollProcessorFactory(check_failed=True)

    response = client.post(
        status_url(processor, "correct"), {"loket_username": "WS-Bezet", "omgevingscode": "DEMO001"}
    )

    assert response.status_code == 200
    assert (
        "Deze gebruikersnaam is voor deze omgevingscode al aangemeld" in response.content.decode()
    )


# --- rate limits -------------------------------------------------------------------------------


def _assert_429(response):
    assert response.status_code == 429
    retry_after = int(response["Retry-After"])
    assert 0 < retry_after <= 3600
    page = response.content.decode()
    minutes = -(-retry_after // 60)
    assert f"Te veel controles; probeer het over {minutes} minu" in page
    assert "no-cache" in response["Cache-Control"]
    assert _inline_code(page) == []


def test_too_many_checks_for_one_account_give_a_429_page_with_retry_after(client, settings):
    settings.CHECKS_PER_ACCOUNT_PER_HOUR = 1
    first = client.post(REGISTER, VALID)
    processor = PayrollProcessor.objects.get()

    _assert_429(client.post(status_url(processor, "recheck")))
    _assert_429(
        client.post(
            status_url(processor, "correct"),
            {"loket_username": processor.loket_username, "omgevingscode": "DEMO001"},
        )
    )
    assert first.status_code == 302


def test_too_many_registrations_from_one_address_give_a_429_page(client, settings):
    settings.CHECKS_PER_IP_PER_HOUR = 1
    client.post(REGISTER, VALID)

    response = client.post(
        REGISTER, VALID | {"email": "ander@example.nl", "loket_username": "ws-ander"}
    )

    _assert_429(response)
    assert PayrollProcessor.objects.count() == 1


def test_the_limiter_fails_closed_with_a_clear_page_when_redis_is_gone(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there

    response = client.post(REGISTER, VALID)

    assert response.status_code == 429
    assert response["Retry-After"] == "60"
    assert "We kunnen uw gegevens op dit moment niet controleren" in response.content.decode()
    assert PayrollProcessor.objects.count() == 0


# --- directory ---------------------------------------------------------------------------------


def _directory_names(page: str) -> list[str]:
    """The names listed on a directory page (the page links are list items too)."""
    listing = re.search(r'<ul class="directory">(.*?)</ul>', page, re.DOTALL)
    return re.findall(r"<li>(.*?)</li>", listing.group(1)) if listing else []


def _confirmed(names) -> None:
    PayrollProcessor.objects.bulk_create(
        [PayrollProcessorFactory.build(confirmed=True, company_name=name) for name in names]
    )


def _page_link_numbers(page: str) -> list[str]:
    return re.findall(r'<span class="visually-hidden">Pagina </span>(\d+)</a>', page)


def test_the_directory_lists_only_confirmed_processors_sorted_case_insensitively(client):
    PayrollProcessorFactory(confirmed=True, company_name="zeta Salarissen")
    PayrollProcessorFactory(confirmed=True, company_name="Alpha Loon")
    PayrollProcessorFactory(
        confirmed=True,
        company_name="beta Payroll",
        status=Status.ACTIVE,
        activated_at=timezone.now(),
    )
    PayrollProcessorFactory(
        confirmed=True, company_name="Gamma & Co", status=Status.NEEDS_ATTENTION
    )
    PayrollProcessorFactory(company_name="Ingediend BV")
    PayrollProcessorFactory(check_passed=True, company_name="Geslaagd BV")
    PayrollProcessorFactory(check_failed=True, company_name="Mislukt BV")
    PayrollProcessorFactory(
        status=Status.REJECTED, rejection_reason="nee", company_name="Afgewezen BV"
    )

    response = client.get(DIRECTORY)

    assert response.status_code == 200
    page = response.content.decode()
    assert _directory_names(page) == [
        "Alpha Loon",
        "beta Payroll",
        "Gamma &amp; Co",
        "zeta Salarissen",
    ]
    assert "4 salarisverwerkers, op naam gesorteerd." in page
    assert 'class="pagination"' not in page  # one page: no page navigation
    assert _inline_code(page) == []


def test_the_directory_refuses_a_post(client):
    assert client.post(DIRECTORY).status_code == 405


@pytest.mark.parametrize("count", [10, 1000])
def test_the_directory_runs_the_same_queries_whatever_the_number_of_processors(
    client, django_assert_num_queries, count
):
    PayrollProcessor.objects.bulk_create(PayrollProcessorFactory.build_batch(count, confirmed=True))

    with django_assert_num_queries(2):  # the count for the page numbers, the page's names
        response = client.get(DIRECTORY)
    with django_assert_num_queries(0):  # and then from the page cache
        cached = client.get(DIRECTORY)

    assert len(_directory_names(response.content.decode())) == min(count, 200)
    assert len(_directory_names(cached.content.decode())) == min(count, 200)


def test_the_directory_shows_200_names_a_page_in_alphabetical_order(client):
    names = [f"Bureau {number:03d}" for number in range(450)]
    _confirmed(random.Random(7).sample(names, len(names)))

    first = client.get(DIRECTORY).content.decode()
    second = client.get(DIRECTORY, {"pagina": "2"}).content.decode()
    last = client.get(DIRECTORY, {"pagina": "3"}).content.decode()

    assert _directory_names(first) + _directory_names(second) + _directory_names(last) == names
    assert [len(_directory_names(page)) for page in (first, second, last)] == [200, 200, 50]
    assert "450 salarisverwerkers, op naam gesorteerd." in first
    assert "Pagina 2 van 3: namen 201 tot en met 400." in second
    assert "<title>Salarisverwerkers · pagina 2 van 3 · a.s.r.</title>" in second


def test_the_directory_pages_can_be_walked_with_previous_and_next_links(client):
    _confirmed(f"Bureau {number:04d}" for number in range(2001))  # 11 pages

    first = client.get(DIRECTORY).content.decode()
    middle = client.get(DIRECTORY, {"pagina": "6"}).content.decode()
    last = client.get(DIRECTORY, {"pagina": "11"}).content.decode()

    assert '<nav class="pagination" aria-label="Paginanavigatie">' in first
    assert 'rel="prev"' not in first
    assert '<a href="/salarisverwerkers/?pagina=2" rel="next">Volgende' in first
    assert 'aria-current="page"><span class="visually-hidden">Pagina </span>1</a>' in first
    assert _page_link_numbers(first) == ["1", "2", "3", "11"]

    assert '<a href="/salarisverwerkers/?pagina=5" rel="prev">Vorige' in middle
    assert '<a href="/salarisverwerkers/?pagina=7" rel="next">Volgende' in middle
    assert 'aria-current="page"><span class="visually-hidden">Pagina </span>6</a>' in middle
    assert middle.count('aria-current="page"') == 1
    assert _page_link_numbers(middle) == ["1", "4", "5", "6", "7", "8", "11"]
    assert middle.count('aria-hidden="true">…</li>') == 2
    assert '<a href="/salarisverwerkers/" rel="prev">' not in middle

    assert '<a href="/salarisverwerkers/?pagina=10" rel="prev">Vorige' in last
    assert 'rel="next"' not in last
    assert _directory_names(last) == ["Bureau 2000"]


@pytest.mark.parametrize(
    ("raw", "expected_first_name"),
    [
        ("abc", "Bureau 000"),
        ("0", "Bureau 000"),
        ("-2", "Bureau 000"),
        ("1.5", "Bureau 000"),
        ("", "Bureau 000"),
        ("%00", "Bureau 000"),
        ("%D9%A3", "Bureau 000"),  # an Arabic-Indic three: a digit, but not one of ours
        ("3", "Bureau 400"),
        ("99", "Bureau 400"),
        ("9" * 5000, "Bureau 400"),  # longer than int() accepts
    ],
)
def test_a_bad_page_number_gives_the_first_or_the_last_page(client, raw, expected_first_name):
    _confirmed(f"Bureau {number:03d}" for number in range(450))

    response = client.get(f"{DIRECTORY}?pagina={raw}")

    assert response.status_code == 200
    assert _directory_names(response.content.decode())[0] == expected_first_name


def test_the_directory_search_finds_names_containing_the_term_whatever_the_case(client):
    _confirmed(["Salarisbureau De Vries", "VRIESLAND Loon", "Jansen Payroll", "Friesland BV"])
    PayrollProcessorFactory(company_name="Vries Nog Niet Bevestigd")

    response = client.get(DIRECTORY, {"q": "  vRies  "})

    page = response.content.decode()
    assert _directory_names(page) == ["Salarisbureau De Vries", "VRIESLAND Loon"]
    assert "2 salarisverwerkers gevonden met \u2018vRies\u2019 in de naam." in page
    assert 'value="vRies"' in page  # trimmed, as searched
    assert '<a href="/salarisverwerkers/">Toon alle salarisverwerkers</a>' in page


def test_the_directory_search_is_labelled_and_keeps_the_term_across_pages(client):
    _confirmed(f"Loon {number:03d}" for number in range(250))
    _confirmed(["Anders BV"])

    page = client.get(DIRECTORY, {"q": "loon"}).content.decode()

    assert '<form class="directory-search" method="get" action="/salarisverwerkers/"' in page
    assert '<label for="directory-q">Zoek uw salarisverwerker op naam</label>' in page
    assert 'name="q" value="loon" maxlength="100"' in page
    assert "250 salarisverwerkers gevonden met \u2018loon\u2019" in page
    assert '<a href="/salarisverwerkers/?q=loon&amp;pagina=2" rel="next">' in page
    second = client.get(DIRECTORY, {"q": "loon", "pagina": "2"}).content.decode()
    assert _directory_names(second) == [f"Loon {number:03d}" for number in range(200, 250)]


def test_like_wildcards_in_a_search_are_taken_literally(client):
    _confirmed(["100% Loon", "Loon_Zaken", "Anders BV"])

    percent = client.get(DIRECTORY, {"q": "%"}).content.decode()
    underscore = client.get(DIRECTORY, {"q": "_"}).content.decode()

    assert _directory_names(percent) == ["100% Loon"]
    assert _directory_names(underscore) == ["Loon_Zaken"]


def test_a_search_without_results_says_so_and_what_to_do(client):
    _confirmed(["Jansen Payroll"])

    page = client.get(DIRECTORY, {"q": "<b>vries</b>"}).content.decode()

    assert _directory_names(page) == []
    assert "gevonden met \u2018&lt;b&gt;vries&lt;/b&gt;\u2019 in de naam." in page
    assert "0 salarisverwerkers gevonden" in page
    assert "Controleer de spelling" in page
    assert "<b>vries" not in page


def test_a_search_term_is_cut_to_100_characters(client):
    _confirmed(["A" * 120])

    page = client.get(DIRECTORY, {"q": "a" * 300}).content.decode()

    assert f'value="{"a" * 100}"' in page
    assert _directory_names(page) == ["A" * 120]


def test_no_search_or_page_input_produces_a_server_error(client):
    _confirmed(["Salarisbureau De Vries", "Jansen & Zn"])
    rng = random.Random(20260613)
    raw = ["%00", "%ED%A0%80", "%FF", "%E2%80%AE", "%", "%%", "%2", "+", "&", "=", "%0A"]
    for _ in range(200):
        query = quote(_random_text(rng), safe="")
        pagina = rng.choice([*raw, quote(_random_text(rng), safe=""), "2", "-1"])
        response = client.get(f"{DIRECTORY}?q={query}{rng.choice(raw)}&pagina={pagina}")
        assert response.status_code == 200, query


def test_a_newly_confirmed_processor_appears_once_the_cached_page_expires(client):
    _confirmed(["Alpha Loon"])
    assert _directory_names(client.get(DIRECTORY).content.decode()) == ["Alpha Loon"]

    _confirmed(["Beta Payroll"])
    stale = client.get(DIRECTORY).content.decode()
    pagecache.DIRECTORY_PAGES.clear()  # what the 30 s TTL does (see test_pagecache.py)
    fresh = client.get(DIRECTORY).content.decode()

    assert _directory_names(stale) == ["Alpha Loon"]
    assert _directory_names(fresh) == ["Alpha Loon", "Beta Payroll"]


def test_each_visitor_of_the_cached_directory_gets_an_own_csrf_token():
    _confirmed(["Alpha Loon"])
    first = Client().get(DIRECTORY)
    second = Client().get(DIRECTORY)

    assert first.templates
    assert second.templates == []  # the second page came from the cache
    assert _csrf_tokens(first) != _csrf_tokens(second)
    assert pagecache.CSRF_PLACEHOLDER not in second.content.decode()
    assert second.cookies["csrftoken"].value


# --- headers -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", [REGISTER, DIRECTORY, reverse("onboarding:home"), "/bestaat-niet/", "/beheer/login/"]
)
def test_every_response_carries_a_strict_content_security_policy(client, url):
    response = client.get(url)

    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy
    assert "style-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy


def test_the_admin_works_under_the_content_security_policy(client):
    login = client.get("/beheer/login/")
    assert login.status_code == 200
    assert _inline_code(login.content.decode()) == []

    user = get_user_model().objects.create_superuser("beheer", "beheer@asr.example", "x-Geheim-123")
    client.force_login(user)
    index = client.get("/beheer/")
    assert index.status_code == 200
    assert _inline_code(index.content.decode()) == []


def test_a_correction_of_a_rejected_registration_is_refused_with_a_message(client):
    processor = PayrollProcessorFactory(status=Status.REJECTED, rejection_reason="Onbekend kantoor")

    response = client.post(
        status_url(processor, "correct"),
        {"loket_username": "ws-ander", "omgevingscode": "DEMO001"},
        follow=True,
    )

    assert response.redirect_chain == [(status_url(processor), 302)]
    assert (
        "Deze aanmelding is afgewezen en kan niet meer worden gewijzigd."
        in response.content.decode()
    )
    processor.refresh_from_db()
    assert processor.loket_username != "ws-ander"


def test_the_deploy_check_wants_the_content_security_policy_middleware(settings):
    from config.middleware import content_security_policy_check

    assert content_security_policy_check() == []
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if "ContentSecurityPolicy" not in m]
    assert [warning.id for warning in content_security_policy_check()] == ["config.W001"]
