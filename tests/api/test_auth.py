"""OAuth2 client credentials: the token endpoint, bearer tokens, scopes (issue 14, point 5)."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.utils import timezone
from oauth2_provider.models import get_access_token_model

from tests.api.conftest import TOKEN_URL, fetch_token, make_app

pytestmark = pytest.mark.django_db
PROBLEM = "application/problem+json"


def test_the_client_credentials_flow_gives_a_bearer_token_that_reads_the_api(app, settings):
    response = Client().post(
        TOKEN_URL, {"grant_type": "client_credentials"}, headers={"authorization": app.basic()}
    )

    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["scope"] == "read"
    assert body["expires_in"] == settings.API_TOKEN_SECONDS == 3600
    assert "refresh_token" not in body
    api = Client(headers={"authorization": f"Bearer {body['access_token']}"})
    assert api.get("/api/v1/links/").status_code == 200


def test_the_client_secret_and_the_token_are_stored_hashed(app):
    token = fetch_token(app)

    app.application.refresh_from_db()
    assert app.secret not in app.application.client_secret
    assert app.application.client_secret.startswith(("pbkdf2", "argon2"))
    stored = get_access_token_model().objects.get()
    assert stored.token != token


def test_a_wrong_secret_gets_oauth_s_invalid_client_with_problem_members(app):
    app.secret = "niet-het-geheim"

    response = Client().post(
        TOKEN_URL, {"grant_type": "client_credentials"}, headers={"authorization": app.basic()}
    )

    assert response.status_code == 401
    body = response.json()
    assert body["error"] == "invalid_client"  # RFC 6749, section 5.2
    assert body["status"] == 401
    assert body["type"].endswith("#problem-unauthorized")
    assert body["instance"] == TOKEN_URL


def test_the_token_endpoint_offers_only_client_credentials(app):
    response = Client().post(
        TOKEN_URL,
        {"grant_type": "password", "username": "x", "password": "y"},
        headers={"authorization": app.basic()},
    )

    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"


def test_the_token_endpoint_refuses_get_with_a_problem(app):
    response = Client().get(TOKEN_URL)

    assert response.status_code == 405
    assert response["Content-Type"] == PROBLEM
    assert "POST" in response["Allow"]


def test_a_client_not_allowed_the_bsn_gets_no_token_with_the_bsn_scope(app):
    response = Client().post(
        TOKEN_URL,
        {"grant_type": "client_credentials", "scope": "read bsn"},
        headers={"authorization": app.basic()},
    )

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"


def test_a_client_allowed_the_bsn_gets_it_only_when_it_asks(bsn_app):
    plain = Client().post(
        TOKEN_URL, {"grant_type": "client_credentials"}, headers={"authorization": bsn_app.basic()}
    )
    with_bsn = Client().post(
        TOKEN_URL,
        {"grant_type": "client_credentials", "scope": "read bsn"},
        headers={"authorization": bsn_app.basic()},
    )

    assert plain.json()["scope"] == "read"
    assert set(with_bsn.json()["scope"].split()) == {"read", "bsn"}


def _assert_unauthorized(response) -> None:
    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM
    assert response["WWW-Authenticate"].startswith("Bearer ")
    body = response.json()
    assert body["status"] == 401
    assert body["type"].endswith("#problem-unauthorized")
    assert body["instance"] == "/api/v1/links/"


def test_no_token_is_a_401_problem_with_a_bearer_challenge(db):
    _assert_unauthorized(Client().get("/api/v1/links/"))


def test_a_wrong_token_is_a_401_problem(db):
    response = Client().get("/api/v1/links/", headers={"authorization": "Bearer verzonnen"})

    _assert_unauthorized(response)
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


def test_an_expired_token_is_a_401_problem(app):
    token = fetch_token(app)
    get_access_token_model().objects.update(expires=timezone.now() - datetime.timedelta(seconds=1))

    response = Client().get("/api/v1/links/", headers={"authorization": f"Bearer {token}"})

    _assert_unauthorized(response)
    assert "verlopen" in response.json()["detail"]


def test_a_token_in_the_query_string_is_not_accepted(app):
    token = fetch_token(app)

    _assert_unauthorized(Client().get(f"/api/v1/links/?access_token={token}"))


def test_a_token_of_a_deleted_client_no_longer_works(app):
    token = fetch_token(app)
    app.application.delete()

    _assert_unauthorized(
        Client().get("/api/v1/links/", headers={"authorization": f"Bearer {token}"})
    )


def test_a_missing_scope_is_a_403_problem_naming_it(api, delivered):
    response = api.post(
        f"/api/v1/deliveries/{delivered.pk}/employees/search/",
        {"bsn": "100000001"},
        content_type="application/json",
    )

    assert response.status_code == 403
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["type"].endswith("#problem-insufficient-scope")
    assert body["required_scopes"] == ["bsn"]


def test_two_clients_are_told_apart(db):
    first, second = make_app("systeem 1"), make_app("systeem 2")

    assert fetch_token(first) != fetch_token(second)
    assert get_access_token_model().objects.values("application").distinct().count() == 2
