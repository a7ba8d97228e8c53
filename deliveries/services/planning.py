"""Which deliveries exist and when they are due: the planner, the sweep and staff re-runs.

- :func:`deliveries_plan` (the beat, every ``DELIVERY_PLAN_SECONDS``): every active link of a
  confirmed processor gets a :class:`DeliveryFeed` (first period: the last one closed when the
  link became active; ``maand`` until a delivery finds otherwise) and a :class:`Delivery` per
  closed period since, due at once. When the delivery of period P is made, the delivered
  delivery of P-1 is due once more (a re-read: a different answer is a correction, version 2).
  A handful of queries whatever the number of links: one for the new feeds, one reading each
  feed with its latest delivery, one bulk insert, two updates.
- :func:`deliveries_sweep` (the beat, every ``DELIVERY_SWEEP_SECONDS``): stops what belongs to
  ended links and unconfirmed processors, plans links that became active since the last plan,
  and hands due deliveries to Celery, no more per minute than the call budget allows, their
  countdowns spread over the minute. A handed-out delivery is left alone for :data:`REARM`
  (its task may wait in the queue); a worker's lease that ran out makes its delivery due again.
- :func:`deliveries_rerun` and :func:`period_rerun`: a staff member's "Opnieuw ophalen".
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery, Window
from django.db.models.functions import RowNumber, Upper
from django.utils import timezone

from common.dispatch import enqueue, enqueue_on_commit
from deliveries import periods, task_names
from deliveries.models import Delivery, DeliveryFeed, DeliveryStatus, PeriodType
from deliveries.services import budget, failures
from deliveries.services.retention import retention_cutoff
from employers.models import EmployerLink, LinkStatus
from onboarding.models import CONFIRMED_STATES, PayrollProcessor

logger = logging.getLogger(__name__)

REARM = dt.timedelta(minutes=3)
"""After the sweep handed a delivery to Celery, how long before it may do so again: above the
longest countdown (a minute) and a while in the queue."""

BATCH = 1000

# The statuses a claim may take over (with ``due_at`` set and the lease free). ``retrieving``
# with a free lease is a delivery whose worker was killed; ``delivered`` one due for a re-read.
CLAIMABLE = (
    DeliveryStatus.PENDING,
    DeliveryStatus.FAILED,
    DeliveryStatus.DELIVERED,
    DeliveryStatus.RETRIEVING,
)


def _live_links() -> QuerySet[EmployerLink]:
    return EmployerLink.objects.filter(
        status=LinkStatus.ACTIVE, processor__status__in=CONFIRMED_STATES
    )


@dataclass(frozen=True, slots=True)
class PlanResult:
    feeds: int = 0
    created: int = 0
    reread: int = 0
    revived: int = 0


def _first_period(activated: dt.datetime | None, now: dt.datetime) -> periods.Period:
    day = timezone.localdate(activated or now)
    return periods.last_closed(
        day, PeriodType.MONTH, days_after=settings.DELIVERY_DAYS_AFTER_PERIOD
    )


def deliveries_plan(
    *,
    link_ids: Iterable[int] | None = None,
    new_links_only: bool = False,
    now: dt.datetime | None = None,
) -> PlanResult:
    """Create the feeds and deliveries of every closed period of the live links (or of
    ``link_ids``; or, with ``new_links_only``, of live links without a feed yet)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    days_after = settings.DELIVERY_DAYS_AFTER_PERIOD
    cutoff = retention_cutoff(today)
    links = _live_links()
    if link_ids is not None:
        links = links.filter(pk__in=list(link_ids))
    new = list(links.filter(feed__isnull=True).values_list("pk", "activated_at"))
    if new_links_only:
        if not new:
            return PlanResult()
        links = links.filter(pk__in=[pk for pk, _ in new])
    feeds_made = 0
    if new:
        made = DeliveryFeed.objects.bulk_create(
            [
                DeliveryFeed(
                    link_id=pk,
                    period_type=PeriodType.MONTH,
                    first_year=(first := _first_period(activated, now)).year,
                    first_period=first.number,
                    created_at=now,
                )
                for pk, activated in new
            ],
            batch_size=BATCH,
            ignore_conflicts=True,
        )
        feeds_made = len(made)
    latest = Delivery.objects.filter(
        link_id=OuterRef("link_id"), period_type=OuterRef("period_type")
    ).order_by("-period_end")
    rows = (
        DeliveryFeed.objects.filter(link__in=links)
        .annotate(
            last_pk=Subquery(latest.values("pk")[:1]),
            last_year=Subquery(latest.values("year")[:1]),
            last_period=Subquery(latest.values("period")[:1]),
            last_status=Subquery(latest.values("status")[:1]),
        )
        .values_list(
            "link_id",
            "link__processor_id",
            "period_type",
            "first_year",
            "first_period",
            "last_pk",
            "last_year",
            "last_period",
            "last_status",
        )
        .order_by("link_id")
    )
    created: list[Delivery] = []
    reread: list[int] = []
    for (
        link_id,
        processor_id,
        period_type,
        first_year,
        first_number,
        last_pk,
        last_year,
        last_number,
        last_status,
    ) in rows.iterator(chunk_size=BATCH):
        first = periods.Period(first_year, first_number, period_type)
        start = first if last_pk is None else periods.Period(last_year, last_number, period_type)
        due = [
            p
            for p in periods.closed_since(start, today, days_after=days_after)
            if p.end > cutoff and (last_pk is None or p > start)
        ]
        if not due:
            continue
        created.extend(
            Delivery(
                link_id=link_id,
                processor_id=processor_id,
                period_type=period_type,
                year=p.year,
                period=p.number,
                period_start=p.start,
                period_end=p.end,
                due_at=now,
                created_at=now,
            )
            for p in due
        )
        if last_pk is not None and last_status == DeliveryStatus.DELIVERED:
            reread.append(last_pk)
    made = Delivery.objects.bulk_create(created, batch_size=BATCH, ignore_conflicts=True)
    rereads = 0
    for start in range(0, len(reread), BATCH):
        rereads += Delivery.objects.filter(
            pk__in=reread[start : start + BATCH],
            status=DeliveryStatus.DELIVERED,
            data_deleted_at__isnull=True,
            due_at__isnull=True,
        ).update(due_at=now)
    revived = _revive(links, now)
    result = PlanResult(feeds=feeds_made, created=len(made), reread=rereads, revived=revived)
    if result.created or result.feeds or result.revived:
        logger.info("deliveries planned: %s", result)
    return result


