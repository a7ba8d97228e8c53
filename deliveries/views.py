"""The processor's deliveries page (``/account/leveringen/``): the latest delivery of every
employer, newest period first, 50 to a page, filtered by the status of that delivery if asked.
Counts only: no BSN, no employee data."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from deliveries import reporting
from deliveries.models import DeliveryStatus
from onboarding.models import PayrollProcessor

PAGE_SIZE = 50
PAGE_PARAMETER = "pagina"
STATUS_PARAMETER = "status"


@login_required
@require_safe
def processor_deliveries(request: HttpRequest) -> HttpResponse:
    processor = get_object_or_404(PayrollProcessor, user=request.user)
    status = request.GET.get(STATUS_PARAMETER, "")
    if status not in reporting.STATUS_GROUPS:
        status = ""
    # Four queries whatever the number of employers: the counts per status, the number of rows
    # of the filter, the page's links, and their deliveries.
    counts = reporting.last_status_counts(processor)
    paginator = Paginator(reporting.last_delivery_links(processor, status=status), PAGE_SIZE)
    page = paginator.get_page(request.GET.get(PAGE_PARAMETER))
    labels = {
        "delivered": DeliveryStatus.DELIVERED.label,
        "failed": DeliveryStatus.FAILED.label,
        "pending": DeliveryStatus.PENDING.label,
        "stopped": DeliveryStatus.STOPPED.label,
    }
    keep = {STATUS_PARAMETER: status} if status else {}
    return render(
        request,
        "deliveries/processor_deliveries.html",
        {
            "processor": processor,
            "page": page,
            "rows": reporting.deliveries_of(list(page.object_list)),
            "status": status,
            "counts": counts,
            "status_choices": [(name, labels[name], counts[name]) for name in labels],
            "previous_url": "?" + urlencode({**keep, PAGE_PARAMETER: page.previous_page_number()})
            if page.has_previous()
            else "",
            "next_url": "?" + urlencode({**keep, PAGE_PARAMETER: page.next_page_number()})
            if page.has_next()
            else "",
        },
    )
