"""The public side: the registration form, the status page (with its correction form), and the
directory of confirmed processors.

Thin views: load the registration by its unguessable token (404 otherwise), validate the form,
call one service, redirect (POST/redirect/GET). Everything a service refuses comes back as a
message next to the field it is about; a rate limit becomes a 429 page.

The empty registration form and the directory pages are served from a per-process cache of
rendered HTML (:mod:`onboarding.pagecache`, which says why and how stale a page may be).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from onboarding import limits, pagecache, selectors, services
from onboarding.forms import CorrectionForm, RegistrationForm
from onboarding.http import client_ip, rate_limited_response
from onboarding.models import PayrollProcessor, Status
from onboarding.ratelimit import RateLimited
from onboarding.services import DuplicateRegistration

STATUS_PAGE_ACTOR = "statuspagina"


class StatusLinkExpired(Exception):
    def __init__(self, processor: PayrollProcessor) -> None:
        super().__init__("status link expired")
        self.processor = processor


def _processor_or_404(token: str) -> PayrollProcessor:
    """The registration behind the token; 404 for none, :class:`StatusLinkExpired` when the link
    stopped working (``STATUS_LINK_DAYS`` after a.s.r.'s decision)."""
    processor = selectors.processor_by_token(token)
    if processor is None:
        raise Http404
    expires_at = selectors.status_link_expires_at(processor)
    if expires_at is not None and timezone.now() >= expires_at:
        raise StatusLinkExpired(processor)
    return processor


def _expired_page(request: HttpRequest, expired: StatusLinkExpired) -> HttpResponse:
    """410 Gone, with the next step: log in (confirmed) or contact a.s.r. (rejected)."""
    response = render(
        request,
        "onboarding/status_expired.html",
        {"confirmed": expired.processor.is_confirmed, "days": settings.STATUS_LINK_DAYS},
        status=410,
    )
    add_never_cache_headers(response)
    return response


def _status_link(view):
    """Answers an expired status link with :func:`_expired_page` instead of the view."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except StatusLinkExpired as expired:
            return _expired_page(request, expired)

    return wrapped


def _status_context(processor: PayrollProcessor) -> dict[str, Any]:
    return {
        "processor": processor,
        "pending": selectors.processor_check_pending(processor),
        "findings": selectors.processor_latest_findings(processor),
        "confirmed": processor.is_confirmed,
        "rejected": processor.status == Status.REJECTED,
    }


def _render_status(
    request: HttpRequest, processor: PayrollProcessor, form: CorrectionForm | None = None
) -> HttpResponse:
    context = _status_context(processor)
    context["form"] = form or CorrectionForm(processor=processor)
    context["correctable"] = not context["confirmed"] and not context["rejected"]
    # Once the check passed there is nothing to correct: the form folds away (still there to
    # open, for a change made in Loket.nl since). A refused correction stays open.
    context["fold_correction"] = (
        processor.status == Status.CHECK_PASSED
        and not context["pending"]
        and not context["form"].errors
    )
    return render(request, "onboarding/status.html", context)


def _not_correctable(request: HttpRequest, processor: PayrollProcessor) -> HttpResponse | None:
    """After a.s.r.'s confirmation the status link no longer changes anything: the processor
    logs in for that (the link is a bearer secret; the account has a password)."""
    if processor.is_confirmed:
        messages.info(
            request,
            _("Uw aanmelding is al verwerkt. Log in om uw Loket.nl-gegevens te wijzigen."),
        )
        return redirect("onboarding:status", token=processor.status_token)
    return None


# The Loket.nl password: "********" in Django's error reports, in POST and in the locals.
@sensitive_post_parameters("loket_password")
@sensitive_variables("data")
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":  # the empty form: the same page for everyone but the token
        return pagecache.render_cached(
            request,
            cache=pagecache.FORM_PAGES,
            template_name="onboarding/register.html",
            context=lambda: {"form": RegistrationForm()},
        )
    # Counted before the form is read (issue 13): probing addresses costs the same as registering.
    try:
        limits.registration_post(client_ip(request))
    except RateLimited as limited:
        return rate_limited_response(request, limited)
    form = RegistrationForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.registration_submit(
                company_name=data["company_name"],
                email=data["email"],
                omgevingscode=data["omgevingscode"],
                loket_username=data["loket_username"],
                loket_password=data["loket_password"],
                client_ip=client_ip(request),
                language=translation.get_language() or "nl",
            )
        except RateLimited as limited:
            return rate_limited_response(request, limited)
        except ValidationError as error:
            form.add_service_error(error)
        else:
            # The same answer whether the details were new or registered already (then the
            # registration holding them is mailed instead): the status page's link goes to the
            # address typed, by mail, never in this answer.
            return redirect("onboarding:registration_received")
    return render(request, "onboarding/register.html", {"form": form})


@never_cache
@require_safe
def registration_received(request: HttpRequest) -> HttpResponse:
    """What the registration form answers, for every registration (issue 13, enumeration)."""
    return render(request, "onboarding/registration_received.html")


@_status_link
@never_cache
@require_safe
def status(request: HttpRequest, token: str) -> HttpResponse:
    return _render_status(request, _processor_or_404(token))


@_status_link
@never_cache
@require_safe
def status_partial(request: HttpRequest, token: str) -> HttpResponse:
    """Only the status block, for static/js/status.js to swap in while the check runs."""
    processor = _processor_or_404(token)
    return render(request, "onboarding/_status.html", _status_context(processor))


@_status_link
@never_cache
@require_POST
def recheck(request: HttpRequest, token: str) -> HttpResponse:
    processor = _processor_or_404(token)
    if refused := _not_correctable(request, processor):
        return refused
    try:
        services.check_request(
            processor=processor,
            actor=None,
            actor_label=STATUS_PAGE_ACTOR,
            client_ip=client_ip(request),
        )
    except RateLimited as limited:
        return rate_limited_response(request, limited)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.info(request, _("We controleren uw gegevens opnieuw bij Loket.nl."))
    return redirect("onboarding:status", token=processor.status_token)


@_status_link
@sensitive_post_parameters("loket_password")
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def correct(request: HttpRequest, token: str) -> HttpResponse:
    processor = _processor_or_404(token)
    if request.method != "POST":
        return _render_status(request, processor)
    if refused := _not_correctable(request, processor):
        return refused
    form = CorrectionForm(request.POST, processor=processor)
    if form.is_valid():
        try:
            services.credentials_update(
                processor=processor,
                omgevingscode=form.cleaned_data["omgevingscode"],
                loket_username=form.cleaned_data["loket_username"],
                loket_password=form.new_password,
                client_ip=client_ip(request),
                actor_label=STATUS_PAGE_ACTOR,
            )
        except RateLimited as limited:
            return rate_limited_response(request, limited)
        except DuplicateRegistration as error:
            form.add_service_error(error)
        except ValidationError as error:  # e.g. a.s.r. rejected the registration meanwhile
            messages.error(request, " ".join(error.messages))
            return redirect("onboarding:status", token=processor.status_token)
        else:
            messages.success(
                request, _("Uw gegevens zijn aangepast. We controleren ze opnieuw bij Loket.nl.")
            )
            return redirect("onboarding:status", token=processor.status_token)
    return _render_status(request, processor, form)


# --- the directory ------------------------------------------------------------------------------

SEARCH_PARAMETER = "q"
PAGE_PARAMETER = "pagina"
_PAGE_WINDOW = 2  # page links on either side of the current page
_LAST_PAGE = 10**9  # a page number too long to be real asks for the last page


@dataclass(frozen=True, slots=True)
class PageLink:
    """One entry of the directory's page navigation; ``number`` ``None`` is a gap (…)."""

    number: int | None
    url: str = ""
    current: bool = False


def _requested_page(raw: str | None) -> int:
    """``?pagina=``: digits only; anything else is the first page, an absurdly large number the
    last (the selector clamps to the pages there are)."""
    raw = (raw or "").strip()
    if not (raw.isascii() and raw.isdigit()):
        return 1
    return _LAST_PAGE if len(raw) > 9 else max(int(raw), 1)


def _directory_url(search: str, number: int) -> str:
    params = {}
    if search:
        params[SEARCH_PARAMETER] = search
    if number > 1:
        params[PAGE_PARAMETER] = str(number)
    base = reverse("onboarding:directory")
    return f"{base}?{urlencode(params)}" if params else base


def _page_links(page: selectors.DirectoryPage, search: str) -> list[PageLink]:
    """First, last, and the pages around the current one; a gap where pages are left out."""
    around = range(page.number - _PAGE_WINDOW, page.number + _PAGE_WINDOW + 1)
    numbers = sorted({1, page.num_pages, *(n for n in around if 1 <= n <= page.num_pages)})
    links: list[PageLink] = []
    for number in numbers:
        if links and links[-1].number is not None and number - links[-1].number > 1:
            links.append(PageLink(None))
        url = _directory_url(search, number)
        links.append(PageLink(number, url, current=number == page.number))
    return links


def _directory_context(search: str, requested: int) -> dict[str, Any]:
    page = selectors.directory_page(search=search, page=requested)
    return {
        "page": page,
        "search": search,
        "search_max_length": selectors.SEARCH_MAX_LENGTH,
        "page_links": _page_links(page, search) if page.num_pages > 1 else [],
        "previous_url": _directory_url(search, page.number - 1) if page.has_previous else "",
        "next_url": _directory_url(search, page.number + 1) if page.has_next else "",
        "all_url": reverse("onboarding:directory"),
    }


@require_safe
def directory(request: HttpRequest) -> HttpResponse:
    """The confirmed processors, searchable by name (``?q=``) and paged (``?pagina=``).

    Any input gives a page: the search term is cleaned (see
    :func:`selectors.directory_search_term`), a bad page number gives the first or last page.
    Pages are reused for :data:`pagecache.DIRECTORY_TTL` seconds.
    """
    search = selectors.directory_search_term(request.GET.get(SEARCH_PARAMETER))
    requested = _requested_page(request.GET.get(PAGE_PARAMETER))
    return pagecache.render_cached(
        request,
        cache=pagecache.DIRECTORY_PAGES,
        template_name="onboarding/directory.html",
        context=lambda: _directory_context(search, requested),
        # Only ?q= (cleaned) and ?pagina= (a number) make the page: the cache key has those.
        canonical_path=_directory_url(search, requested),
    )