def _revive(links: QuerySet[EmployerLink], now: dt.datetime) -> int:
    """Deliveries stopped because their link or processor was out of business while the link
    is live again (a problem a re-check found and cleared, say): due again."""
    return Delivery.objects.filter(
        status=DeliveryStatus.STOPPED,
        failure_code__in=failures.REVIVABLE,
        data_deleted_at__isnull=True,
        link__in=links,
        period_type=F("link__feed__period_type"),
    ).update(
        status=DeliveryStatus.PENDING,
        failure_code="",
        failure_reason="",
        will_retry=False,
        due_at=now,
        updated_at=now,
    )


# --- the sweep ---------------------------------------------------------------------------------


def deliveries_stop_ended(*, now: dt.datetime | None = None) -> int:
    """Take the deliveries of ended links and unconfirmed processors out of the outbox:
    undelivered ones stopped with the reason, delivered ones (a re-read due) left delivered."""
    now = now or timezone.now()
    waiting = Delivery.objects.filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now), due_at__isnull=False
    )
    stopped = 0
    for code, condition in (
        (failures.LINK_NOT_ACTIVE, ~Q(link__status=LinkStatus.ACTIVE)),
        (failures.PROCESSOR_NOT_CONFIRMED, ~Q(processor__status__in=CONFIRMED_STATES)),
    ):
        stopped += (
            waiting.filter(condition, current_version=0)
            .exclude(status=DeliveryStatus.STOPPED)
            .update(
                status=DeliveryStatus.STOPPED,
                due_at=None,
                claimed_until=None,
                will_retry=False,
                failure_code=code,
                failure_reason=failures.reason_for(code),
                updated_at=now,
            )
        )
        waiting.filter(condition, current_version__gt=0).update(
            due_at=None, claimed_until=None, will_retry=False
        )
    return stopped


def _due(now: dt.datetime) -> QuerySet[Delivery]:
    return Delivery.objects.filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now),
        due_at__lte=now,
        status__in=CLAIMABLE,
    )


