"""The event sweep reads links and deliveries (which know nothing of webhooks) and adds one
message per event and subscription: idempotent, only after the subscription, no personal data."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from deliveries.models import DeliveryStatus, DeliveryVersion
from employers.models import LinkStatus
from tests.webhooks.conftest import (
    BSN,
    EMPLOYEE_NAME,
    active_link,
    delivered,
    failed,
    subscribe,
)
from webhooks.events import events_collect
from webhooks.models import EventType, WebhookMessage

pytestmark = pytest.mark.django_db


def _keys() -> list[str]:
    return sorted(WebhookMessage.objects.values_list("event_key", flat=True))


def test_each_kind_of_event_becomes_one_message_however_often_the_sweep_runs(receiver, processor):
    subscription = subscribe(receiver)
    link = active_link(processor, n=1)
    ended = active_link(processor, n=2)
    ended.status = LinkStatus.ENDED
    ended.ended_at = timezone.now()
    ended.save()
    delivery = delivered(link)
    broken = failed(link)
    failed(link, period=5, will_retry=True)  # not yet an event: it will be retried

    assert events_collect() == 5
    assert events_collect() == 0

    messages = WebhookMessage.objects.filter(subscription=subscription)
    assert sorted(messages.values_list("event_type", flat=True)) == sorted(
        [
            EventType.LINK_ACTIVATED,
            EventType.LINK_ACTIVATED,  # the ended link was active before
            EventType.LINK_ENDED,
            EventType.DELIVERY_COMPLETED,
            EventType.DELIVERY_FAILED,
        ]
    )
    assert f"delivery.completed:{delivery.pk}:v1" in _keys()
    assert f"delivery.failed:{broken.pk}:3" in _keys()
    assert f"link.ended:{ended.pk}" in _keys()
    assert all(m.status == "pending" and m.next_attempt_at for m in messages)
    assert len(set(messages.values_list("msg_id", flat=True))) == 5


def test_a_correction_is_a_new_delivery_completed_event(receiver, processor):
    subscribe(receiver, events=[EventType.DELIVERY_COMPLETED])
    delivery = delivered(active_link(processor))
    events_collect()

    DeliveryVersion.objects.create(
        delivery=delivery, number=2, content_hash="2" * 64, employee_count=3, wage_count=7
    )
    delivery.current_version = 2
    delivery.save()
    events_collect()
    events_collect()

    completed = WebhookMessage.objects.filter(event_type=EventType.DELIVERY_COMPLETED)
    assert sorted(completed.values_list("event_key", flat=True)) == [
        f"delivery.completed:{delivery.pk}:v1",
        f"delivery.completed:{delivery.pk}:v2",
    ]
    second = completed.get(event_key__endswith=":v2").payload["data"]
    assert second["version"] == 2
    assert second["counts"] == {"employees": 3, "employments": 0, "wages": 7, "leave": 0}


def test_a_subscription_gets_only_the_types_it_chose_and_only_events_after_it(receiver, processor):
    before = active_link(processor, n=1, at=timezone.now() - dt.timedelta(minutes=5))
    subscription = subscribe(receiver, events=[EventType.LINK_ACTIVATED])
    after = active_link(processor, n=2)
    delivered(after)

    events_collect()

    assert list(WebhookMessage.objects.values_list("subscription", "event_key")) == [
        (subscription.pk, f"link.activated:{after.pk}:{int(after.activated_at.timestamp())}")
    ]
    assert before.pk != after.pk


def test_events_older_than_the_look_back_window_are_not_collected(receiver, processor, settings):
    settings.WEBHOOK_EVENT_LOOKBACK_HOURS = 1
    subscription = subscribe(receiver)
    subscription.created_at = timezone.now() - dt.timedelta(days=3)
    subscription.save()
    active_link(processor, n=1, at=timezone.now() - dt.timedelta(hours=2))
    recent = active_link(processor, n=2, at=timezone.now() - dt.timedelta(minutes=50))

    events_collect()

    assert [m.payload["data"]["link_id"] for m in WebhookMessage.objects.all()] == [recent.pk]


def test_an_inactive_subscription_collects_nothing(receiver, processor):
    subscription = subscribe(receiver)
    subscription.active = False
    subscription.save()
    active_link(processor)

    assert events_collect() == 0
    assert not WebhookMessage.objects.exists()


def test_payloads_carry_ids_and_api_urls_and_never_personal_data(receiver, processor, settings):
    settings.PORTAL_BASE_URL = "https://salariskoppeling.asr.nl"
    subscribe(receiver)
    link = active_link(processor)
    delivery = delivered(link)
    failed(link)

    events_collect()

    completed = WebhookMessage.objects.get(event_type=EventType.DELIVERY_COMPLETED).payload
    assert completed["type"] == "delivery.completed"
    assert completed["data"]["delivery_id"] == delivery.pk
    assert completed["data"]["link_id"] == link.pk
    assert completed["data"]["loket_employer_id"] == link.loket_employer_id
    assert completed["data"]["employer_name"] == link.employer_name
    assert completed["data"]["kvk_number"] == link.kvk_number
    assert completed["data"]["period"] == "2026-03"
    assert completed["data"]["status"] == DeliveryStatus.DELIVERED
    assert completed["data"]["url"] == (
        f"https://salariskoppeling.asr.nl/api/v1/deliveries/{delivery.pk}/"
    )
    assert completed["data"]["wages_url"] == (
        f"https://salariskoppeling.asr.nl/api/v1/deliveries/{delivery.pk}/wages/?version=1"
    )
    activated = WebhookMessage.objects.get(event_type=EventType.LINK_ACTIVATED).payload
    assert activated["data"]["url"] == f"https://salariskoppeling.asr.nl/api/v1/links/{link.pk}/"
    assert activated["data"]["status"] == LinkStatus.ACTIVE
    everything = json.dumps(list(WebhookMessage.objects.values_list("payload", flat=True)))
    assert BSN not in everything
    assert EMPLOYEE_NAME not in everything
    assert "Inloggegevens ongeldig" not in everything  # free text stays home; the code goes
    assert "InlogOngeldig" in everything
