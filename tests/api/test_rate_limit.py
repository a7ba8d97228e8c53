"""Per-client rate limits: 429 problem with Retry-After, counted per OAuth application in the
shared cache (Redis in these tests when REDIS_URL is set) (issue 14, point 5)."""

from __future__ import annotations

import pytest
from django.test import Client

from api.auth import ClientRateThrottle
from tests.api.conftest import TOKEN_URL, fetch_token, make_app

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


def test_the_token_endpoint_answers_429_after_its_limit_per_address(settings, app):
    settings.API_TOKEN_REQUESTS_PER_IP_PER_HOUR = 2
    data = {"grant_type": "client_credentials"}
    headers = {"authorization": app.basic()}

    answers = [Client().post(TOKEN_URL, data, headers=headers) for _ in range(3)]

    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[2]["Content-Type"] == "application/problem+json"
    assert 1 <= int(answers[2]["Retry-After"]) <= 3600


def test_the_client_limit_fails_closed_when_the_cache_does_not_answer(settings, fixed_clock, app):
    client = Client(headers={"authorization": f"Bearer {fetch_token(app)}"})
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }

    response = client.get("/api/v1/links/")

    assert response.status_code == 429
    assert response["Retry-After"] == "60"
