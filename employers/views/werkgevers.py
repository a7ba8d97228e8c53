"""The processor's Werkgevers page: its employers, their states, and registering them.

Thin views (as ``onboarding.views.account``): the processor is always the one of the logged-in
user (404 otherwise), the rows come from :func:`employers.selectors.werkgevers_overview`, every
change goes through one service and ends in a redirect (POST/redirect/GET) back to the same
filter, search and page.

What the web-service user sees in Loket.nl comes from
:func:`employers.loket_snapshot.snapshot_for_page` (cached for ``LOKET_VIEW_TTL`` seconds, with
the time it was fetched). When Loket.nl cannot be reached the page still shows the requests and
links from the database, with a notice, and nothing can be registered.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from common.perf import gc_paused
from employers import selectors, services
from employers.loket_snapshot import PageSnapshot, snapshot, snapshot_for_page, snapshot_problem
from employers.models import EmployerLink
from employers.views import registration_result
from locket_client.errors import LoketError, LoketFault
from locket_client.problems import ProblemCode, explain, manual_step
from onboarding import limits
from onboarding.models import PayrollProcessor
from onboarding.selectors import directory_search_term

PAGE_SIZE = 50
STATE_PARAMETER = "status"
SEARCH_PARAMETER = "q"
PAGE_PARAMETER = "pagina"
REFRESH_PARAMETER = "vernieuwen"
ALL_PARAMETER = "alle"
EMPLOYER_PARAMETER = "employer_id"
CONFIRM_PARAMETER = "bevestigd"
CONFIRMED_PARAMETER = "aantal"

_MAX_EMPLOYER_ID_LENGTH = 36  # a GUID


@dataclass(frozen=True, slots=True)
class Filters:
    """The page's filter, search and page number, as read from a query string or form."""

    state: str = ""
    query: str = ""
    page: str = ""

    @classmethod
    def from_data(cls, data: QueryDict) -> Filters:
        state = data.get(STATE_PARAMETER, "")
        page = data.get(PAGE_PARAMETER, "").strip()
        return cls(
            state=state if state in selectors.RowState.values else "",
            query=directory_search_term(data.get(SEARCH_PARAMETER)),
            page=page if page.isascii() and page.isdigit() and len(page) < 10 else "",
        )

    def url(self, *, page: int | str | None = None) -> str:
        params = {STATE_PARAMETER: self.state, SEARCH_PARAMETER: self.query}
        params[PAGE_PARAMETER] = str(page) if page is not None else self.page
        query = urlencode({name: value for name, value in params.items() if value})
        base = reverse("employers:werkgevers")
        return f"{base}?{query}" if query else base


def _own_processor(request: HttpRequest) -> PayrollProcessor:
    return get_object_or_404(PayrollProcessor, user=request.user)


def _refresh_allowed(request: HttpRequest, processor: PayrollProcessor) -> bool:
    """Whether the processor may fetch its Loket.nl snapshot again now; if not, says when.

    Each refresh asks Loket.nl for every employer the web-service user sees (10,000 for a large
    office), so a few per minute are allowed; the data shown meanwhile is the cached snapshot.
    """
    try:
        limits.werkgevers_refresh(processor.pk)
    except limits.RateLimited as limited:
        if limited.unavailable:
            message = _("Vernieuwen kan op dit moment niet. Probeer het over een minuut opnieuw.")
        else:
            message = ngettext(
                "U heeft de gegevens net vernieuwd. Vernieuwen kan weer over %(seconds)d seconde.",
                "U heeft de gegevens net vernieuwd. Vernieuwen kan weer over %(seconds)d seconden.",
                limited.retry_after,
            ) % {"seconds": limited.retry_after}
        messages.warning(request, message)
        return False
    return True


def _problem_notice(title: str, code: str, detail: str) -> dict[str, str]:
    return {"title": title, "step": manual_step(code), "message": explain(code, detail)}


