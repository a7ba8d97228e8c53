"""The processor's Werkgevers page against the Loket.nl sandbox, tasks in-process."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from employers import services
from employers.loket_snapshot import LoketSnapshot, snapshot, snapshot_cache_put
from employers.loket_snapshot import _key as snapshot_key
from employers.models import (
    EmployerLink,
    EmployerRequest,
    LinkStatus,
    LinkTaxNumber,
    RequestStatus,
    RequestTaxNumber,
)
from tests.employers.conftest import E1, E2, E3, E4, make_processor, submit_verified
from tests.onboarding.factories import StaffUserFactory, UserFactory

pytestmark = pytest.mark.django_db

PAGE = reverse("employers:werkgevers")
REGISTER = reverse("employers:werkgevers_register")
E1_NUMBER = "144068989L01"
E4_NUMBER = "211946217L01"


def _with_user(processor):
    processor.user = UserFactory()
    processor.save(update_fields=["user"])
    return processor


@pytest.fixture
def owner(processor):
    return _with_user(processor)


@pytest.fixture
def logged_in(client, owner):
    client.force_login(owner.user)
    return client


def _request(processor, capture, number=E1_NUMBER, kvk="12345678", name="Bakkerij Van Dijk B.V."):
    with capture(execute=True):
        return submit_verified(
            company_name=name,
            kvk_number=kvk,
            tax_numbers=[number] if isinstance(number, str) else number,
            contact_name="Jan van Dijk",
            contact_email="jan@bakkerij.example",
            processor=processor,
        )


def _parsed(html: str) -> dict[str, tuple[str, str]]:
    """Employer name → (its state, the text of its row, tags stripped and spaces collapsed)."""
    rows = {}
    for state, row in re.findall(
        r'<tr class="werkgever werkgever--([a-z_]+)"[^>]*>(.*?)</tr>', html, flags=re.S
    ):
        name = re.search(r'<th scope="row" class="werkgever__name"[^>]*>(.*?)</th>', row).group(1)
        rows[name] = (state, " ".join(re.sub(r"<[^>]+>", " ", row).split()))
    return rows


def _rows(html: str) -> dict[str, str]:
    return {name: text for name, (_, text) in _parsed(html).items()}


def _state(html: str, name: str) -> str:
    rows = _parsed(html)
    assert name in rows, f"no row for {name}"
    return rows[name][0]


def _checkboxes(html: str) -> list[str]:
    return re.findall(r'<input type="checkbox" name="employer_id" value="([^"]+)"', html)


def _inline_code(html: str) -> list[str]:
    return (
        re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html)
        + re.findall(r"<style\b", html)
        + re.findall(r"\sstyle=", html)
        + re.findall(r"\son[a-z]+=", html)
    )


# --- access ------------------------------------------------------------------------------------


def test_the_page_requires_login(client, owner):
    response = client.get(PAGE)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("onboarding:login"))


def test_a_user_without_a_processor_gets_a_404(client, loket_settings):
    client.force_login(StaffUserFactory())

    assert client.get(PAGE).status_code == 404


def test_the_dashboard_links_to_the_page(logged_in):
    html = logged_in.get(reverse("onboarding:dashboard")).content.decode()

    assert f'<a href="{PAGE}">Werkgevers</a>' in html


def test_another_processors_requests_and_links_are_never_shown(
    logged_in, owner, django_capture_on_commit_callbacks
):
    other = _with_user(make_processor("ws-andere-partij", n=2))
    _request(other, django_capture_on_commit_callbacks, name="Geheim Bedrijf B.V.")
    with django_capture_on_commit_callbacks(execute=True):
        services.links_register(processor=other, employer_ids=[E1], by=None)
    assert EmployerLink.objects.get().processor == other

    html = logged_in.get(PAGE).content.decode()

    assert "Geheim Bedrijf" not in html
    assert "jan@bakkerij.example" not in html
    assert _state(html, "Bakkerij Van Dijk B.V.") == "available"
    assert _state(html, "Installatiebedrijf De Vries B.V.") == "available"


# --- states ------------------------------------------------------------------------------------


def test_each_employer_shows_its_state_with_the_step_for_a_problem(
    logged_in, owner, django_capture_on_commit_callbacks
):
    _request(owner, django_capture_on_commit_callbacks)
    _request(
        owner,
        django_capture_on_commit_callbacks,
        number=E4_NUMBER,
        kvk="45678901",
        name="Transport Jansen B.V.",
    )

    response = logged_in.get(PAGE)

    html = response.content.decode()
    rows = _rows(html)
    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"]
    assert _inline_code(html) == []
    assert _state(html, "Bakkerij Van Dijk B.V.") == "requested"
    assert "Jan van Dijk" in rows["Bakkerij Van Dijk B.V."]
    assert _state(html, "Transport Jansen B.V.") == "problem"
    assert "Handleiding: stap 3, Ak gebruiker" in rows["Transport Jansen B.V."]
    assert (
        '<a class="finding-step" href="/handleiding/#stap-3-ak-gebruiker">'
        "Handleiding: stap 3, Ak gebruiker</a>" in html
    )
    assert "ziet deze werkgever niet in Loket.nl" in rows["Transport Jansen B.V."]
    assert E4_NUMBER in rows["Transport Jansen B.V."]
    assert _state(html, "Installatiebedrijf De Vries B.V.") == "available"
    assert _state(html, "Zorggroep Tilburg") == "available"
    # E4 is not visible to ws-benefits: it cannot be registered; the three others can.
    assert sorted(_checkboxes(html)) == [E1, E2, E3]
    assert "Gegevens uit Loket.nl van" in html


def test_registering_a_requested_employer_links_it(
    logged_in, owner, django_capture_on_commit_callbacks
):
    request = _request(owner, django_capture_on_commit_callbacks)

    with django_capture_on_commit_callbacks(execute=True):
        response = logged_in.post(REGISTER, {"employer_id": [E1]})

    html = logged_in.get(response["Location"]).content.decode()
    link = EmployerLink.objects.get()
    assert response["Location"] == PAGE
    assert "1 werkgever aangemeld. De werkgever is gekoppeld." in html
    assert "wordt nu gekoppeld" not in html  # the table says "Gekoppeld": so does the message
    assert (link.loket_employer_id, link.status, link.request) == (E1, LinkStatus.ACTIVE, request)
    assert link.registered_by == owner.user
    assert _state(html, "Bakkerij Van Dijk B.V.") == "linked"
    assert E1 not in _checkboxes(html)


def test_registering_before_the_request_shows_registered_then_linked(
    logged_in, owner, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = logged_in.post(REGISTER, {"employer_id": [E2]}, follow=True)

    html = response.content.decode()
    assert (
        "1 werkgever aangemeld. De werkgever heeft de koppeling nog niet aangevraagd; "
        "wij koppelen zodra de aanvraag er is."
    ) in html
    assert "De andere" not in html  # there are no others
    assert _state(html, "Installatiebedrijf De Vries B.V.") == "registered"

    _request(
        owner,
        django_capture_on_commit_callbacks,
        number=["173718528L02", "173718528L01"],
        kvk="23456789",
        name="De Vries",
    )

    html = logged_in.get(PAGE).content.decode()
    assert _state(html, "Installatiebedrijf De Vries B.V.") == "linked"
    assert "De Vries</th>" not in html  # one row: the request belongs to the registered employer


def test_registering_again_counts_it_as_already_registered(
    logged_in, owner, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        logged_in.post(REGISTER, {"employer_id": [E2]})
        response = logged_in.post(REGISTER, {"employer_id": [E2, E4, "x" * 80]}, follow=True)

    html = response.content.decode()
    assert EmployerLink.objects.count() == 1
    assert "Er is geen werkgever nieuw aangemeld. 1 werkgever was al aangemeld." in html
    assert "1 werkgever staat niet (meer) in Loket.nl" in html


def test_registering_nothing_says_so(logged_in, owner):
    response = logged_in.post(REGISTER, {"status": "available"}, follow=True)

    assert response.redirect_chain == [(f"{PAGE}?status=available", 302)]
    assert "Er is geen werkgever gekozen" in response.content.decode()
    assert not EmployerLink.objects.exists()


def test_select_all_matching_registers_every_matching_employer_across_pages(
    client, loket_settings, django_capture_on_commit_callbacks
):
    groot = _with_user(make_processor("ws-groot"))
    client.force_login(groot.user)
    # "Groot Werkgever 000" matches employers 00001 to 00099: two pages of 50.
    first_page = client.get(PAGE, {"q": "Groot Werkgever 000"}).content.decode()
    assert "99 werkgevers." in first_page
    assert "Pagina 1 van 2" in first_page
    assert len(_checkboxes(first_page)) == 50

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            REGISTER,
            {
                "q": "Groot Werkgever 000",
                "alle": "1",
                "pagina": "2",
                "bevestigd": "1",
                "aantal": "99",
            },
        )

    names = set(EmployerLink.objects.values_list("employer_name", flat=True))
    assert response.status_code == 302
    assert response["Location"] == f"{PAGE}?q=Groot+Werkgever+000&pagina=2"
    assert len(names) == 99
    assert names == {f"Groot Werkgever {n:05d} B.V." for n in range(1, 100)}
    assert LinkTaxNumber.objects.count() == 99
    html = client.get(PAGE, {"q": "Groot Werkgever 000", "status": "registered"}).content.decode()
    assert (
        "99 werkgevers aangemeld. Deze werkgevers hebben de koppeling nog niet aangevraagd; "
        "wij koppelen elk zodra de aanvraag er is."
    ) in html
    assert "De andere" not in html
    assert "99 werkgevers." in html
    assert _checkboxes(html) == []


def test_select_all_matching_respects_the_state_filter(
    logged_in, owner, django_capture_on_commit_callbacks
):
    _request(owner, django_capture_on_commit_callbacks)

    with django_capture_on_commit_callbacks(execute=True):
        logged_in.post(
            REGISTER, {"status": "requested", "alle": "1", "bevestigd": "1", "aantal": "1"}
        )

    assert list(EmployerLink.objects.values_list("loket_employer_id", "status")) == [
        (E1, LinkStatus.ACTIVE)
    ]


def test_filter_and_search_narrow_the_rows(logged_in, owner, django_capture_on_commit_callbacks):
    _request(owner, django_capture_on_commit_callbacks)

    by_state = logged_in.get(PAGE, {"status": "requested"}).content.decode()
    by_number = logged_in.get(PAGE, {"q": "173718528l02"}).content.decode()
    by_kvk = logged_in.get(PAGE, {"q": "34567890"}).content.decode()
    nonsense = logged_in.get(PAGE, {"status": "<b>", "q": "\x00zzz", "pagina": "x"})

    assert list(_rows(by_state)) == ["Bakkerij Van Dijk B.V."]
    assert list(_rows(by_number)) == ["Installatiebedrijf De Vries B.V."]
    assert list(_rows(by_kvk)) == ["Zorggroep Tilburg"]
    assert nonsense.status_code == 200
    assert "Geen werkgevers gevonden" in nonsense.content.decode()


# --- Loket.nl: refresh, outage ------------------------------------------------------------------


def _stale_view(processor) -> None:
    """Put an old answer in the cache, as if fetched before the team changed in Loket.nl."""
    current = snapshot(processor)
    key = snapshot_key(processor)
    snapshot_cache_put(processor, LoketSnapshot(access=current.access, employers=()))
    cache.set(f"{key}:page-at", timezone.now(), 300)


def test_the_cached_view_is_used_until_the_processor_refreshes(logged_in, owner):
    _stale_view(owner)

    stale = logged_in.get(PAGE).content.decode()
    fresh = logged_in.get(PAGE, {"vernieuwen": "1"}).content.decode()

    assert _rows(stale) == {}
    assert sorted(_checkboxes(fresh)) == [E1, E2, E3]


def test_the_refresh_button_fetches_again_and_returns_to_the_filter(logged_in, owner):
    _stale_view(owner)

    response = logged_in.post(PAGE, {"vernieuwen": "1", "q": "Zorg"}, follow=True)

    html = response.content.decode()
    assert response.redirect_chain == [(f"{PAGE}?q=Zorg", 302)]
    assert "De gegevens uit Loket.nl zijn vernieuwd." in html
    assert list(_rows(html)) == ["Zorggroep Tilburg"]


def test_refreshing_is_limited_per_minute_and_the_cached_view_stays(logged_in, owner, settings):
    settings.WERKGEVERS_REFRESHES_PER_MINUTE = 2
    for _ in range(2):
        assert "zijn vernieuwd" in logged_in.post(PAGE, {"vernieuwen": "1"}, follow=True).text
    _stale_view(owner)

    by_button = logged_in.post(PAGE, {"vernieuwen": "1", "q": "Zorg"}, follow=True)
    by_link = logged_in.get(PAGE, {"vernieuwen": "1"})

    assert by_button.redirect_chain == [(f"{PAGE}?q=Zorg", 302)]
    for response in (by_button, by_link):
        assert response.status_code == 200
        assert "U heeft de gegevens net vernieuwd. Vernieuwen kan weer over" in response.text
        assert "zijn vernieuwd" not in response.text
        assert _rows(response.text) == {}  # the cached (stale) view, Loket.nl not asked


def test_refreshing_fails_closed_when_the_counters_are_unreachable(logged_in, owner, settings):
    _stale_view(owner)
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there

    response = logged_in.get(PAGE, {"vernieuwen": "1"})

    assert response.status_code == 200
    assert "Vernieuwen kan op dit moment niet." in response.text
    assert _rows(response.text) == {}


def test_when_loket_is_down_the_page_still_shows_requests_and_links(
    client, loket_settings, django_capture_on_commit_callbacks
):
    down = _with_user(make_processor("ws-benefits", n=3))
    _request(down, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        services.links_register(processor=down, employer_ids=[E2], by=None)
    down.omgevingscode = "STORING"
    down.save(update_fields=["omgevingscode"])
    client.force_login(down.user)

    response = client.get(PAGE)
    again = client.get(PAGE, {"vernieuwen": "1"})
    register = client.post(REGISTER, {"employer_id": [E3]}, follow=True)
    refresh = client.post(PAGE, {"vernieuwen": "1"}, follow=True)

    html = response.content.decode()
    assert response.status_code == again.status_code == 200
    assert "Loket.nl is tijdelijk niet bereikbaar" in html
    assert "Loket.nl is tijdelijk niet bereikbaar" in again.content.decode()
    assert _state(html, "Bakkerij Van Dijk B.V.") == "requested"
    assert _state(html, "Installatiebedrijf De Vries B.V.") == "registered"
    assert _checkboxes(html) == []
    assert "Loket.nl is tijdelijk niet bereikbaar. Er is niets aangemeld" in (
        register.content.decode()
    )
    assert refresh.status_code == 200
    assert "Loket.nl is tijdelijk niet bereikbaar." in refresh.content.decode()
    assert EmployerLink.objects.count() == 1


# --- queries -----------------------------------------------------------------------------------


def _bulk(processor, count: int, *, start: int = 0) -> None:
    """``count`` requests and ``count`` links in every state, none visible in Loket.nl."""
    now = timezone.now()
    requests = EmployerRequest.objects.bulk_create(
        EmployerRequest(
            company_name=f"Werkgever {n}",
            kvk_number=f"{70_000_000 + n}",
            contact_name="Contact",
            contact_email="c@example.nl",
            processor=processor,
            consent_at=now,
            verified_at=now,
            status="open",
        )
        for n in range(start, start + count)
    )
    RequestTaxNumber.objects.bulk_create(
        RequestTaxNumber(request=r, number=f"{500_000_000 + i + start:09d}L01", is_open=True)
        for i, r in enumerate(requests)
    )
    statuses = list(LinkStatus)
    links = EmployerLink.objects.bulk_create(
        EmployerLink(
            processor=processor,
            loket_employer_id=f"link-{n}",
            employer_name=f"Aangemeld {n}",
            status=statuses[n % len(statuses)],
            request=requests[n - start]
            if statuses[n % len(statuses)] != "awaiting_request"
            else None,
            activated_at=now,
            ended_at=now,
            problem_code="NIET_ZICHTBAAR",
        )
        for n in range(start, start + count)
    )
    LinkTaxNumber.objects.bulk_create(
        LinkTaxNumber(link=link, number=f"{600_000_000 + i + start:09d}L01")
        for i, link in enumerate(links)
    )


def _queries(client, **params) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(PAGE, params)
    assert response.status_code == 200
    return len(queries)


def test_the_page_costs_the_same_queries_for_10_or_300_employers(logged_in, owner):
    logged_in.get(PAGE)  # the Loket.nl view is cached from here on
    _bulk(owner, 10)
    small = _queries(logged_in)
    small_filtered = _queries(logged_in, status="problem", q="werkgever")

    _bulk(owner, 290, start=10)
    large = _queries(logged_in)
    large_filtered = _queries(logged_in, status="problem", q="werkgever")

    assert small == large
    assert small_filtered == large_filtered


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner")
def test_the_page_reads_the_numbers_without_a_join_planned_on_empty_statistics(logged_in, owner):
    """Statistics taken while the tables were empty (a new installation, or a bulk load that
    autovacuum has not analysed yet) must not lead PostgreSQL to compare every tax number with
    every link: reading the numbers by the ids in hand keeps each query a single scan."""
    tables = [
        model._meta.db_table
        for model in (EmployerRequest, RequestTaxNumber, EmployerLink, LinkTaxNumber)
    ]
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {', '.join(tables)}")  # empty now: the test's rows come next
    _bulk(owner, 300)

    with CaptureQueriesContext(connection) as queries:
        assert logged_in.get(PAGE).status_code == 200
    plans = {}
    with connection.cursor() as cursor:
        for query in queries.captured_queries:
            if any(f'FROM "{table}"' in query["sql"] for table in tables):
                cursor.execute(f"EXPLAIN {query['sql']}")
                plans[query["sql"][:60]] = "\n".join(line for (line,) in cursor.fetchall())
    assert len(plans) == 4  # requests, their numbers, links, theirs
    for plan in plans.values():
        assert "Join" not in plan, plan
        assert "Nested Loop" not in plan, plan


# --- re-check ----------------------------------------------------------------------------------


def _problem_link(processor, capture) -> EmployerLink:
    request = _request(processor, capture)
    return EmployerLink.objects.create(
        processor=processor,
        loket_employer_id=E1,
        employer_name="Bakkerij Van Dijk B.V.",
        request=request,
        status=LinkStatus.PROBLEM,
        problem_code="NIET_ZICHTBAAR",
    )


def test_a_link_with_a_problem_can_be_checked_again(
    logged_in, owner, django_capture_on_commit_callbacks
):
    link = _problem_link(owner, django_capture_on_commit_callbacks)
    url = reverse("employers:werkgevers_recheck", args=[link.pk])
    assert f'formaction="{url}"' in logged_in.get(PAGE).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = logged_in.post(url, {"status": "problem"}, follow=True)

    link.refresh_from_db()
    assert response.redirect_chain == [(f"{PAGE}?status=problem", 302)]
    assert "wordt opnieuw gecontroleerd" in response.content.decode()
    assert link.status == LinkStatus.ACTIVE
    assert EmployerRequest.objects.get().status == RequestStatus.LINKED


def test_a_link_without_a_problem_is_not_checked_again(
    logged_in, owner, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        logged_in.post(REGISTER, {"employer_id": [E2]})
    link = EmployerLink.objects.get()

    response = logged_in.post(reverse("employers:werkgevers_recheck", args=[link.pk]), follow=True)

    link.refresh_from_db()
    assert "kan nu niet opnieuw worden gecontroleerd" in response.content.decode()
    assert link.status == LinkStatus.AWAITING_REQUEST


def test_another_processors_link_cannot_be_checked_again(
    logged_in, owner, django_capture_on_commit_callbacks
):
    other = make_processor("ws-zonder-team", n=2)
    link = _problem_link(other, django_capture_on_commit_callbacks)

    response = logged_in.post(reverse("employers:werkgevers_recheck", args=[link.pk]))

    link.refresh_from_db()
    assert response.status_code == 404
    assert link.status == LinkStatus.PROBLEM


def test_register_and_recheck_accept_only_post(logged_in, owner):
    assert logged_in.get(REGISTER).status_code == 405
    assert logged_in.get(reverse("employers:werkgevers_recheck", args=[1])).status_code == 405
    assert not EmployerLink.objects.exists()


# --- 10,000 employers --------------------------------------------------------------------------


def test_the_page_shows_10000_employers_in_the_same_few_queries_on_every_page(
    client, loket_settings, django_capture_on_commit_callbacks
):
    """ws-groot sees 10,000 employers; each has a request and a registration (a mix of states).
    The page is a warm one: the Loket.nl snapshot is cached, as it is for ``LOKET_VIEW_TTL``
    seconds after any fetch. How fast it renders is measured by bench/link_10k.py
    (``werkgevers_page_ms``), not asserted here."""
    groot = _with_user(make_processor("ws-groot"))
    employers = snapshot(groot).employers
    assert len(employers) == 10_000
    now = timezone.now()
    requests = EmployerRequest.objects.bulk_create(
        EmployerRequest(
            company_name=e.name,
            kvk_number=e.kvk_number,
            contact_name="Contact",
            contact_email="c@example.nl",
            processor=groot,
            consent_at=now,
            verified_at=now,
            status="open",
        )
        for e in employers
    )
    RequestTaxNumber.objects.bulk_create(
        RequestTaxNumber(request=r, number=e.payroll_tax_numbers[0], is_open=True)
        for r, e in zip(requests, employers, strict=True)
    )
    links = EmployerLink.objects.bulk_create(
        EmployerLink(
            processor=groot,
            loket_employer_id=e.id,
            employer_name=e.name,
            kvk_number=e.kvk_number,
            request=r,
            status=LinkStatus.ACTIVE if n % 4 else LinkStatus.PENDING,
            activated_at=now,
        )
        for n, (r, e) in enumerate(zip(requests[:7_500], employers[:7_500], strict=True))
    )
    LinkTaxNumber.objects.bulk_create(
        LinkTaxNumber(link=link, number=e.payroll_tax_numbers[0])
        for link, e in zip(links, employers[:7_500], strict=True)
    )
    client.force_login(groot.user)
    client.get(PAGE)  # warm: the session, the template cache

    queries = []
    for params in ({}, {"pagina": "150"}, {"status": "requested", "q": "werkgever 09"}):
        with CaptureQueriesContext(connection) as captured:
            response = client.get(PAGE, params)
        queries.append(len(captured))
        assert response.status_code == 200

    html = response.content.decode()
    assert "Alle 1.000 werkgevers die aan het filter voldoen aanmelden" in html
    assert "1.000 werkgevers." in html  # 09000..09999: not registered, so "requested"
    # session, user, processor, the overview's four, the shown rows' contacts: not per employer
    assert queries[0] == queries[1] == queries[2] <= 8, queries


# --- the result of a registration, as the page renders it (issue 11, finding 10) ---------------


def test_the_result_says_linked_when_the_link_was_made_before_the_page_renders(
    logged_in, owner, django_capture_on_commit_callbacks
):
    _request(owner, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks() as linking:
        response = logged_in.post(REGISTER, {"employer_id": [E1]})
    for task in linking:  # the worker links it between the redirect and the page
        task()

    html = logged_in.get(response["Location"]).content.decode()

    assert _state(html, "Bakkerij Van Dijk B.V.") == "linked"
    assert "1 werkgever aangemeld. De werkgever is gekoppeld." in html
    assert "wordt nu gekoppeld" not in html


def test_the_result_says_being_linked_while_the_link_is_still_pending(
    logged_in, owner, django_capture_on_commit_callbacks
):
    _request(owner, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks():  # the linking task has not run yet
        response = logged_in.post(REGISTER, {"employer_id": [E1]})

    html = logged_in.get(response["Location"]).content.decode()
    again = logged_in.get(PAGE).content.decode()

    assert _state(html, "Bakkerij Van Dijk B.V.") == "pending"
    assert (
        "1 werkgever aangemeld. 1 daarvan heeft de koppeling al aangevraagd en wordt nu gekoppeld."
    ) in html
    assert "aangemeld." not in again  # said once


def test_the_result_counts_linked_and_waiting_employers_apart(
    logged_in, owner, django_capture_on_commit_callbacks
):
    _request(owner, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        response = logged_in.post(REGISTER, {"employer_id": [E1, E2, E3]})

    html = logged_in.get(response["Location"]).content.decode()
    assert (
        "3 werkgevers aangemeld. 1 daarvan is gekoppeld. 2 daarvan hebben de koppeling nog niet "
        "aangevraagd; wij koppelen elk zodra de aanvraag er is."
    ) in html


# --- select everything that matches: a confirmation step first ---------------------------------


def test_select_all_matching_asks_for_confirmation_with_the_count_before_registering(
    client, loket_settings
):
    groot = _with_user(make_processor("ws-groot"))
    client.force_login(groot.user)
    data = {"q": "Groot Werkgever 000", "alle": "1", "pagina": "2"}

    response = client.post(REGISTER, data)

    html = response.content.decode()
    assert response.status_code == 200
    assert not EmployerLink.objects.exists()
    assert "<h1>99 werkgevers aanmelden?</h1>" in html
    assert "U meldt 99 werkgevers aan" in html
    assert "ook die op andere pagina" in html
    assert "99 werkgevers hebben de koppeling nog niet aangevraagd" in html
    assert "Groot Werkgever 000" in html  # the search it applies to
    assert "Ja, 99 werkgevers aanmelden" in html
    assert '<input type="hidden" name="aantal" value="99">' in html
    assert '<input type="hidden" name="bevestigd" value="1">' in html
    cancel = (
        f'<a href="{PAGE}?q=Groot+Werkgever+000&amp;pagina=2" class="button button--secondary">'
    )
    assert cancel + "Annuleren</a>" in html
    assert _inline_code(html) == []


def test_select_all_matching_asks_again_when_the_count_changed(client, loket_settings):
    groot = _with_user(make_processor("ws-groot"))
    client.force_login(groot.user)

    response = client.post(
        REGISTER, {"q": "Groot Werkgever 000", "alle": "1", "bevestigd": "1", "aantal": "98"}
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert not EmployerLink.objects.exists()
    assert "Het aantal werkgevers dat aan het filter voldoet is veranderd" in html
    assert '<input type="hidden" name="aantal" value="99">' in html


def test_the_page_offers_select_all_on_this_page_through_its_own_script(logged_in, owner):
    html = logged_in.get(PAGE).content.decode()

    assert 'data-select-page-label="Alle werkgevers op deze pagina selecteren"' in html
    assert '<script src="/static/js/werkgevers.js" defer></script>' in html
    assert _inline_code(html) == []


# --- the page's language (issue 11, finding 3) -------------------------------------------------

_DATA = (  # names and contacts from the sandbox and the requests: not the page's own words
    "Bakkerij Van Dijk B.V.",
    "Installatiebedrijf De Vries B.V.",
    "Zorggroep Tilburg",
    "Jan van Dijk",
    "jan@bakkerij.example",
)
_DUTCH = re.compile(
    r"\b(de|het|een|van|en|niet|nog|geen|alle|wordt|worden|werkgevers?|aanvraag|aangevraagd|"
    r"aangemeld|aanmelden|koppeling|gekoppeld|selecteren|pagina|zoek|gegevens|vernieuwen|"
    r"wacht|uw|u|met|bij|op|Wat te doen|Mijn)\b"
)
_ENGLISH = re.compile(
    r"\b(the|and|employers?|requests?|requested|select|register|registered|linked|page|"
    r"search|waiting|with|your|you|What to do)\b"
)


def _main_text(html: str) -> str:
    main = re.search(r"<main[^>]*>(.*?)</main>", html, flags=re.S).group(1)
    text = re.sub(r"<[^>]+>", " ", main)
    text = text.replace("&#x27;", "'").replace("&amp;", "&")
    for data in _DATA:
        text = text.replace(data, " ")
    return " ".join(text.split())


def _page_in(language: str, client, employer_ids: list[str], capture) -> tuple[str, str]:
    """The confirmation page of "register everything that matches", then the Werkgevers page
    after registering ``employer_ids``, in ``language``."""
    confirm = client.post(REGISTER, {"alle": "1"}, HTTP_ACCEPT_LANGUAGE=language)
    with capture(execute=True):
        response = client.post(
            REGISTER, {"employer_id": employer_ids}, HTTP_ACCEPT_LANGUAGE=language
        )
    page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE=language).content.decode()
    return page, confirm.content.decode()


def test_the_english_page_has_no_dutch_and_the_dutch_page_no_english(
    logged_in, owner, django_capture_on_commit_callbacks
):
    _request(owner, django_capture_on_commit_callbacks)
    nl_page, nl_confirm = _page_in("nl", logged_in, [E1, E2], django_capture_on_commit_callbacks)
    en_page, en_confirm = _page_in("en", logged_in, [E3], django_capture_on_commit_callbacks)

    assert '<html lang="en">' in en_page
    assert "1 employer registered. The employer has not requested the link yet" in en_page
    assert "<h1>Employers</h1>" in en_page
    assert "<h1>Register 1 employer?</h1>" in en_confirm
    assert "Yes, register 1 employer" in en_confirm
    assert "<h1>3 werkgevers aanmelden?</h1>" in nl_confirm
    for html in (en_page, en_confirm):
        text = _main_text(html)
        assert _DUTCH.findall(text) == [], text
    for html in (nl_page, nl_confirm):
        text = _main_text(html)
        assert _ENGLISH.findall(text) == [], text
    assert "2 werkgevers aangemeld. 1 daarvan is gekoppeld." in nl_page


def test_counts_are_grouped_per_language(client, loket_settings):
    groot = _with_user(make_processor("ws-groot"))
    client.force_login(groot.user)

    nl = client.get(PAGE, HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    en = client.get(PAGE, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "10.000 werkgevers." in nl
    assert "Alle statussen (10.000)" in nl
    assert "10,000 employers." in en
    assert "All states (10,000)" in en
