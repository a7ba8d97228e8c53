"""Issue 14, point 7: the processor's dashboard shows the last delivery per employer (the tag
``{% last_deliveries %}``), and ``/account/leveringen/`` lists them all, a page at a time;
counts only, never employee data."""

from __future__ import annotations

import pytest
from django.urls import reverse

from deliveries import periods
from deliveries.models import DeliveryStatus, EmployeeRecord
from deliveries.reporting import last_deliveries
from deliveries.templatetags.deliveries_tags import DASHBOARD_ROWS
from tests.deliveries_ui.conftest import make_delivery, make_link, month
from tests.employers.conftest import make_processor
from tests.onboarding.factories import UserFactory, logged_in_processor

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("onboarding:dashboard")
FULL = reverse("deliveries:processor_deliveries")


@pytest.fixture
def mine(client):
    return logged_in_processor(client)


def test_it_gives_the_latest_delivery_of_each_employer_newest_period_first(mine):
    bakker = make_link(mine, name="Bakkerij Van Dijk")
    make_delivery(bakker, month(2026, 2), employees=4, wages=4)
    make_delivery(bakker, month(2026, 3), employees=5, wages=6)
    kapper = make_link(mine, name="Kapsalon Smit")
    make_delivery(kapper, month(2026, 2), DeliveryStatus.FAILED, will_retry=True)
    make_link(mine, name="Zonder levering")
    make_delivery(make_link(make_processor("ws-ander"), name="Van een ander"), month(2026, 4))

    rows, total = last_deliveries(mine, limit=10)

    assert [(r.employer_name, r.period, r.status) for r in rows] == [
        ("Bakkerij Van Dijk", 3, "delivered"),
        ("Kapsalon Smit", 2, "failed"),
    ]
    assert (rows[0].employees, rows[0].wages, total) == (5, 6, 2)
    assert rows[1].employees is None


def test_the_newest_of_the_last_deliveries_and_their_number_are_two_queries(
    mine, django_assert_num_queries
):
    for number in range(12):
        link = make_link(mine, name=f"Werkgever {number:02d}")
        make_delivery(link, month(2025, 12))
        make_delivery(link, month(2026, 1 + number % 3))

    with django_assert_num_queries(2):
        rows, total = last_deliveries(mine, limit=DASHBOARD_ROWS)

    assert total == 12
    assert len(rows) == DASHBOARD_ROWS
    # newest period first (March: employers 2, 5, 8, 11), then by name
    assert [(r.period, r.employer_name) for r in rows[:4]] == [
        (3, "Werkgever 02"),
        (3, "Werkgever 05"),
        (3, "Werkgever 08"),
        (3, "Werkgever 11"),
    ]


def test_the_dashboard_shows_the_last_delivery_per_employer(client, mine):
    bakker = make_link(mine, name="Bakkerij Van Dijk")
    make_delivery(bakker, month(2026, 2))
    make_delivery(bakker, month(2026, 3), employees=5, wages=6)
    make_delivery(make_link(mine, name="Kapsalon Smit"), month(2026, 3), DeliveryStatus.FAILED)
    make_delivery(make_link(make_processor("ws-ander"), name="Van een ander"), month(2026, 3))

    html = client.get(DASHBOARD).content.decode()

    assert "Leveringen aan a.s.r." in html
    table = html[html.index('<table class="deliveries"') : html.index("</table>")]
    assert "Bakkerij Van Dijk" in table
    assert "maart 2026" in table
    assert "5 werknemers, 6 loonregels" in table
    assert "Geleverd" in table
    assert "Kapsalon Smit" in table
    assert "Mislukt" in table
    assert "februari 2026" not in table  # only the last one per employer
    assert "Van een ander" not in html
    assert f'href="{FULL}"' in html


def test_the_dashboard_shows_the_newest_rows_and_the_way_to_all_of_them(client, mine):
    for number in range(DASHBOARD_ROWS + 5):
        make_delivery(make_link(mine, name=f"Werkgever {number:02d}"), month(2026, 3))

    response = client.get(DASHBOARD)

    html = response.content.decode()
    assert html.count('class="delivery delivery--delivered"') == DASHBOARD_ROWS
    assert f"de {DASHBOARD_ROWS} nieuwste van 15 werkgevers" in html
    assert "Alle leveringen bekijken (15 werkgevers)" in html