def _notice(data: PageSnapshot) -> dict[str, str] | None:
    """What the page says about Loket.nl: unreachable, login refused, or missing rights."""
    if data.error is not None:
        if isinstance(data.error, LoketFault) and not data.error.retryable:
            return _problem_notice(
                _("Loket.nl weigert uw webservicegebruiker"),
                ProblemCode.INLOG_MISLUKT,
                data.error.code,
            )
        if data.refresh_failed:
            message = _(
                "Vernieuwen is niet gelukt. U ziet de gegevens van het laatste moment dat "
                "Loket.nl wel bereikbaar was. Probeer het over enkele minuten opnieuw."
            )
        else:
            message = _(
                "U ziet hieronder de aanvragen en aanmeldingen die bij a.s.r. bekend zijn. "
                "Welke werkgevers uw webservicegebruiker ziet en het aanmelden van werkgevers "
                "volgen zodra Loket.nl weer bereikbaar is. Probeer het over enkele minuten opnieuw."
            )
        return {"title": _("Loket.nl is tijdelijk niet bereikbaar"), "step": "", "message": message}
    problem = snapshot_problem(data.snapshot) if data.snapshot is not None else None
    if problem is None:
        return None
    return _problem_notice(_("Uw webservicegebruiker mist rechten in Loket.nl"), *problem)


@login_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def werkgevers(request: HttpRequest) -> HttpResponse:
    """The processor's employers: filter (``?status=``), search (``?q=``), page (``?pagina=``).

    ``?vernieuwen=1``, or a POST (the "Vernieuwen" button), fetches the Loket.nl snapshot again.
    """
    processor = _own_processor(request)
    if request.method == "POST":
        filters = Filters.from_data(request.POST)
        if not _refresh_allowed(request, processor):
            return redirect(filters.url())
        data = snapshot_for_page(processor, refresh=True)
        notice = _notice(data) if data.error is not None else None
        if notice is None:
            messages.success(request, _("De gegevens uit Loket.nl zijn vernieuwd."))
        else:
            messages.error(request, f"{notice['title']}. {notice['message']}")
        return redirect(filters.url())

    filters = Filters.from_data(request.GET)
    remembered = registration_result.take(request)
    if isinstance(remembered, dict):
        messages.success(request, registration_result.message(processor, remembered))
    refresh = request.GET.get(REFRESH_PARAMETER) == "1" and _refresh_allowed(request, processor)
    with gc_paused():  # 10,000 employers: see common.perf
        data = snapshot_for_page(processor, refresh=refresh)
        rows = selectors.werkgevers_overview(
            processor=processor, current=data.snapshot, query=filters.query
        )
    counts = Counter(row.state for row in rows)
    if filters.state:
        rows = [row for row in rows if row.state == filters.state]
    can_register = processor.is_confirmed and data.snapshot is not None
    page = Paginator(rows, PAGE_SIZE).get_page(filters.page or 1)
    return render(
        request,
        "employers/werkgevers.html",
        {
            "processor": processor,
            "filters": filters,
            "page": page,
            "rows": selectors.with_contacts(page.object_list),
            "total": len(rows),
            "registrable_total": sum(1 for row in rows if row.can_register) if can_register else 0,
            "can_register": can_register,
            "state_choices": [
                (value, label, counts.get(value, 0)) for value, label in selectors.RowState.choices
            ],
            "all_count": sum(counts.values()),
            "fetched_at": data.fetched_at,
            "notice": _notice(data),
            "previous_url": filters.url(page=page.previous_page_number())
            if page.has_previous()
            else "",
            "next_url": filters.url(page=page.next_page_number()) if page.has_next() else "",
            "page_links": [
                (number, filters.url(page=number))
                for number in page.paginator.get_elided_page_range(page.number, on_each_side=2)
            ],
        },
    )


