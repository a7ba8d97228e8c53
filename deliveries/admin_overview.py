"""The admin's deliveries overview per period (issue 14, point 7): per processor how many
deliveries of one payroll period are delivered, failed, pending (incl. retrieving) or stopped,
as a table and as a stacked bar chart drawn on the server (SVG: no script, no CDN).

A proxy model, :class:`DeliveryOverview`, gives the page its place in the admin's index and its
address (``/beheer/deliveries/deliveryoverview/``); its changelist is this page. Seeing it takes
``deliveries.view_delivery`` (the proxy has no permissions of its own). The counts are one
aggregate query (:func:`deliveries.reporting.period_counts`), whatever the number of
processors and links.

The chart is accessible on its own terms (``role="img"`` with a title and a description, the
table as its text alternative) and does not rely on colour: each status has a pattern as well
(solid, stripes, dots), the legend names them, and each bar has its counts written under it.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from deliveries import periods, reporting
from deliveries.models import Delivery, PeriodType

VIEW_PERMISSION = "deliveries.view_delivery"

# The chart: the bars of at most CHART_ROWS processors (those with the most deliveries); the
# table below it lists every processor.
CHART_ROWS = 20
# viewBox units; the SVG scales to its box: about 1:1 on a 375 px phone (its texts stay
# readable there), 1.5:1 at the box's widest (deliveries-admin.css).
CHART_WIDTH = 320
CHART_LEGEND = 34
CHART_ROW = 62
CHART_BAR = 16
NAME_MAX = 40

# Colours with at least 3:1 against a light and a dark admin background (WCAG 1.4.11), each
# with its own pattern so that colour is not the only difference.
SEGMENTS = (
    ("delivered", "#1a7f37", ""),
    ("failed", "#c62828", "url(#chart-failed)"),
    ("pending", "#a35f00", "url(#chart-pending)"),
)

PERIOD_TYPE_PARAMETER = "type"
FIRST_YEAR = 2000  # the overview's first year: nothing was delivered before it
YEAR_PARAMETER = "jaar"
PERIOD_PARAMETER = "periode"


class DeliveryOverview(Delivery):
    class Meta:
        proxy = True
        default_permissions = ()
        verbose_name = gettext_lazy("Leveringsoverzicht")
        verbose_name_plural = gettext_lazy("Leveringsoverzicht")


# --- the period asked for ----------------------------------------------------------------------


def latest_closed(period_type: str, today: datetime.date | None = None) -> periods.Period:
    return periods.last_closed(today or timezone.localdate(), period_type)


def period_from(query: Any, today: datetime.date | None = None) -> tuple[periods.Period, bool]:
    """The period of the query string (``type``, ``jaar``, ``periode``) and whether it was
    valid; the latest closed month (or closed period of the type asked for) when it is absent
    or not a period (never an error: the page says it showed the default instead)."""
    period_type = query.get(PERIOD_TYPE_PARAMETER) or periods.MONTH
    valid = period_type in periods.PERIOD_TYPES
    if not valid:
        period_type = periods.MONTH
    default = latest_closed(period_type, today)
    year, number = query.get(YEAR_PARAMETER), query.get(PERIOD_PARAMETER)
    if year is None and number is None:
        return default, valid
    try:
        year, number = int(year), int(number)
        if not FIRST_YEAR <= year <= default.year + 1:
            raise ValueError(year)  # noqa: TRY301 - one answer for every bad value
        return periods.Period(year, number, period_type), valid
    except (TypeError, ValueError):
        return default, False


def period_query(period: periods.Period) -> str:
    return "?" + urlencode(
        {
            PERIOD_TYPE_PARAMETER: period.period_type,
            YEAR_PARAMETER: period.year,
            PERIOD_PARAMETER: period.number,
        }
    )


# --- the chart ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    status: str
    x: float
    width: float
    colour: str
    fill: str
    label: str


@dataclass(frozen=True)
class Bar:
    name: str
    y: float
    segments: list[Segment]
    counts_text: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: list[Bar]
    legend: list[tuple[float, str, str, str]]  # (x, colour, fill, label)
    bar_height: int
    more: int  # processors not drawn (the table has them)


def _labels() -> dict[str, str]:
    return {"delivered": _("Geleverd"), "failed": _("Mislukt"), "pending": _("Wacht")}


def _short(name: str) -> str:
    return name if len(name) <= NAME_MAX else name[: NAME_MAX - 1].rstrip() + "…"


def build_chart(rows: list[reporting.ProcessorCounts]) -> Chart | None:
    """The geometry of the stacked bars (viewBox units), or ``None`` when there is nothing to
    draw. Bars are to one scale: the longest is the processor with the most deliveries."""
    drawn = sorted(rows, key=lambda row: (-row.total, row.name))[:CHART_ROWS]
    drawn = [row for row in drawn if row.delivered + row.failed + row.pending]
    if not drawn:
        return None
    drawn.sort(key=lambda row: (row.name.lower(), row.processor_id))
    labels = _labels()
    scale_max = max(row.delivered + row.failed + row.pending for row in drawn)
    bars = []
    for index, row in enumerate(drawn):
        top = CHART_LEGEND + index * CHART_ROW
        x = 0.0
        segments = []
        for status, colour, fill in SEGMENTS:
            count = getattr(row, status)
            if not count:
                continue
            width = round(CHART_WIDTH * count / scale_max, 2)
            segments.append(
                Segment(status, round(x, 2), width, colour, fill or colour, labels[status])
            )
            x += width
        counts_text = _("%(delivered)s geleverd · %(failed)s mislukt · %(pending)s wacht") % {
            "delivered": row.delivered,
            "failed": row.failed,
            "pending": row.pending,
        }
        bars.append(Bar(_short(row.name), top, segments, counts_text))
    legend = [
        (index * 107.0, colour, fill or colour, labels[status])
        for index, (status, colour, fill) in enumerate(SEGMENTS)
    ]
    return Chart(
        width=CHART_WIDTH,
        height=CHART_LEGEND + len(bars) * CHART_ROW,
        bars=bars,
        legend=legend,
        bar_height=CHART_BAR,
        more=len(rows) - len(drawn),
    )


# --- the admin page --------------------------------------------------------------------------


class DeliveryOverviewAdmin(admin.ModelAdmin):
    """The overview as the proxy's changelist: read only, for staff who may view deliveries."""

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_active and request.user.has_perm(VIEW_PERMISSION)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_urls(self) -> list[URLPattern]:
        # Only the page itself: no add, change, history or delete pages for a proxy of counts.
        name = f"{self.opts.app_label}_{self.opts.model_name}_changelist"
        return [path("", self.admin_site.admin_view(self.changelist_view), name=name)]

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> TemplateResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        today = timezone.localdate()
        period, valid = period_from(request.GET, today)
        rows = reporting.period_counts(period)
        last = latest_closed(period.period_type, today)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Leveringsoverzicht"),
            # the window title: "maart 2026 | Leveringsoverzicht | ..."
            "subtitle": reporting.period_name(period),
            "period": period,
            "period_valid": valid,
            "is_latest": period == last,
            "previous_query": period_query(period.previous()) if period.year > FIRST_YEAR else "",
            "next_query": period_query(period.next()) if period < last else "",
            "types": [
                (value, label, period_query(latest_closed(value, today)))
                for value, label in PeriodType.choices
            ],
            "rows": self._with_links(rows, period),
            "totals": reporting.totals(rows),
            "chart": build_chart(rows),
            "chart_rows": CHART_ROWS,
            "year_parameter": YEAR_PARAMETER,
            "period_parameter": PERIOD_PARAMETER,
            "type_parameter": PERIOD_TYPE_PARAMETER,
            **(extra_context or {}),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/deliveries/overview.html", context)

    def _with_links(
        self, rows: list[reporting.ProcessorCounts], period: periods.Period
    ) -> list[tuple[reporting.ProcessorCounts, str]]:
        """Each row with the address of its deliveries in the admin's list of deliveries (when
        that list exists)."""
        if not self.admin_site.is_registered(Delivery):
            return [(row, "") for row in rows]
        base = reverse("admin:deliveries_delivery_changelist", current_app=self.admin_site.name)
        return [
            (
                row,
                base
                + "?"
                + urlencode(
                    {
                        "processor__id__exact": row.processor_id,
                        "period_type": period.period_type,
                        "year": period.year,
                        "period": period.number,
                    }
                ),
            )
            for row in rows
        ]


admin.site.register(DeliveryOverview, DeliveryOverviewAdmin)
