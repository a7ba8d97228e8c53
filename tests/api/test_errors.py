"""Every error under /api/ is an RFC 9457 problem (application/problem+json), never HTML, and a
bad parameter is a 400, never a 500 (issue 14, point 5 and "Bad input and faults")."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db
PROBLEM = "application/problem+json"


def _assert_problem(response, status: int, slug: str | None = None) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert {"type", "title", "status", "detail", "instance"} <= set(body)
    assert body["status"] == status
    assert body["title"]
    assert body["detail"]
    assert "?" not in body["instance"]
    if slug:
        assert body["type"].endswith(f"/api/v1/docs/#problem-{slug}")
    return body


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/api/v1/deliveries/?changed_since=2026-13-01", "changed_since"),
        ("/api/v1/deliveries/?changed_since=gisteren", "changed_since"),
        ("/api/v1/deliveries/?changed_since=9999-12-31T23:59:59-23:00", "changed_since"),
        ("/api/v1/links/?changed_since=2026-02-30", "changed_since"),
        ("/api/v1/deliveries/?status=onbekend", "status"),
        ("/api/v1/links/?status=onbekend", "status"),
        ("/api/v1/deliveries/?period=2026-99", "period"),
        ("/api/v1/deliveries/?period=2026-13", "period"),
        ("/api/v1/deliveries/?period=2026-4w14", "period"),
        ("/api/v1/deliveries/?period=2026-w54", "period"),
        ("/api/v1/deliveries/?period=0000-01", "period"),
        ("/api/v1/wages/?period=2026-w53", "period"),
        ("/api/v1/deliveries/?period_type=jaar", "period_type"),
        ("/api/v1/deliveries/?year=twintig", "year"),
        ("/api/v1/deliveries/?link=abc", "link"),
        ("/api/v1/deliveries/?link=-1", "link"),
        ("/api/v1/deliveries/abc/", "id"),
        ("/api/v1/deliveries/99999999999999999999999/", "id"),
        ("/api/v1/links/1.5/", "id"),
        ("/api/v1/deliveries/abc/wages/", "id"),
        ("/api/v1/deliveries/1/wages/?version=0", "version"),
        ("/api/v1/deliveries/?page_size=1000000", "page_size"),
        ("/api/v1/deliveries/?page_size=0", "page_size"),
        ("/api/v1/deliveries/?page_size=tien", "page_size"),
    ],
)
def test_a_bad_parameter_is_a_400_problem_naming_it(api, path, name):
    body = _assert_problem(api.get(path), 400, "invalid-parameter")

    assert body["invalid_params"][0]["name"] == name
    assert body["invalid_params"][0]["reason"]


def test_an_unknown_path_under_api_is_a_404_problem(api):
    body = _assert_problem(api.get("/api/v2/links/"), 404, "not-found")
    assert body["instance"] == "/api/v2/links/"
    _assert_problem(Client().get("/api/"), 404)


@pytest.mark.parametrize("debug", [False, True])
def test_a_post_to_an_address_without_its_slash_is_a_404_problem(settings, bsn_api, debug):
    settings.DEBUG = debug

    response = Client(raise_request_exception=False).post(
        "/api/v1/deliveries/1/employees/search", {}, content_type="application/json"
    )

    body = _assert_problem(response, 404, "not-found")
    assert "/" in body["detail"]
    assert bsn_api.get("/api/v1/links")["Location"] == "/api/v1/links/"


def test_a_method_not_allowed_is_a_405_problem_with_allow(api):
    response = api.delete("/api/v1/deliveries/")

    _assert_problem(response, 405, "method-not-allowed")
    assert "GET" in response["Allow"]
    _assert_problem(api.post("/api/v1/links/", {}, content_type="application/json"), 405)
    _assert_problem(api.post("/api/v1/links/", {}), 415)  # a form body: only JSON is read
    _assert_problem(api.options("/api/v1/links/"), 405)


def test_asking_for_html_is_a_406_problem(api):
    _assert_problem(api.get("/api/v1/links/", headers={"accept": "text/html"}), 406)


def test_a_body_that_is_not_json_is_a_415_or_400_problem(bsn_api, delivered):
    url = f"/api/v1/deliveries/{delivered.pk}/employees/search/"

    _assert_problem(bsn_api.post(url, "bsn=1", content_type="text/plain"), 415)
    _assert_problem(bsn_api.post(url, "{niet json", content_type="application/json"), 400)


@pytest.mark.urls("tests.api.error_urls")
@pytest.mark.parametrize("debug", [False, True])
def test_a_server_error_under_api_is_a_500_problem_never_html(settings, debug):
    settings.DEBUG = debug
    client = Client(raise_request_exception=False)

    body = _assert_problem(client.get("/api/v1/kapot/"), 500, "server-error")

    assert "a bug" not in str(body)
    assert "<html" not in client.get("/api/v1/kapot/").content.decode()
    # The portal's own pages keep their HTML error page.
    assert client.get("/kapot/")["Content-Type"].startswith("text/html")


def test_the_portal_s_pages_keep_their_html_error_pages(db):
    response = Client().get("/bestaat-niet/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_problem_titles_follow_accept_language(db):
    dutch = Client().get("/api/v1/links/", headers={"accept-language": "nl"}).json()
    english = Client().get("/api/v1/links/", headers={"accept-language": "en"}).json()

    assert dutch["title"] == "Niet aangemeld"
    assert english["title"] == "Not authenticated"
    assert english["detail"] == "Send an access token: Authorization: Bearer <token>."
