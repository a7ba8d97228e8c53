"""A page costs the same few queries whatever its size (issue 14, point 9: a page of 500 wage
records within 150 ms comes from one query for the rows and dicts built from values())."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from deliveries.periods import Period
from tests.api.conftest import add_version, make_delivery, make_link

pytestmark = pytest.mark.django_db

# Token look-up (with its application), the delivery, its version, the page's rows.
MOST_PER_PAGE = 5


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(captured)


@pytest.fixture
def big(processor):
    delivery = make_delivery(make_link(processor, 1), Period(2026, 3, "maand"))
    add_version(delivery, employees=600)
    return delivery


@pytest.mark.parametrize("kind", ["wages", "employees", "employments", "leave"])
def test_a_page_of_records_costs_the_same_queries_for_5_rows_as_for_500(api, big, kind):
    url = f"/api/v1/deliveries/{big.pk}/{kind}/"
    _queries(api, f"{url}?page_size=1")  # warm up: the token's first use

    small = _queries(api, f"{url}?page_size=5")
    large = _queries(api, f"{url}?page_size=500")
    next_page = api.get(f"{url}?page_size=500").json()["next"]
    last = _queries(api, next_page)

    assert small == large == last
    assert large <= MOST_PER_PAGE


def test_a_page_of_employees_with_their_bsn_costs_no_query_per_row(bsn_api, big):
    url = f"/api/v1/deliveries/{big.pk}/employees/"
    _queries(bsn_api, f"{url}?page_size=1")

    assert _queries(bsn_api, f"{url}?page_size=5") == _queries(bsn_api, f"{url}?page_size=500")


def test_pages_of_links_and_deliveries_cost_the_same_queries_whatever_their_size(api, processor):
    for n in range(40):
        make_delivery(make_link(processor, n), Period(2026, 3, "maand"))
    _queries(api, "/api/v1/links/?page_size=1")

    for url in ("/api/v1/links/", "/api/v1/deliveries/"):
        assert _queries(api, f"{url}?page_size=2") == _queries(api, f"{url}?page_size=40")


def test_a_page_of_500_wages_within_the_query_budget(api, big, django_assert_max_num_queries):
    api.get(f"/api/v1/deliveries/{big.pk}/wages/?page_size=1")

    with django_assert_max_num_queries(MOST_PER_PAGE):
        response = api.get(f"/api/v1/deliveries/{big.pk}/wages/?page_size=500")

    assert len(response.json()["results"]) == 500


def test_a_page_of_a_periods_wages_costs_the_same_queries_for_5_rows_as_for_500(api, big):
    url = "/api/v1/wages/?period=2026-03"
    _queries(api, f"{url}&page_size=1")

    small = _queries(api, f"{url}&page_size=5")
    large = _queries(api, f"{url}&page_size=500")
    last = _queries(api, api.get(f"{url}&page_size=500").json()["next"])

    assert small == large == last
    assert large <= MOST_PER_PAGE