def deliveries_hand_out(*, now: dt.datetime | None = None) -> int:
    """Hand the due deliveries to Celery, within this minute's call budget: per environment at
    most what its budget has left, in all at most what the portal's budget has left; each
    environment's oldest first, their countdowns spread over the minute at the budget's pace.
    Re-armed first (:data:`REARM`); a broker failure makes the rest due again and raises."""
    now = now or timezone.now()
    per_environment_max, total_max = budget.per_minute()
    if per_environment_max <= 0 or total_max <= 0:
        return 0
    ranked = (
        _due(now)
        .annotate(
            environment=Upper("processor__omgevingscode"),
            rank=Window(
                RowNumber(),
                partition_by=[Upper("processor__omgevingscode")],
                order_by=[F("due_at").asc(), F("pk").asc()],
            ),
        )
        .filter(rank__lte=per_environment_max)
        .values_list("pk", "environment", "rank")
    )
    candidates = sorted(ranked, key=lambda row: (row[2], row[0]))
    if not candidates:
        return 0
    left, total_left = budget.allowance({env for _, env, _ in candidates})
    chosen: list[tuple[int, int]] = []  # (pk, countdown)
    taken: dict[str, int] = defaultdict(int)
    for pk, environment, _rank in candidates:
        if len(chosen) >= total_left:
            break
        if taken[environment] >= left.get(environment, 0):
            continue
        countdown = max(
            taken[environment] * 60 // per_environment_max, len(chosen) * 60 // total_max
        )
        taken[environment] += 1
        chosen.append((pk, countdown))
    ids = [pk for pk, _ in chosen]
    for start in range(0, len(ids), BATCH):
        _due(now).filter(pk__in=ids[start : start + BATCH]).update(due_at=now + REARM)
    for position, (pk, countdown) in enumerate(chosen):
        try:
            enqueue(task_names.DELIVER, pk, countdown=countdown or None)
        except Exception:
            rest = ids[position:]
            for start in range(0, len(rest), BATCH):
                Delivery.objects.filter(
                    pk__in=rest[start : start + BATCH], due_at=now + REARM
                ).update(due_at=now)
            raise
    return len(chosen)


def deliveries_sweep(*, now: dt.datetime | None = None) -> dict[str, int]:
    """The beat's minute: stop, plan new links, hand out."""
    now = now or timezone.now()
    stopped = deliveries_stop_ended(now=now)
    planned = deliveries_plan(new_links_only=True, now=now)
    handed = deliveries_hand_out(now=now)
    return {"stopped": stopped, "planned": planned.created, "handed_out": handed}


# --- staff: "Opnieuw ophalen" ------------------------------------------------------------------


def deliveries_rerun(*, delivery_ids: Iterable[int], now: dt.datetime | None = None) -> int:
    """Make these deliveries due now (a delivered one is read again: a different answer becomes
    a new version). One being retrieved, or whose data the retention deleted, is left alone.
    The sweep is started after commit so they begin at once, within the budget."""
    now = now or timezone.now()
    ids = list(delivery_ids)
    base = Delivery.objects.filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now),
        pk__in=ids,
        data_deleted_at__isnull=True,
    )
    with transaction.atomic():
        count = base.filter(current_version__gt=0).update(
            status=DeliveryStatus.DELIVERED,
            due_at=now,
            failure_code="",
            failure_reason="",
            will_retry=False,
            updated_at=now,
        )
        count += base.filter(current_version=0).update(
            status=DeliveryStatus.PENDING,
            due_at=now,
            failure_code="",
            failure_reason="",
            will_retry=False,
            updated_at=now,
        )
        if count:
            enqueue_on_commit(task_names.SWEEP_DELIVERIES)
    return count


@dataclass(frozen=True, slots=True)
class PeriodRerun:
    rerun: int
    created: int


def period_rerun(
    *, processor: PayrollProcessor, period: periods.Period, now: dt.datetime | None = None
) -> PeriodRerun:
    """Every delivery of ``period`` of the processor's links due again; the processor's live
    links paid per that period type without one get it (from the planner first, then for a
    period before a link's first)."""
    now = now or timezone.now()
    links = _live_links().filter(processor=processor)
    deliveries_plan(link_ids=links.values_list("pk", flat=True), now=now)
    missing = list(
        links.filter(Q(feed__period_type=period.period_type) | Q(feed__isnull=True))
        .exclude(
            # One delivery with all three (an exclude() over the relation would test each on
            # any delivery of the link).
            Exists(
                Delivery.objects.filter(
                    link=OuterRef("pk"),
                    period_type=period.period_type,
                    year=period.year,
                    period=period.number,
                )
            )
        )
        .values_list("pk", flat=True)
    )
    created = []
    if period.end < timezone.localdate(now) and period.end > retention_cutoff(
        timezone.localdate(now)
    ):
        created = Delivery.objects.bulk_create(
            [
                Delivery(
                    link_id=pk,
                    processor=processor,
                    period_type=period.period_type,
                    year=period.year,
                    period=period.number,
                    period_start=period.start,
                    period_end=period.end,
                    due_at=now,
                    created_at=now,
                )
                for pk in missing
            ],
            batch_size=BATCH,
            ignore_conflicts=True,
        )
    ids = Delivery.objects.filter(
        processor=processor,
        period_type=period.period_type,
        year=period.year,
        period=period.number,
    ).values_list("pk", flat=True)
    rerun = deliveries_rerun(delivery_ids=list(ids), now=now)
    return PeriodRerun(rerun=rerun, created=len(created))
