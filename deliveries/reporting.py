"""Read-only queries for the pages that show deliveries to people (issue 14, point 7).

- :func:`period_counts`: per processor, how many deliveries of one period are delivered, failed,
  pending (incl. retrieving) or stopped: one aggregate query, whatever the number of processors
  or links (the admin's overview, :mod:`deliveries.admin_overview`);
- :func:`last_deliveries` (:func:`last_delivery_links` + :func:`deliveries_of`): a processor's
  latest delivery per employer, newest period first, with the row counts of its current version
  and the number of employers, in two queries (the dashboard's table and
  ``/account/leveringen/``);
- :func:`period_name`: a period in words;
- :func:`link_data_flow`: for an employer's status page, whether data flows for its link and
  when it last did.

No BSN and no employee data: counts only.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import (
    Count,
    Exists,
    F,
    FilteredRelation,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Window,
)
from django.utils import timezone
from django.utils.dates import MONTHS
from django.utils.translation import gettext as _

from deliveries import periods
from deliveries.models import Delivery, DeliveryFeed, DeliveryStatus
from employers.models import EmployerLink, LinkStatus
from onboarding.models import PayrollProcessor

PENDING_STATES = (DeliveryStatus.PENDING, DeliveryStatus.RETRIEVING)


def period_name(period: periods.Period) -> str:
    """A period as people say it, in the active language: "maart 2026", "periode 5 (4 weken)
    van 2026", "week 7 van 2026"."""
    if period.period_type == periods.MONTH:
        return _("%(month)s %(year)s") % {"month": MONTHS[period.number], "year": period.year}
    if period.period_type == periods.FOUR_WEEKS:
        return _("periode %(number)s (4 weken) van %(year)s") % {
            "number": period.number,
            "year": period.year,
        }
    return _("week %(number)s van %(year)s") % {"number": period.number, "year": period.year}


# --- the admin's overview per period -----------------------------------------------------------


@dataclass(frozen=True)
class ProcessorCounts:
    processor_id: int
    name: str
    delivered: int
    failed: int
    pending: int
    stopped: int
    total: int


def period_counts(period: periods.Period) -> list[ProcessorCounts]:
    """The deliveries of ``period`` counted per processor and status (one query, using the index
    on ``(year, period_type, period, processor)``), by processor name."""
    rows = (
        Delivery.objects.filter(
            period_type=period.period_type, year=period.year, period=period.number
        )
        .values("processor_id", "processor__company_name")
        .annotate(
            delivered=Count("pk", filter=Q(status=DeliveryStatus.DELIVERED)),
            failed=Count("pk", filter=Q(status=DeliveryStatus.FAILED)),
            pending=Count("pk", filter=Q(status__in=PENDING_STATES)),
            stopped=Count("pk", filter=Q(status=DeliveryStatus.STOPPED)),
            total=Count("pk"),
        )
        .order_by("processor__company_name", "processor_id")
    )
    return [
        ProcessorCounts(
            processor_id=row["processor_id"],
            name=row["processor__company_name"],
            delivered=row["delivered"],
            failed=row["failed"],
            pending=row["pending"],
            stopped=row["stopped"],
            total=row["total"],
        )
        for row in rows
    ]


def totals(rows: list[ProcessorCounts]) -> dict[str, int]:
    keys = ("delivered", "failed", "pending", "stopped", "total")
    return {key: sum(getattr(row, key) for row in rows) for key in keys}


# --- the processor's last delivery per employer ------------------------------------------------


# The filter of the processor's deliveries page: the status of an employer's last delivery.
STATUS_GROUPS: dict[str, tuple[str, ...]] = {
    "delivered": (DeliveryStatus.DELIVERED,),
    "failed": (DeliveryStatus.FAILED,),
    "pending": PENDING_STATES,
    "stopped": (DeliveryStatus.STOPPED,),
}


def last_delivery_links(
    processor: PayrollProcessor, *, status: str = "", with_total: bool = False
) -> QuerySet:
    """``processor``'s links that have a delivery, newest last period first, then by employer;
    each annotated with ``last_delivery_id`` and ``last_status`` (of its latest delivery by
    period) and, ``with_total``, ``employer_total`` (the number of rows of the whole result: a
    window count, so that a slice of it still gives the total). ``status``: only the links whose
    last delivery is in that group of :data:`STATUS_GROUPS`.

    Built on the links, not on the deliveries: one probe of the index ``(link, -period_end)``
    per link, whatever the number of periods delivered (a processor with 3,000 employers and a
    year of deliveries: about 15 ms, against 100 ms for "the deliveries that are their link's
    latest")."""
    latest = Delivery.objects.filter(link=OuterRef("pk")).order_by("-period_end", "-pk")
    links = (
        EmployerLink.objects.filter(processor=processor)
        .filter(Exists(Delivery.objects.filter(link=OuterRef("pk"))))
        .annotate(
            last_delivery_id=Subquery(latest.values("pk")[:1]),
            last_period_end=Subquery(latest.values("period_end")[:1]),
            last_status=Subquery(latest.values("status")[:1]),
        )
        .order_by("-last_period_end", "employer_name", "pk")
        .only("pk", "employer_name")
    )
    if status in STATUS_GROUPS:
        links = links.filter(last_status__in=STATUS_GROUPS[status])
    return links.annotate(employer_total=Window(Count("pk"))) if with_total else links


