"""Links and deliveries: lists, details and their filters (issue 14, point 5)."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from deliveries.models import Delivery, DeliveryStatus
from deliveries.periods import Period
from employers.models import EmployerLink, LinkStatus
from tests.api.conftest import add_version, make_delivery, make_link

pytestmark = pytest.mark.django_db
LONG_AGO = datetime.datetime(2025, 1, 15, 12, 0, tzinfo=datetime.UTC)


def _ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["results"]]


def test_a_link_shows_its_employer_processor_tax_numbers_and_when_it_changed(api, processor):
    link = make_link(processor, 7)

    body = api.get(f"/api/v1/links/{link.pk}/").json()

    assert body["id"] == link.pk
    assert body["status"] == "active"
    assert body["loket_employer_id"] == link.loket_employer_id
    assert body["employer_name"] == "Werkgever 7 B.V."
    assert body["tax_numbers"] == ["100000007L01"]
    assert body["processor"] == {"id": processor.pk, "name": processor.company_name}
    assert body["changed_at"] == max(link.registered_at, link.activated_at).isoformat()
    assert api.get("/api/v1/links/", {"status": "active"}).json()["results"] == [body]


def test_links_filter_by_status(api, processor):
    active = make_link(processor, 1)
    pending = make_link(processor, 2, status=LinkStatus.PENDING)
    ended = make_link(processor, 3, status=LinkStatus.ENDED)

    assert _ids(api.get("/api/v1/links/")) == [active.pk, pending.pk, ended.pk]
    assert _ids(api.get("/api/v1/links/", {"status": "ended"})) == [ended.pk]
    assert _ids(api.get("/api/v1/links/", {"status": "pending"})) == [pending.pk]


def test_links_filter_by_changed_since_a_date_or_a_moment(api, processor):
    old = make_link(processor, 1)
    EmployerLink.objects.filter(pk=old.pk).update(
        registered_at=LONG_AGO, activated_at=LONG_AGO, checked_at=LONG_AGO
    )
    recent = make_link(processor, 2)
    ended_lately = make_link(processor, 3)
    EmployerLink.objects.filter(pk=ended_lately.pk).update(
        registered_at=LONG_AGO, activated_at=LONG_AGO, checked_at=LONG_AGO,
        status=LinkStatus.ENDED, ended_at=timezone.now(),
    )  # fmt: skip

    assert _ids(api.get("/api/v1/links/", {"changed_since": "2026-01-01"})) == [
        recent.pk,
        ended_lately.pk,
    ]
    assert _ids(api.get("/api/v1/links/", {"changed_since": "2025-01-15T12:00:00Z"})) == [
        old.pk,
        recent.pk,
        ended_lately.pk,
    ]
    assert _ids(api.get("/api/v1/links/", {"changed_since": "2025-01-15T13:00:01+01:00"})) == [
        recent.pk,
        ended_lately.pk,
    ]
    # a "+" not encoded in the query string arrives as a space
    assert _ids(api.get("/api/v1/links/?changed_since=2025-01-15T13:00:01+01:00")) == [
        recent.pk,
        ended_lately.pk,
    ]


def test_a_delivery_has_its_period_status_and_versions(api, delivered):
    add_version(delivered, employees=2, gross="100.00")

    body = api.get(f"/api/v1/deliveries/{delivered.pk}/").json()

    assert body["id"] == delivered.pk
    assert body["link"] == delivered.link_id
    assert body["loket_employer_id"] == delivered.link.loket_employer_id
    assert body["period"] == "2026-03"
    assert (body["period_start"], body["period_end"]) == ("2026-03-01", "2026-03-31")
    assert body["status"] == "delivered"
    assert body["current_version"] == 2
    assert [v["number"] for v in body["versions"]] == [1, 2]
    assert [v["employees"] for v in body["versions"]] == [3, 2]
    assert "gender" not in str(body)


@pytest.fixture
def calendar(processor):
    """Deliveries of three links in the three kinds of period."""
    monthly, four_weekly, weekly = (make_link(processor, n) for n in (1, 2, 3))
    return {
        "march": make_delivery(monthly, Period(2026, 3, "maand")),
        "april": make_delivery(monthly, Period(2026, 4, "maand"), status=DeliveryStatus.FAILED),
        "2025-12": make_delivery(monthly, Period(2025, 12, "maand")),
        "4w05": make_delivery(four_weekly, Period(2026, 5, "4weken")),
        "w07": make_delivery(weekly, Period(2026, 7, "week"), status=DeliveryStatus.PENDING),
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"period": "2026-03"}, ["march"]),
        ({"period": "2026-4w05"}, ["4w05"]),
        ({"period": "2026-w07"}, ["w07"]),
        ({"year": "2025"}, ["2025-12"]),
        ({"period_type": "maand", "year": "2026"}, ["march", "april"]),
        ({"status": "failed"}, ["april"]),
        ({"status": "pending"}, ["w07"]),
    ],
)
def test_deliveries_filter_by_period_year_type_and_status(api, calendar, query, expected):
    assert _ids(api.get("/api/v1/deliveries/", query)) == [calendar[k].pk for k in expected]


def test_deliveries_filter_by_link_and_changed_since(api, calendar):
    Delivery.objects.filter(pk=calendar["2025-12"].pk).update(updated_at=LONG_AGO)
    link = calendar["march"].link_id

    assert _ids(api.get("/api/v1/deliveries/", {"link": link})) == [
        calendar[k].pk for k in ("march", "april", "2025-12")
    ]
    assert _ids(api.get("/api/v1/deliveries/", {"link": link, "changed_since": "2026-01-01"})) == [
        calendar[k].pk for k in ("march", "april")
    ]


def test_an_unknown_link_or_delivery_is_a_404_problem(api, db):
    for path in ("/api/v1/links/987654/", "/api/v1/deliveries/987654/"):
        response = api.get(path)
        assert response.status_code == 404
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["instance"] == path
