"""Retention: wage data older than ``DELIVERY_RETENTION_MONTHS`` months is deleted, daily.

The records (employees, employments, wages, leave) of every delivery whose period ended on or
before the cutoff go; the delivery and its versions stay (with their counts), marked
``data_deleted_at``, so the planner, which plans from each link's latest delivery on, never
makes those periods again, and the history says what was there. Each run that deleted anything
is recorded as a :class:`RetentionRun` (cutoff, counts, when). Deleted in chunks of deliveries,
one transaction each, so a run over years of data holds no lock for long.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from deliveries.models import (
    Delivery,
    DeliveryStatus,
    DeliveryVersion,
    EmployeeRecord,
    EmploymentRecord,
    LeaveRecord,
    RetentionRun,
    WageRecord,
)
from deliveries.services.failures import DATA_DELETED, reason_for

logger = logging.getLogger(__name__)

CHUNK = 500


def _months_before(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + (day.month - 1) - months
    year, month = divmod(index, 12)
    month += 1
    # The same day of that month, or its last day (31 March less one month: 28/29 February).
    for candidate in range(day.day, 27, -1):
        try:
            return dt.date(year, month, candidate)
        except ValueError:
            continue
    return dt.date(year, month, min(day.day, 28))


def retention_cutoff(today: dt.date | None = None) -> dt.date:
    """The last period end whose data is deleted: periods that ended more than
    ``DELIVERY_RETENTION_MONTHS`` months before ``today``."""
    today = today or timezone.localdate()
    return _months_before(today, settings.DELIVERY_RETENTION_MONTHS) - dt.timedelta(days=1)


def old_wage_data_delete(*, today: dt.date | None = None) -> RetentionRun | None:
    """Delete the records of the deliveries whose period ended on or before the cutoff; the
    run's record, or ``None`` when there was nothing to delete."""
    cutoff = retention_cutoff(today)
    now = timezone.now()
    counts = dict.fromkeys(
        ("deliveries", "versions", "employees", "employments", "wages", "leave"), 0
    )
    while True:
        with transaction.atomic():
            ids = list(
                Delivery.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(period_end__lte=cutoff, data_deleted_at__isnull=True)
                .order_by("pk")
                .values_list("pk", flat=True)[:CHUNK]
            )
            if not ids:
                break
            versions = DeliveryVersion.objects.filter(delivery_id__in=ids)
            counts["versions"] += versions.count()
            for key, model in (
                ("employees", EmployeeRecord),
                ("employments", EmploymentRecord),
                ("wages", WageRecord),
                ("leave", LeaveRecord),
            ):
                deleted, _ = model.objects.filter(version__delivery_id__in=ids).delete()
                counts[key] += deleted
            # Out of the outbox too: nothing is fetched for a period past retention, and one
            # never delivered is stopped for good.
            counts["deliveries"] += Delivery.objects.filter(pk__in=ids).update(
                data_deleted_at=now, due_at=None, will_retry=False, updated_at=now
            )
            Delivery.objects.filter(pk__in=ids, current_version=0).exclude(
                status=DeliveryStatus.STOPPED
            ).update(
                status=DeliveryStatus.STOPPED,
                claimed_until=None,
                failure_code=DATA_DELETED,
                failure_reason=reason_for(DATA_DELETED),
            )
    if not counts["deliveries"]:
        return None
    run = RetentionRun.objects.create(
        ran_at=now, cutoff=cutoff, months=settings.DELIVERY_RETENTION_MONTHS, **counts
    )
    logger.info("retention: wage data up to %s deleted: %s", cutoff, counts)
    return run
