"""Issue 14, point 7: the employer's status page says that data flows and when it last did
(the tag ``{% link_data_flow %}``), when the first delivery comes, or when it stopped."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from deliveries import periods
from deliveries.models import DeliveryStatus
from employers.models import LinkStatus, RequestStatus
from tests.deliveries_ui.conftest import make_delivery, make_feed, make_link, make_request, month

pytestmark = pytest.mark.django_db


def _flow_text(client, employer_request) -> str:
    """The data-flow box's text, or "" when the page has none."""
    response = client.get(reverse("employers:status", args=[employer_request.status_token]))
    assert response.status_code == 200
    html = response.content.decode()
    found = re.search(r'<section class="data-flow.*?</section>', html, re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(0)).split()) if found else ""


def test_an_active_link_with_deliveries_says_data_flows_and_the_last_delivery(client, processor):
    link = make_link(processor, name="Bakkerij Van Dijk")
    make_delivery(link, month(2026, 2))
    make_delivery(link, month(2026, 3))
    make_delivery(link, month(2026, 4), DeliveryStatus.FAILED)

    text = _flow_text(client, link.request)

    assert "Gegevens worden geleverd; laatste levering: maart 2026, 2 april 2026." in text


def test_a_four_weekly_employer_reads_its_period_as_such(client, processor):
    link = make_link(processor)
    make_delivery(link, periods.Period(2026, 5, periods.FOUR_WEEKS))

    assert "laatste levering: periode 5 (4 weken) van 2026" in _flow_text(client, link.request)


def test_an_active_link_without_a_delivery_says_after_which_period_the_first_comes(
    client, processor
):
    link = make_link(processor)
    current = periods.period_of(timezone.localdate(), periods.MONTH)
    make_feed(link, current)

    text = _flow_text(client, link.request)

    assert text.startswith("Gegevenslevering Nog geen levering; de eerste volgt na afloop van")
    assert f"{current.end:%Y}" in text


def test_a_first_period_that_closed_already_comes_soon(client, processor):
    link = make_link(processor)
    make_feed(link, month(2026, 3))
    make_delivery(link, month(2026, 3), DeliveryStatus.RETRIEVING)

    text = _flow_text(client, link.request)

    assert "Nog geen levering; de eerste, over maart 2026, volgt binnenkort." in text


def test_without_a_feed_the_first_is_the_month_closed_when_the_link_became_active(
    client, processor
):
    link = make_link(processor)
    type(link).objects.filter(pk=link.pk).update(
        activated_at=dt.datetime(2026, 3, 15, 12, tzinfo=dt.UTC)
    )

    assert "de eerste, over februari 2026, volgt binnenkort" in _flow_text(client, link.request)


def test_an_ended_link_says_only_when_it_stopped(client, processor):
    link = make_link(processor, status=LinkStatus.ENDED)
    type(link.request).objects.filter(pk=link.request.pk).update(status=RequestStatus.ENDED)
    type(link).objects.filter(pk=link.pk).update(
        ended_at=dt.datetime(2026, 5, 4, 10, tzinfo=dt.UTC)
    )
    make_delivery(link, month(2026, 3))

    text = _flow_text(client, link.request)

    assert text == "Gegevenslevering Gestopt op 4 mei 2026."


def test_a_request_without_an_active_link_says_nothing_about_data(client, processor):
    employer_request = make_request(processor, status=RequestStatus.OPEN)

    assert _flow_text(client, employer_request) == ""


def test_a_link_with_a_problem_after_deliveries_gives_the_last_delivery_only(client, processor):
    link = make_link(processor)
    make_delivery(link, month(2026, 3))
    type(link).objects.filter(pk=link.pk).update(status=LinkStatus.NEEDS_ATTENTION)

    text = _flow_text(client, link.request)

    assert text == "Gegevenslevering Laatste levering: maart 2026, 2 april 2026."