def last_status_counts(processor: PayrollProcessor) -> dict[str, int]:
    """How many of ``processor``'s employers have their last delivery in each group of
    :data:`STATUS_GROUPS`, and ``all`` (one query)."""
    links = last_delivery_links(processor)
    return links.aggregate(
        all=Count("pk"),
        **{
            name: Count("pk", filter=Q(last_status__in=states))
            for name, states in STATUS_GROUPS.items()
        },
    )


def deliveries_of(links: list[EmployerLink]) -> list[Delivery]:
    """The latest deliveries of ``links`` (rows of :func:`last_delivery_links`) in their order,
    in one query: each with ``employer_name`` and the counts of its current version
    (``employees``, ``employments``, ``wages``; empty before the first version)."""
    ids = [link.last_delivery_id for link in links]
    found = (
        Delivery.objects.filter(pk__in=ids)
        .annotate(
            current=FilteredRelation(
                "versions", condition=Q(versions__number=F("current_version"))
            ),
            employer_name=F("link__employer_name"),
            employees=F("current__employee_count"),
            employments=F("current__employment_count"),
            wages=F("current__wage_count"),
        )
        .in_bulk()
        if ids
        else {}
    )
    return [found[pk] for pk in ids if pk in found]


def last_deliveries(processor: PayrollProcessor, *, limit: int) -> tuple[list[Delivery], int]:
    """The ``limit`` newest of ``processor``'s last delivery per employer, and the number of
    employers with a delivery (two queries)."""
    links = list(last_delivery_links(processor, with_total=True)[:limit])
    return deliveries_of(links), (links[0].employer_total if links else 0)


# --- the employer's status page ---------------------------------------------------------------


@dataclass(frozen=True)
class DataFlow:
    """What the employer's status page says about the data of its link.

    ``state``: ``"flowing"`` (delivered at least once; ``last`` is the latest delivered),
    ``"waiting"`` (active, nothing delivered yet; ``first`` is the period the first delivery is
    about and ``first_closed`` whether that period has ended already), or ``"stopped"`` (the
    link ended at ``stopped_at``).
    """

    state: str
    active: bool = True
    last: Delivery | None = None
    first: periods.Period | None = None
    first_closed: bool = False
    stopped_at: datetime.datetime | None = None


def _data_link(links: list[EmployerLink]) -> EmployerLink | None:
    """The link the status page speaks about: an active one first, then one that was active
    once (a problem now, or ended), the latest."""
    active = [link for link in links if link.status == LinkStatus.ACTIVE]
    if active:
        return max(active, key=lambda link: (link.activated_at, link.pk))
    once = [link for link in links if link.activated_at is not None]
    if once:
        return max(once, key=lambda link: (link.status != LinkStatus.ENDED, link.activated_at))
    return None


def link_data_flow(
    links: list[EmployerLink], *, today: datetime.date | None = None
) -> DataFlow | None:
    """The :class:`DataFlow` of the request's ``links``, or ``None`` when no link was ever
    active (the page says nothing about data then). At most two queries."""
    link = _data_link(links)
    if link is None:
        return None
    if link.status == LinkStatus.ENDED:
        return DataFlow("stopped", active=False, stopped_at=link.ended_at)
    last = (
        Delivery.objects.filter(link=link, status=DeliveryStatus.DELIVERED)
        .order_by("-period_end", "-pk")
        .first()
    )
    active = link.status == LinkStatus.ACTIVE
    if last is not None:
        return DataFlow("flowing", active=active, last=last)
    if not active:
        return None
    today = today or timezone.localdate()
    feed = DeliveryFeed.objects.filter(link=link).first()
    if feed is not None:
        first = feed.first
    else:
        # Not discovered yet: a link is delivered from the last period closed when it became
        # active (the feed's rule), in months until Loket.nl says otherwise.
        since = timezone.localdate(link.activated_at) if link.activated_at else today
        first = periods.last_closed(since, periods.MONTH)
    return DataFlow("waiting", first=first, first_closed=first.end < today)
