"""Staff manage API clients in the admin (DOT's applications with the BSN right inline), or with
``manage.py api_client``; taking the BSN away works at once (issue 14, point 5)."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from oauth2_provider.models import get_application_model

from api.models import ClientProfile
from tests.api.conftest import TOKEN_URL, ApiClientApp

pytestmark = pytest.mark.django_db


def test_the_application_admin_page_offers_the_bsn_right(settings, db):
    settings.STAFF_TWO_FACTOR_REQUIRED = False
    staff = get_user_model().objects.create_superuser("beheer", "b@asr.example", "x" * 16)
    client = Client()
    client.force_login(staff)

    page = client.get("/beheer/oauth2_provider/application/add/")

    assert page.status_code == 200
    assert 'name="api_profile-0-bsn_allowed"' in page.content.decode()


def test_api_client_creates_a_client_whose_secret_works_once_printed(db):
    out = io.StringIO()

    call_command("api_client", "pensioenadministratie", "--bsn", stdout=out)

    values = dict(line.split("=", 1) for line in out.getvalue().split())
    application = get_application_model().objects.get(client_id=values["client_id"])
    assert application.client_secret != values["client_secret"]
    assert ClientProfile.objects.get(application=application).bsn_allowed is True
    app = ApiClientApp(application, values["client_id"], values["client_secret"])
    response = Client().post(
        TOKEN_URL,
        {"grant_type": "client_credentials", "scope": "read bsn"},
        headers={"authorization": app.basic()},
    )
    assert response.status_code == 200


def test_taking_the_bsn_away_hides_it_at_once_from_tokens_already_issued(
    bsn_api, bsn_app, delivered
):
    ClientProfile.objects.filter(application=bsn_app.application).update(bsn_allowed=False)

    employees = bsn_api.get(f"/api/v1/deliveries/{delivered.pk}/employees/").json()
    search = bsn_api.post(
        f"/api/v1/deliveries/{delivered.pk}/employees/search/",
        {"bsn": "100000001"},
        content_type="application/json",
    )

    assert all("bsn" not in item for item in employees["results"])
    assert search.status_code == 403
    assert search.json()["required_scopes"] == ["bsn"]