def test_the_dashboard_explains_when_the_first_delivery_comes_when_there_is_none(client, mine):
    make_link(mine, name="Net gekoppeld")

    html = client.get(DASHBOARD).content.decode()

    assert "Er is nog niets geleverd." in html
    assert "De eerste levering volgt kort nadat de koppeling actief is" in html
    assert '<table class="deliveries"' not in html


def test_the_dashboard_costs_the_same_queries_for_10_and_100_employers(
    client, mine, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(10):
        make_delivery(make_link(mine), month(2026, 3))
    with CaptureQueriesContext(connection) as ten:
        client.get(DASHBOARD)
    for _ in range(90):
        make_delivery(make_link(mine), month(2026, 3))

    with django_assert_max_num_queries(len(ten)):
        response = client.get(DASHBOARD)

    assert "nieuwste van 100 werkgevers" in response.content.decode()


def test_the_full_page_lists_every_employer_fifty_to_a_page(client, mine):
    for number in range(55):
        make_delivery(make_link(mine, name=f"Werkgever {number:02d}"), month(2026, 3))

    first = client.get(FULL)
    second = client.get(FULL, {"pagina": 2})

    assert first.status_code == 200
    assert len(first.context["rows"]) == 50
    assert len(second.context["rows"]) == 5
    assert "55 werkgevers." in first.content.decode()
    assert 'href="?pagina=2"' in first.content.decode()
    assert client.get(FULL, {"pagina": "onzin"}).status_code == 200


def test_the_full_page_costs_the_same_queries_for_10_and_100_employers(
    client, mine, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(10):
        make_delivery(make_link(mine), month(2026, 3))
    with CaptureQueriesContext(connection) as ten:
        client.get(FULL)
    for _ in range(90):
        make_delivery(make_link(mine), periods.Period(2026, 10, periods.FOUR_WEEKS))

    with django_assert_max_num_queries(len(ten)):
        response = client.get(FULL)

    assert response.context["page"].paginator.count == 100


def test_no_employee_data_is_shown(client, mine):
    delivery = make_delivery(make_link(mine, name="Bakkerij Van Dijk"), month(2026, 3))
    EmployeeRecord.objects.create(
        version=delivery.versions.get(),
        loket_id="00000000-0000-4000-8000-0000000000aa",
        number=1,
        bsn_hash="f" * 64,
        last_name="Geheimnaam",
    )

    for url in (DASHBOARD, FULL):
        html = client.get(url).content.decode()
        assert "Bakkerij Van Dijk" in html
        assert "Geheimnaam" not in html


def test_the_full_page_is_for_a_logged_in_processor_only(client, db):
    assert client.get(FULL).status_code == 302
    client.force_login(UserFactory())
    assert client.get(FULL).status_code == 404


def test_the_full_page_without_deliveries_explains_when_the_first_comes(client, mine):
    html = client.get(FULL).content.decode()

    assert "Er is nog niets geleverd." in html


def test_the_full_page_filters_on_the_status_of_the_last_delivery(client, mine):
    for number in range(3):
        make_delivery(make_link(mine, name=f"Geleverd {number}"), month(2026, 3))
    failed = make_link(mine, name="Mislukt nu")
    make_delivery(failed, month(2026, 2))
    make_delivery(failed, month(2026, 3), DeliveryStatus.FAILED)
    busy = make_link(mine, name="Wordt opgehaald")
    make_delivery(busy, month(2026, 3), DeliveryStatus.RETRIEVING)

    everything = client.get(FULL)
    failing = client.get(FULL, {"status": "failed"})
    pending = client.get(FULL, {"status": "pending"})

    assert everything.context["counts"] == {
        "all": 5,
        "delivered": 3,
        "failed": 1,
        "pending": 1,
        "stopped": 0,
    }
    assert [r.employer_name for r in failing.context["rows"]] == ["Mislukt nu"]
    assert [r.employer_name for r in pending.context["rows"]] == ["Wordt opgehaald"]
    assert '<option value="failed" selected>Mislukt (1)</option>' in failing.content.decode()
    stopped = client.get(FULL, {"status": "stopped"}).content.decode()
    assert "Geen werkgevers waarvan de laatste levering deze status heeft." in stopped
    assert len(client.get(FULL, {"status": "onzin"}).context["rows"]) == 5


def test_the_pages_of_a_filter_keep_the_filter(client, mine):
    for _ in range(55):
        make_delivery(make_link(mine), month(2026, 3), DeliveryStatus.FAILED)

    html = client.get(FULL, {"status": "failed"}).content.decode()

    assert 'href="?status=failed&amp;pagina=2"' in html
