"""Collecting events into the outbox, read from the tables of the apps below (which know
nothing of webhooks).

The sweep looks back ``WEBHOOK_EVENT_LOOKBACK_HOURS`` each time, rather than keeping a cursor: a
transaction that commits after a later one, or a beat that was down, loses nothing. Each event
has a key (``link.ended:12``, ``delivery.completed:40:v2``) unique per subscription, so finding
it again adds nothing (keys already stored are skipped; a race between two sweeps ends in
``bulk_create(ignore_conflicts=True)`` on the unique constraint).

- ``link.activated``: a link with ``activated_at`` (active now, or later ended or in trouble).
- ``link.ended``: a link ended (``ended_at``).
- ``delivery.completed``: a delivery delivered, once per version (a correction is a new event).
- ``delivery.failed``: a delivery failed for good (``will_retry`` off), once per attempt count
  (a staff re-run that fails again is a new event).

A subscription gets the events that happened after it was created, of the types it chose.
Payloads hold ids, names of employers, periods, counts and API URLs: never an employee's BSN or
other personal data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from deliveries.models import Delivery, DeliveryStatus, DeliveryVersion
from employers.models import EmployerLink, LinkStatus
from webhooks.models import EventType, WebhookMessage, WebhookSubscription

INSERT_BATCH = 500


@dataclass(frozen=True)
class Event:
    type: str
    key: str
    at: dt.datetime
    data: dict[str, Any]

    def payload(self) -> dict[str, Any]:
        """The Standard Webhooks payload shape: type, timestamp, data."""
        return {"type": self.type, "timestamp": self.at.isoformat(), "data": self.data}


def api_url(path: str) -> str:
    return f"{settings.PORTAL_BASE_URL}/api/v1/{path}"


def _iso(value: dt.datetime | dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _link_data(link: EmployerLink) -> dict[str, Any]:
    return {
        "link_id": link.pk,
        "processor_id": link.processor_id,
        "loket_employer_id": link.loket_employer_id,
        "employer_name": link.employer_name,
        "kvk_number": link.kvk_number,
        "status": link.status,
        "activated_at": _iso(link.activated_at),
        "ended_at": _iso(link.ended_at),
        "url": api_url(f"links/{link.pk}/"),
    }


_LINK_FIELDS = (
    "pk",
    "processor_id",
    "loket_employer_id",
    "employer_name",
    "kvk_number",
    "status",
    "activated_at",
    "ended_at",
)


def link_events(since: dt.datetime) -> Iterator[Event]:
    activated = (
        EmployerLink.objects.filter(activated_at__gte=since)
        .exclude(status__in=[LinkStatus.AWAITING_REQUEST, LinkStatus.PENDING])
        .only(*_LINK_FIELDS)
        .order_by("pk")
    )
    for link in activated.iterator(chunk_size=INSERT_BATCH):
        yield Event(
            type=EventType.LINK_ACTIVATED,
            key=f"{EventType.LINK_ACTIVATED}:{link.pk}:{int(link.activated_at.timestamp())}",
            at=link.activated_at,
            data=_link_data(link),
        )
    ended = (
        EmployerLink.objects.filter(status=LinkStatus.ENDED, ended_at__gte=since)
        .only(*_LINK_FIELDS)
        .order_by("pk")
    )
    for link in ended.iterator(chunk_size=INSERT_BATCH):
        yield Event(
            type=EventType.LINK_ENDED,
            key=f"{EventType.LINK_ENDED}:{link.pk}",
            at=link.ended_at,
            data=_link_data(link),
        )


def _delivery_data(delivery: Delivery) -> dict[str, Any]:
    link = delivery.link
    return {
        "delivery_id": delivery.pk,
        "link_id": delivery.link_id,
        "processor_id": delivery.processor_id,
        "loket_employer_id": link.loket_employer_id,
        "employer_name": link.employer_name,
        "kvk_number": link.kvk_number,
        "period": delivery.period_obj.label(),
        "period_type": delivery.period_type,
        "year": delivery.year,
        "period_number": delivery.period,
        "period_start": _iso(delivery.period_start),
        "period_end": _iso(delivery.period_end),
        "status": delivery.status,
        "url": api_url(f"deliveries/{delivery.pk}/"),
        "link_url": api_url(f"links/{delivery.link_id}/"),
    }


def delivery_events(since: dt.datetime) -> Iterator[Event]:
    current = DeliveryVersion.objects.filter(
        delivery=OuterRef("pk"), number=OuterRef("current_version")
    )
    base = Delivery.objects.filter(updated_at__gte=since).select_related("link").order_by("pk")
    completed = base.filter(status=DeliveryStatus.DELIVERED, current_version__gte=1).annotate(
        v_at=Subquery(current.values("retrieved_at")[:1]),
        v_employees=Subquery(current.values("employee_count")[:1]),
        v_employments=Subquery(current.values("employment_count")[:1]),
        v_wages=Subquery(current.values("wage_count")[:1]),
        v_leave=Subquery(current.values("leave_count")[:1]),
    )
    for delivery in completed.iterator(chunk_size=INSERT_BATCH):
        data = _delivery_data(delivery)
        data["version"] = delivery.current_version
        data["delivered_at"] = _iso(delivery.delivered_at)
        data["counts"] = {
            "employees": delivery.v_employees or 0,
            "employments": delivery.v_employments or 0,
            "wages": delivery.v_wages or 0,
            "leave": delivery.v_leave or 0,
        }
        # The records of this very version (a later correction does not change what they say).
        version = f"?version={delivery.current_version}"
        data["employees_url"] = api_url(f"deliveries/{delivery.pk}/employees/{version}")
        data["employments_url"] = api_url(f"deliveries/{delivery.pk}/employments/{version}")
        data["wages_url"] = api_url(f"deliveries/{delivery.pk}/wages/{version}")
        yield Event(
            type=EventType.DELIVERY_COMPLETED,
            key=f"{EventType.DELIVERY_COMPLETED}:{delivery.pk}:v{delivery.current_version}",
            at=delivery.v_at or delivery.delivered_at or delivery.updated_at,
            data=data,
        )
    failed = base.filter(status=DeliveryStatus.FAILED, will_retry=False)
    for delivery in failed.iterator(chunk_size=INSERT_BATCH):
        data = _delivery_data(delivery)
        data["failure_code"] = delivery.failure_code
        data["attempts"] = delivery.attempts
        yield Event(
            type=EventType.DELIVERY_FAILED,
            key=f"{EventType.DELIVERY_FAILED}:{delivery.pk}:{delivery.attempts}",
            at=delivery.last_attempt_at or delivery.updated_at,
            data=data,
        )


def events_collect(*, now: dt.datetime | None = None) -> int:
    """Add a message for every event of the look-back window that an active subscription wants
    and does not have yet; the number of messages added."""
    now = now or timezone.now()
    subscriptions = [
        sub for sub in WebhookSubscription.objects.filter(active=True).order_by("pk") if sub.events
    ]
    if not subscriptions:
        return 0
    since = max(
        now - dt.timedelta(hours=settings.WEBHOOK_EVENT_LOOKBACK_HOURS),
        min(sub.created_at for sub in subscriptions),
    )
    wanted = {EventType(t) for sub in subscriptions for t in sub.events if t in EventType.values}
    added = 0
    batch: list[Event] = []

    def flush() -> int:
        made = _insert(subscriptions, batch, now=now)
        batch.clear()
        return made

    sources: list[Iterator[Event]] = []
    if wanted & {EventType.LINK_ACTIVATED, EventType.LINK_ENDED}:
        sources.append(link_events(since))
    if wanted & {EventType.DELIVERY_COMPLETED, EventType.DELIVERY_FAILED}:
        sources.append(delivery_events(since))
    for source in sources:
        for event in source:
            if event.type in wanted:
                batch.append(event)
            if len(batch) >= INSERT_BATCH:
                added += flush()
    if batch:
        added += flush()
    return added


def _insert(
    subscriptions: list[WebhookSubscription], events: list[Event], *, now: dt.datetime
) -> int:
    keys = [event.key for event in events]
    have = set(
        WebhookMessage.objects.filter(
            subscription__in=subscriptions, event_key__in=keys
        ).values_list("subscription_id", "event_key")
    )
    new = [
        WebhookMessage(
            subscription=sub,
            event_type=event.type,
            event_key=event.key,
            payload=event.payload(),
            next_attempt_at=now,
            created_at=now,
        )
        for event in events
        for sub in subscriptions
        if event.type in sub.events
        and event.at > sub.created_at
        and (sub.pk, event.key) not in have
    ]
    WebhookMessage.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)