def _employer_ids(request: HttpRequest) -> list[str]:
    return [
        value
        for value in request.POST.getlist(EMPLOYER_PARAMETER)
        if 0 < len(value) <= _MAX_EMPLOYER_ID_LENGTH and value.isprintable()
    ]


def _confirm_all(
    request: HttpRequest,
    *,
    filters: Filters,
    rows: list[selectors.Row],
    employer_ids: list[str],
    changed: bool,
    skipped: dict[str, int],
) -> HttpResponse:
    """The confirmation step of "select everything that matches and register": what will happen,
    to how many employers, which it skips and why, with a way back that changes nothing."""
    wanted = set(employer_ids)
    with_request = sum(
        1 for row in rows if row.employer_id in wanted and row.state == selectors.RowState.REQUESTED
    )
    return render(
        request,
        "employers/werkgevers_bevestigen.html",
        {
            "filters": filters,
            "state_label": dict(selectors.RowState.choices).get(filters.state, ""),
            "count": len(employer_ids),
            "with_request": with_request,
            "without_request": len(employer_ids) - with_request,
            "changed": changed,
            "skipped": registration_result.skipped_parts(skipped, done=False),
            "back_url": filters.url(),
        },
    )


@login_required
@require_POST
def werkgevers_register(request: HttpRequest) -> HttpResponse:
    """Register the ticked employers (``employer_id``), or with ``alle=1`` every employer that
    matches the current filter and search and can be registered, on every page."""
    processor = _own_processor(request)
    filters = Filters.from_data(request.POST)
    back = redirect(filters.url())
    try:
        current = snapshot(processor)
    except LoketError:
        messages.error(
            request,
            _("Loket.nl is tijdelijk niet bereikbaar. Er is niets aangemeld; probeer het later."),
        )
        return back
    if request.POST.get(ALL_PARAMETER) == "1":
        with gc_paused():
            rows = selectors.werkgevers_overview(
                processor=processor,
                current=current,
                state_filter=filters.state or None,
                query=filters.query,
            )
            bulk = selectors.bulk_registration(processor=processor, rows=rows, current=current)
        employer_ids, skipped = bulk.employer_ids, bulk.skipped
        confirmed = request.POST.get(CONFIRMED_PARAMETER, "")
        if employer_ids and (
            request.POST.get(CONFIRM_PARAMETER) != "1" or confirmed != str(len(employer_ids))
        ):
            # Nothing is registered before the processor has seen how many, and confirmed that
            # number: when it changed meanwhile (Loket.nl, another user), it is asked again.
            return _confirm_all(
                request,
                filters=filters,
                rows=rows,
                employer_ids=employer_ids,
                changed=request.POST.get(CONFIRM_PARAMETER) == "1",
                skipped=skipped,
            )
    else:
        employer_ids, skipped = _employer_ids(request), {}
    if not employer_ids:
        parts = [_("Er is geen werkgever gekozen om aan te melden.")]
        messages.warning(request, " ".join(parts + registration_result.skipped_parts(skipped)))
        return back
    try:
        result = services.links_register(
            processor=processor, employer_ids=employer_ids, by=request.user, current=current
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return back
    registration_result.remember(request, result, skipped=skipped)
    return back


@login_required
@require_POST
def werkgevers_recheck(request: HttpRequest, link_id: int) -> HttpResponse:
    """Check a link with a problem again, after the processor fixed it in Loket.nl."""
    processor = _own_processor(request)
    link = get_object_or_404(EmployerLink, pk=link_id, processor=processor)
    back = redirect(Filters.from_data(request.POST).url())
    # The service forgets the cached snapshot (the processor has just changed something in
    # Loket.nl): the linking task and the page after this redirect ask Loket.nl afresh.
    try:
        services.link_recheck_request(link=link, actor=request.user, actor_label="salarisverwerker")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return back
    messages.success(
        request,
        _("De koppeling met %(name)s wordt opnieuw gecontroleerd.") % {"name": link.employer_name},
    )
    return back
