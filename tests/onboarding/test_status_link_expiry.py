"""Issue 13, point 8: the processor's status page link (a bearer secret in the mails) expires
``STATUS_LINK_DAYS`` after a.s.r. confirmed or rejected the registration; the page then says
what to do next instead of showing the registration."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from onboarding.models import PayrollProcessor, Status, StatusChange
from tests.onboarding.factories import PayrollProcessorFactory

pytestmark = pytest.mark.django_db

DAYS = 90


@pytest.fixture(autouse=True)
def _ninety_days(settings):
    settings.STATUS_LINK_DAYS = DAYS


def _confirmed(days_ago: float) -> PayrollProcessor:
    return PayrollProcessorFactory(
        confirmed=True, confirmed_at=timezone.now() - dt.timedelta(days=days_ago)
    )


def _rejected(days_ago: float) -> PayrollProcessor:
    processor = PayrollProcessorFactory(status=Status.REJECTED, rejection_reason="Onbekend")
    StatusChange.objects.create(
        processor=processor,
        from_status=Status.CHECK_PASSED,
        to_status=Status.REJECTED,
        actor_label="a.s.r.",
        at=timezone.now() - dt.timedelta(days=days_ago),
    )
    return processor


def _status(client: Client, processor: PayrollProcessor, language: str = "nl"):
    return client.get(
        reverse("onboarding:status", kwargs={"token": processor.status_token}),
        headers={"accept-language": language},
    )


def test_status_token_expires_after_confirmation_with_a_login_as_next_step(client):
    response = _status(client, _confirmed(days_ago=DAYS + 1))

    html = response.content.decode()
    assert response.status_code == 410
    assert "<h1>Deze link is verlopen</h1>" in html
    assert f'href="{reverse("onboarding:login")}"' in html
    assert "90 dagen na de bevestiging" in html
    assert "no-cache" in response["Cache-Control"]


def test_status_token_expires_after_rejection_with_contacting_asr_as_next_step(client):
    response = _status(client, _rejected(days_ago=DAYS + 1), language="en")

    html = response.content.decode()
    assert response.status_code == 410
    assert "<h1>This link has expired</h1>" in html
    assert "a.s.r. rejected this registration" in html
    assert "mailto:" in html  # a.s.r.'s contact details


def test_status_token_still_works_within_the_period_and_before_any_decision(client):
    assert _status(client, _confirmed(days_ago=DAYS - 1)).status_code == 200
    assert _status(client, _rejected(days_ago=DAYS - 1)).status_code == 200
    old_but_undecided = PayrollProcessorFactory(
        check_failed=True, created_at=timezone.now() - dt.timedelta(days=400)
    )
    assert _status(client, old_but_undecided).status_code == 200


def test_status_token_expired_also_closes_the_partial_the_recheck_and_the_correction(client):
    processor = _confirmed(days_ago=DAYS + 1)
    token = {"token": processor.status_token}

    partial = client.get(reverse("onboarding:status_partial", kwargs=token))
    recheck = client.post(reverse("onboarding:recheck", kwargs=token))
    correct = client.post(reverse("onboarding:correct", kwargs=token), {"omgevingscode": "X"})

    assert [partial.status_code, recheck.status_code, correct.status_code] == [410, 410, 410]


def test_status_token_period_is_the_status_link_days_setting(client, settings):
    settings.STATUS_LINK_DAYS = 7
    processor = _confirmed(days_ago=8)

    assert _status(client, processor).status_code == 410
