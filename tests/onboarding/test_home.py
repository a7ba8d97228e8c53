from __future__ import annotations

import pytest
from django.urls import reverse


@pytest.mark.django_db
def test_the_home_page_explains_the_steps_in_dutch(client):
    response = client.get(reverse("onboarding:home"))

    assert response.status_code == 200
    assert "Salariskoppeling met Loket.nl" in response.content.decode()
    assert response["Content-Language"] == "nl"


@pytest.mark.django_db
def test_healthz_answers_ok_when_the_database_answers(client):
    response = client.get(reverse("onboarding:healthz"))

    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert "no-cache" in response["Cache-Control"]


def test_the_home_page_refuses_a_post(client):
    assert client.post(reverse("onboarding:home")).status_code == 405
