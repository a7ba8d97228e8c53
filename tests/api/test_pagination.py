"""Cursor pagination: pages without duplicates or gaps, a signed cursor, a bounded page size,
and a walk that stays on one version (issue 14, point 5)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlparse

import pytest

from deliveries.periods import Period
from tests.api.conftest import add_version, make_delivery, make_link

pytestmark = pytest.mark.django_db


def _walk(api, url: str, key: str) -> list[list]:
    pages = []
    while url:
        response = api.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        pages.append([item[key] for item in body["results"]])
        url = body["next"]
    return pages


def test_a_walk_over_the_pages_sees_every_row_once(api, processor):
    links = [make_link(processor, n) for n in range(23)]

    pages = _walk(api, "/api/v1/links/?page_size=5", "id")

    assert [len(page) for page in pages] == [5, 5, 5, 5, 3]
    seen = [pk for page in pages for pk in page]
    assert seen == [link.pk for link in links]


def test_previous_goes_back_a_page(api, processor):
    for n in range(12):
        make_link(processor, n)
    first = api.get("/api/v1/links/?page_size=5").json()
    second = api.get(first["next"]).json()
    third = api.get(second["next"]).json()

    back = api.get(third["previous"]).json()

    assert [i["id"] for i in back["results"]] == [i["id"] for i in second["results"]]
    assert first["previous"] is None
    assert third["next"] is None


def test_a_walk_over_records_stays_on_its_version_when_a_correction_arrives(api, processor):
    delivery = make_delivery(make_link(processor, 1), Period(2026, 3, "maand"))
    add_version(delivery, employees=7)
    first = api.get(f"/api/v1/deliveries/{delivery.pk}/wages/?page_size=4").json()

    add_version(delivery, employees=2, gross="1.00")
    second = api.get(first["next"]).json()

    assert (first["version"], second["version"]) == (1, 1)
    assert len(first["results"]) + len(second["results"]) == 7
    assert all(item["gross"] != "1.00" for item in second["results"])


def _with_cursor(url: str, cursor: str) -> str:
    parts = urlparse(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query["cursor"] = cursor
    return f"{parts.path}?{urlencode(query)}"


@pytest.mark.parametrize(
    "tamper",
    [
        lambda c: "onzin",
        lambda c: c.replace("0.0.", "0.0.9", 1),  # another position, old signature
        lambda c: "1" + c[1:],  # the direction flipped
        lambda c: c.split(":")[0],  # the signature dropped
        lambda c: "",
    ],
)
def test_a_bad_or_tampered_cursor_is_a_400_problem(api, processor, tamper):
    for n in range(3):
        make_link(processor, n)
    next_url = api.get("/api/v1/links/?page_size=1").json()["next"]
    cursor = parse_qs(urlparse(next_url).query)["cursor"][0]

    response = api.get(_with_cursor(next_url, tamper(cursor)))

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["type"].endswith("#problem-invalid-cursor")


def test_a_page_size_above_the_maximum_is_refused_not_cut_down(api, settings, processor):
    settings.API_MAX_PAGE_SIZE = 10
    make_link(processor, 1)

    assert api.get("/api/v1/links/?page_size=10").status_code == 200
    refused = api.get("/api/v1/links/?page_size=11")
    assert refused.status_code == 400
    assert "10" in refused.json()["invalid_params"][0]["reason"]
    assert api.get("/api/v1/links/?page_size=1000000").status_code == 400
