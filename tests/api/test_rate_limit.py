"""Per-client rate limits: 429 problem with Retry-After, counted per OAuth application in the
shared cache (Redis in these tests when REDIS_URL is set) (issue 14, point 5)."""

from __future__ import annotations

import pytest
from django.test import Client

from api.auth import ClientRateThrottle
from tests.api.conftest import fetch_token, make_app

pytestmark = pytest.mark.django_db


@pytest.fixture
def fixed_clock(monkeypatch):
    """Ten seconds into a minute: the test does not cross a minute boundary."""
    moment = {"now": 1_800_000_000.0 - (1_800_000_000 % 60) + 10.0}
    monkeypatch.setattr(ClientRateThrottle, "clock", staticmethod(lambda: moment["now"]))
    return moment


def test_a_client_over_its_limit_gets_429_with_retry_after_and_others_go_on(
    settings, fixed_clock, db
):
    settings.API_REQUESTS_PER_MINUTE_PER_CLIENT = 3
    busy = Client(headers={"authorization": f"Bearer {fetch_token(make_app('druk'))}"})
    other = Client(headers={"authorization": f"Bearer {fetch_token(make_app('rustig'))}"})

    answers = [busy.get("/api/v1/links/").status_code for _ in range(4)]
    limited = busy.get("/api/v1/links/")

    assert answers == [200, 200, 200, 429]
    assert limited.status_code == 429
    assert limited["Content-Type"] == "application/problem+json"
    assert limited["Retry-After"] == "50"
    assert limited.json()["type"].endswith("#problem-too-many-requests")
    assert other.get("/api/v1/links/").status_code == 200

    fixed_clock["now"] += 50  # the next minute
    assert busy.get("/api/v1/links/").status_code == 200


def test_a_new_token_of_the_same_client_shares_its_limit(settings, fixed_clock, db):
    settings.API_REQUESTS_PER_MINUTE_PER_CLIENT = 2
    app = make_app()
    first = Client(headers={"authorization": f"Bearer {fetch_token(app)}"})
    second = Client(headers={"authorization": f"Bearer {fetch_token(app)}"})

    assert first.get("/api/v1/links/").status_code == 200
    assert second.get("/api/v1/links/").status_code == 200
    assert first.get("/api/v1/links/").status_code == 429
    assert second.get("/api/v1/links/").status_code == 429
