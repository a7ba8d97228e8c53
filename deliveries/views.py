"""The processor's deliveries page (``/account/leveringen/``): the latest delivery of every
employer, newest period first, 50 to a page. Counts only: no BSN, no employee data."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from deliveries import reporting
from onboarding.models import PayrollProcessor

PAGE_SIZE = 50
PAGE_PARAMETER = "pagina"


@login_required
@require_safe
def processor_deliveries(request: HttpRequest) -> HttpResponse:
    processor = get_object_or_404(PayrollProcessor, user=request.user)
    # Three queries whatever the number of employers: the count, the page's links, and their
    # deliveries.
    paginator = Paginator(reporting.last_delivery_links(processor), PAGE_SIZE)
    page = paginator.get_page(request.GET.get(PAGE_PARAMETER))
    return render(
        request,
        "deliveries/processor_deliveries.html",
        {
            "processor": processor,
            "page": page,
            "rows": reporting.deliveries_of(list(page.object_list)),
            "page_parameter": PAGE_PARAMETER,
        },
    )
