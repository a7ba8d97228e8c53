"""The records of a delivery: employees (BSN only with its scope), employments, wages, leave;
versions; amounts as strings (issue 14, point 5)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from deliveries.models import Delivery, DeliveryStatus
from deliveries.periods import Period
from tests.api.conftest import (
    add_version,
    bsn_of,
    employee_uuid,
    employment_uuid,
    make_delivery,
    make_link,
)

pytestmark = pytest.mark.django_db


def test_employees_carry_no_bsn_without_the_bsn_scope(api, delivered):
    response = api.get(f"/api/v1/deliveries/{delivered.pk}/employees/")

    body = response.json()
    assert body["delivery"] == delivered.pk
    assert body["version"] == 1
    first = body["results"][0]
    assert first == {
        "loket_id": str(employee_uuid(0)),
        "number": 1,
        "initials": "J.",
        "prefix": "",
        "last_name": "Jansen0",
        "birth_date": "1980-01-01",
    }
    assert all("bsn" not in item for item in body["results"])
    assert bsn_of(0) not in response.content.decode()


def test_employees_carry_the_bsn_with_the_bsn_scope(bsn_api, delivered):
    body = bsn_api.get(f"/api/v1/deliveries/{delivered.pk}/employees/").json()

    assert [item["bsn"] for item in body["results"]] == [bsn_of(i) for i in range(3)]
    assert bsn_api.get(f"/api/v1/deliveries/{delivered.pk}/employees/")["Cache-Control"] == (
        "no-store"
    )


def test_a_client_with_the_bsn_scope_finds_an_employee_by_bsn_sent_in_the_body(
    bsn_api, delivered, everything_at_debug
):
    url = f"/api/v1/deliveries/{delivered.pk}/employees/search/"

    found = bsn_api.post(url, {"bsn": bsn_of(1)}, content_type="application/json")
    missing = bsn_api.post(url, {"bsn": "999999990"}, content_type="application/json")

    assert found.status_code == 200
    assert [item["loket_id"] for item in found.json()["results"]] == [str(employee_uuid(1))]
    assert found.json()["results"][0]["bsn"] == bsn_of(1)
    assert missing.json()["results"] == []
    assert bsn_of(1) not in everything_at_debug.text


def test_a_bad_bsn_is_a_400_that_does_not_repeat_it(bsn_api, delivered):
    url = f"/api/v1/deliveries/{delivered.pk}/employees/search/"

    for body in ({"bsn": "12ab56789"}, {"bsn": 123456789}, {}, {"bsn": "1", "version": "2"}):
        response = bsn_api.post(url, body, content_type="application/json")
        assert response.status_code == 400, body
        assert response["Content-Type"] == "application/problem+json"
        assert "12ab" not in response.content.decode()


def test_employments_wages_and_leave_have_loket_ids_and_amounts_as_strings(api, delivered):
    base = f"/api/v1/deliveries/{delivered.pk}"

    employment = api.get(f"{base}/employments/").json()["results"][0]
    wage = api.get(f"{base}/wages/").json()["results"][1]
    leave = api.get(f"{base}/leave/").json()["results"][0]

    assert employment["employee_loket_id"] == str(employee_uuid(0))
    assert employment["hours_per_week"] == "32.00"
    assert employment["end_date"] is None
    assert employment["loket_id"] == str(employment_uuid(0))
    assert wage["employment_loket_id"] == str(employment_uuid(1))
    assert (wage["year"], wage["period"], wage["period_type"]) == (2026, 3, "maand")
    assert wage["gross"] == "3151.25"
    assert wage["holiday_allowance"] == "252.02"
    assert wage["tax_wage"] is None
    assert (leave["accrued"], leave["taken"], leave["balance"]) == ("160.00", "40.50", "119.50")


def test_the_current_version_is_given_unless_another_is_asked_for(api, delivered):
    add_version(delivered, employees=2, gross="100.00")
    url = f"/api/v1/deliveries/{delivered.pk}/wages/"

    current = api.get(url).json()
    first = api.get(url, {"version": 1}).json()

    assert (current["version"], len(current["results"])) == (2, 2)
    assert current["results"][0]["gross"] == "100.00"
    assert (first["version"], len(first["results"])) == (1, 3)
    assert first["results"][0]["gross"] == "3150.25"
    assert api.get(url, {"version": 3}).status_code == 404
    assert api.get(url, {"version": "twee"}).status_code == 400


def test_a_delivery_without_data_yet_is_a_404_and_deleted_data_a_410(api, processor):
    link = make_link(processor, 1)
    pending = make_delivery(link, Period(2026, 4, "maand"), status=DeliveryStatus.PENDING)
    old = make_delivery(link, Period(2025, 1, "maand"))
    add_version(old)
    Delivery.objects.filter(pk=old.pk).update(data_deleted_at=timezone.now())

    waiting = api.get(f"/api/v1/deliveries/{pending.pk}/wages/")
    gone = api.get(f"/api/v1/deliveries/{old.pk}/wages/")

    assert waiting.status_code == 404
    assert gone.status_code == 410
    assert gone["Content-Type"] == "application/problem+json"
    assert gone.json()["type"].endswith("#problem-gone")


# --- the wage records of a period across deliveries ------------------------------------------


def test_the_wages_of_a_period_come_from_every_current_version_of_that_period(api, processor):
    march, april = Period(2026, 3, "maand"), Period(2026, 4, "maand")
    first = make_delivery(make_link(processor, 1), march)
    add_version(first, employees=3)
    add_version(first, employees=2, gross="100.00")  # a correction: version 2 replaces 1
    second = make_delivery(make_link(processor, 2), march)
    add_version(second, employees=4)
    add_version(make_delivery(make_link(processor, 3), april), employees=5)  # another period

    rows = []
    url = "/api/v1/wages/?period=2026-03&page_size=3"
    while url:
        page = api.get(url).json()
        rows += page["results"]
        url = page["next"]

    assert len(rows) == 2 + 4
    assert {(r["delivery"], r["version"]) for r in rows} == {(first.pk, 2), (second.pk, 1)}
    assert {r["gross"] for r in rows if r["delivery"] == first.pk} == {"100.00", "101.00"}
    assert all(r["link"] == second.link_id for r in rows if r["delivery"] == second.pk)
    only = api.get("/api/v1/wages/", {"period": "2026-03", "link": second.link_id}).json()
    assert {r["delivery"] for r in only["results"]} == {second.pk}


@pytest.mark.parametrize("query", [{}, {"period": "2026-13"}, {"period": "2026-03", "link": "x"}])
def test_the_wages_of_a_period_need_a_valid_period(api, query):
    answer = api.get("/api/v1/wages/", query)
    assert answer.status_code == 400
    assert answer["Content-Type"].startswith("application/problem+json")


def test_the_wages_of_a_period_leave_out_data_deleted_by_retention(api, processor):
    delivery = make_delivery(make_link(processor, 1), Period(2026, 3, "maand"))
    add_version(delivery, employees=2)
    assert len(api.get("/api/v1/wages/?period=2026-03").json()["results"]) == 2
    Delivery.objects.filter(pk=delivery.pk).update(data_deleted_at=timezone.now())
    assert api.get("/api/v1/wages/?period=2026-03").json()["results"] == []
