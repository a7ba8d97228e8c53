"""Issue 14, point 7: the admin's deliveries overview per period (deliveries.admin_overview):
counts per processor and status, the chart, who may see it, and a constant number of queries."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from deliveries import periods
from deliveries.admin_overview import build_chart, period_from
from deliveries.models import DeliveryStatus
from deliveries.reporting import period_counts
from tests.deliveries_ui.conftest import make_delivery, make_link, month
from tests.employers.conftest import make_processor
from tests.onboarding.factories import StaffUserFactory

pytestmark = pytest.mark.django_db

URL = reverse("admin:deliveries_deliveryoverview_changelist")
MARCH = month(2026, 3)


def _march_url() -> str:
    return f"{URL}?type=maand&jaar=2026&periode=3"


@pytest.fixture
def staff(client):
    client.force_login(get_user_model().objects.create_superuser("beheer", "b@asr.example", "x"))
    return client


@pytest.fixture
def two_processors(db):
    """Bakker: 3 delivered, 1 failed, 1 pending, 1 retrieving, 1 stopped in March; De Vries: 2
    delivered. Around them, deliveries that are not March's months: February, a 4-weekly
    period 3 of 2026."""
    bakker = make_processor("ws-bakker", n=1)
    bakker.company_name = "Loonbureau Bakker"
    bakker.save(update_fields=["company_name"])
    vries = make_processor("ws-vries", n=2)
    vries.company_name = "Salarisbureau De Vries"
    vries.save(update_fields=["company_name"])
    states = [DeliveryStatus.DELIVERED] * 3 + [
        DeliveryStatus.FAILED,
        DeliveryStatus.PENDING,
        DeliveryStatus.RETRIEVING,
        DeliveryStatus.STOPPED,
    ]
    for state in states:
        link = make_link(bakker)
        make_delivery(link, MARCH, state)
        make_delivery(link, month(2026, 2), DeliveryStatus.FAILED)
    for _ in range(2):
        make_delivery(make_link(vries), MARCH)
    make_delivery(make_link(vries), periods.Period(2026, 3, periods.FOUR_WEEKS))
    return bakker, vries


def test_it_counts_the_deliveries_of_the_period_per_processor_and_status(two_processors):
    rows = period_counts(MARCH)

    assert [(r.name, r.delivered, r.failed, r.pending, r.stopped, r.total) for r in rows] == [
        ("Loonbureau Bakker", 3, 1, 2, 1, 7),
        ("Salarisbureau De Vries", 2, 0, 0, 0, 2),
    ]


def test_the_page_shows_the_counts_and_totals_of_the_period_asked_for(staff, two_processors):
    response = staff.get(_march_url())

    assert response.status_code == 200
    assert response.templates[0].name == "admin/deliveries/overview.html"
    html = response.content.decode()
    table = html[html.index('<table id="overview-table">') :]
    cells = [
        re.sub(r"<[^>]+>", "", cell).strip()
        for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", table, re.S)
    ]
    assert cells[6:12] == ["Loonbureau Bakker", "3", "1", "2", "1", "7"]
    assert cells[12:18] == ["Salarisbureau De Vries", "2", "0", "0", "0", "2"]
    assert cells[18:24] == ["Totaal", "5", "1", "2", "1", "9"]
    assert "maart 2026" in html


def test_the_chart_is_an_accessible_svg_with_a_bar_per_processor(staff, two_processors):
    html = staff.get(_march_url()).content.decode()

    svg = re.search(r"<svg role=\"img\"[^>]*>.*?</svg>", html, re.S).group(0)
    opening = svg[: svg.index(">")]
    assert 'role="img"' in opening
    assert 'aria-labelledby="overview-chart-title overview-chart-desc"' in opening
    assert re.search(r'viewBox="0 0 320 \d+"', opening)
    assert '<title id="overview-chart-title">Leveringen per salarisverwerker, maart 2026' in svg
    assert '<desc id="overview-chart-desc">' in svg
    assert "De tabel hieronder geeft dezelfde aantallen." in svg
    # Not colour alone: the failed and pending segments have a pattern, and each is named.
    assert 'id="chart-failed"' in svg
    assert 'id="chart-pending"' in svg
    assert svg.count('class="overview-chart__bar"') == 2
    assert 'fill="url(#chart-failed)"' in svg
    assert "3 geleverd · 1 mislukt · 2 wacht" in svg
    # Drawn on the server: nothing in it runs or loads from elsewhere.
    assert "<script" not in svg
    assert "href" not in svg


def test_the_bars_are_to_one_scale_and_stack_delivered_failed_pending(two_processors):
    chart = build_chart(period_counts(MARCH))

    bakker, vries = chart.bars
    assert [s.status for s in bakker.segments] == ["delivered", "failed", "pending"]
    # Bakker's 6 drawn deliveries fill the width; De Vries' 2 a third of it.
    assert sum(s.width for s in bakker.segments) == pytest.approx(320)
    assert sum(s.width for s in vries.segments) == pytest.approx(320 / 3, abs=0.01)
    assert bakker.segments[1].x == pytest.approx(bakker.segments[0].width)


def test_without_parameters_it_shows_the_latest_closed_month(staff, processor):
    last = periods.last_closed(timezone.localdate(), periods.MONTH)
    make_delivery(make_link(processor), last)

    response = staff.get(URL)

    assert response.context["period"] == last
    assert response.context["is_latest"] is True
    assert response.context["next_query"] == ""
    assert response.context["previous_query"] == (
        f"?type=maand&jaar={last.previous().year}&periode={last.previous().number}"
    )
    assert response.context["totals"]["delivered"] == 1


def test_the_period_types_each_link_to_their_latest_closed_period(staff, db):
    response = staff.get(f"{URL}?type=week")

    today = timezone.localdate()
    assert response.context["period"] == periods.last_closed(today, periods.WEEK)
    types = {value: query for value, _label, query in response.context["types"]}
    four = periods.last_closed(today, periods.FOUR_WEEKS)
    assert types["4weken"] == f"?type=4weken&jaar={four.year}&periode={four.number}"
    assert "Voor deze periode zijn er geen leveringen." in response.content.decode()


@pytest.mark.parametrize(
    "query",
    [
        "?type=jaar",
        "?jaar=abc&periode=1",
        "?jaar=2026&periode=13",
        "?jaar=1&periode=1",
        "?jaar=2026",
        "?periode=%00",
    ],
)
def test_a_bad_period_shows_the_latest_closed_one_with_a_notice_never_an_error(staff, db, query):
    response = staff.get(URL + query)

    assert response.status_code == 200
    assert response.context["period"] == periods.last_closed(timezone.localdate(), periods.MONTH)
    assert "Deze periode bestaat niet" in response.content.decode()


def test_period_from_reads_the_query_string():
    today = timezone.localdate().replace(year=2026, month=5, day=10)

    assert period_from({}, today) == (month(2026, 4), True)
    assert period_from({"type": "4weken", "jaar": "2025", "periode": "13"}, today) == (
        periods.Period(2025, 13, periods.FOUR_WEEKS),
        True,
    )


def test_staff_without_the_view_permission_is_refused(client, two_processors):
    client.force_login(StaffUserFactory())

    assert client.get(_march_url()).status_code == 403
    index = client.get(reverse("admin:index")).content.decode()
    assert "Leveringsoverzicht" not in index


def test_staff_with_the_view_permission_of_deliveries_sees_it(client, two_processors):
    client.force_login(StaffUserFactory(permissions=["deliveries.view_delivery"]))

    response = client.get(_march_url())

    assert response.status_code == 200
    assert response.context["totals"]["total"] == 9
    assert URL in client.get(reverse("admin:index")).content.decode()


def test_a_visitor_who_is_not_logged_in_goes_to_the_login(client, db):
    response = client.get(URL)

    assert response.status_code == 302
    assert "/beheer/login/" in response["Location"]


def test_the_overview_has_no_add_change_or_delete_pages(staff, db):
    assert staff.get(f"{URL}add/").status_code in (302, 404)
    assert staff.get(f"{URL}1/change/").status_code in (302, 404)


def _fill(links: int) -> None:
    processors = [make_processor(f"ws-schaal-{links}-{i}", n=i) for i in range(5)]
    for index in range(links):
        make_delivery(
            make_link(processors[index % 5]),
            MARCH,
            [DeliveryStatus.DELIVERED, DeliveryStatus.FAILED, DeliveryStatus.PENDING][index % 3],
        )


def test_the_number_of_queries_does_not_grow_with_the_number_of_links(
    staff, django_assert_max_num_queries
):
    _fill(10)
    with CaptureQueriesContext(connection) as ten:
        assert staff.get(_march_url()).context["totals"]["total"] == 10
    _fill(90)

    with django_assert_max_num_queries(len(ten)):
        response = staff.get(_march_url())

    assert response.context["totals"]["total"] == 100
    assert len(response.context["rows"]) == 10
    assert len(ten) <= 5  # the session, the user, the counts (and the admin's own look-ups)
