"""The employer's own page about its request (statuspagina): where the request stands and who
acts next, and the employer's control over it. Its address carries the request's unguessable
``status_token``; every mail to the employer links it.

- a timeline: requested → verified (how) → registered by the processor → active, or the problem
  with who acts next, or the end (withdrawn, rejected, declined, ended: with reason and time);
- "Aanvraag intrekken" before activation, "Koppeling intrekken" (with a reason) once active:
  each a POST with a confirm step (:mod:`employers.services.consent`), then the page again;
- an unknown token (GET or POST) is a 404 page with the way to a new request and a.s.r.'s
  contact, never a 500.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from common.forms import SingleLineField
from common.text import mask_email
from employers import services
from employers.emails import REVOKE_ANCHOR, word_decline_reason
from employers.models import (
    EmployerLink,
    EmployerRequest,
    LinkStatus,
    RequestStatus,
    VerificationMethod,
)
from employers.services.consent import REASON_MAX, REVOCABLE, WITHDRAWABLE
from locket_client.problems import explain

EMPLOYER_ACTOR = "werkgever via statuspagina"


class StatusNotFound(Exception):
    """No request has this token (unknown, mistyped, or the unverified request expired)."""


_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,64}")
"""The shape of a status token (``secrets.token_urlsafe``): anything else is not looked up (a NUL
byte would not even reach PostgreSQL)."""


def request_for_status_token(token: str) -> EmployerRequest:
    found = (
        EmployerRequest.objects.select_related("processor")
        .prefetch_related("tax_numbers")
        .filter(status_token=token)
        .first()
        if token and _TOKEN.fullmatch(token)
        else None
    )
    if found is None:
        raise StatusNotFound
    return found


def _not_found(request: HttpRequest) -> HttpResponse:
    return render(request, "employers/status_not_found.html", status=404)


class RevokeForm(forms.Form):
    reason = SingleLineField(
        label=gettext_lazy("Reden"),
        max_length=REASON_MAX,
        help_text=gettext_lazy(
            "Waarom stopt u de koppeling? Uw salarisverwerker en a.s.r. krijgen deze reden."
        ),
        error_messages={"required": gettext_lazy("Vul een reden in.")},
    )


# --- the timeline ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    title: str
    state: str  # "done", "current", "problem", "todo"
    at: Any = None
    detail: str = ""
    next_actor: str = ""  # who acts now (current or problem steps)


def _actors() -> dict[str, str]:
    return {
        "employer": _("U (de werkgever)"),
        "processor": _("uw salarisverwerker"),
        "asr": _("a.s.r."),
    }


def _main_link(employer_request: EmployerRequest) -> EmployerLink | None:
    """The processor's registration that goes with the request: a live one first, else the
    latest (an ended one)."""
    links = sorted(
        employer_request.links.all(),
        key=lambda link: (link.status != LinkStatus.ENDED, link.registered_at, link.pk),
    )
    return links[-1] if links else None


def _verified_step(employer_request: EmployerRequest) -> Step:
    actors = _actors()
    title = _("Bevestigd")
    if employer_request.is_verified:
        if employer_request.verification_method == VerificationMethod.REGISTER:
            detail = _("Bevestigd via de link in de e-mail aan %(email)s.") % {
                "email": mask_email(employer_request.verified_email)
            }
        elif employer_request.verification_method == VerificationMethod.REVIEW:
            detail = _("Goedgekeurd door a.s.r.; bevestigd contactadres: %(email)s.") % {
                "email": mask_email(employer_request.verified_email)
            }
        else:
            detail = employer_request.get_verification_method_display()
        return Step(title, "done", employer_request.verified_at, detail)
    if employer_request.status == RequestStatus.UNVERIFIED:
        detail = _(
            "Wij hebben een bevestigingslink gestuurd naar het e-mailadres dat a.s.r. bij uw "
            "polis heeft: %(email)s. Gebruik de link in die e-mail om uw aanvraag te bevestigen."
        ) % {"email": mask_email(employer_request.register_email)}
        return Step(title, "current", None, detail, actors["employer"])
    if employer_request.status == RequestStatus.IN_REVIEW:
        detail = _(
            "KvK-nummer en polisnummer kwamen niet overeen met het klantregister van a.s.r. "
            "Een medewerker van a.s.r. beoordeelt uw aanvraag."
        )
        return Step(title, "current", None, detail, actors["asr"])
    return Step(title, "todo")


def _registered_step(employer_request: EmployerRequest, link: EmployerLink | None) -> Step:
    actors = _actors()
    title = _("Aangemeld door uw salarisverwerker")
    processor = employer_request.processor.company_name
    if link is not None:
        detail = _("%(processor)s heeft uw bedrijf aangemeld.") % {"processor": processor}
        return Step(title, "done", link.registered_at, detail)
    if employer_request.status != RequestStatus.OPEN:
        return Step(title, "todo")
    if employer_request.problem_code:
        detail = _(
            "%(processor)s ziet uw bedrijf nog niet in Loket.nl. Uw salarisverwerker moet de "
            "webservicegebruiker toegang geven tot uw bedrijf; wij hebben hem dat gemaild."
        ) % {"processor": processor}
        return Step(title, "problem", employer_request.checked_at, detail, actors["processor"])
    detail = _("%(processor)s heeft uw aanvraag ontvangen en meldt uw bedrijf aan.") % {
        "processor": processor
    }
    return Step(title, "current", None, detail, actors["processor"])


def _active_step(link: EmployerLink | None) -> Step:
    actors = _actors()
    title = _("Koppeling actief")
    if link is None:
        return Step(title, "todo")
    if link.status == LinkStatus.ACTIVE:
        return Step(title, "done", link.activated_at)
    if link.status in (LinkStatus.PROBLEM, LinkStatus.NEEDS_ATTENTION):
        return Step(
            title,
            "problem",
            link.checked_at,
            explain(link.problem_code, link.problem_detail),
            actors["processor"],
        )
    if link.status == LinkStatus.PENDING:
        detail = _("Wij controleren in Loket.nl of de koppeling werkt.")
        return Step(title, "current", None, detail, actors["asr"])
    if link.status == LinkStatus.ENDED and link.activated_at:
        return Step(title, "done", link.activated_at)
    return Step(title, "todo")


@dataclass(frozen=True)
class End:
    title: str
    at: Any
    reason: str
    text: str


def _end(employer_request: EmployerRequest, link: EmployerLink | None) -> End | None:
    status = employer_request.status
    reason = employer_request.decision_reason
    at = employer_request.decided_at
    if status == RequestStatus.WITHDRAWN:
        text = _("U heeft deze aanvraag ingetrokken. Er wordt geen koppeling gemaakt.")
        return End(_("Aanvraag ingetrokken"), at, reason, text)
    if status == RequestStatus.REJECTED:
        text = _("a.s.r. heeft deze aanvraag afgewezen. Er wordt geen koppeling gemaakt.")
        return End(_("Afgewezen door a.s.r."), at, reason, text)
    if status == RequestStatus.DECLINED:
        text = _(
            "%(processor)s heeft deze aanvraag geweigerd. Er wordt geen koppeling gemaakt."
        ) % {"processor": employer_request.processor.company_name}
        # The standard reason is stored in Dutch (a.s.r.'s record): worded in the page's language.
        return End(_("Geweigerd door uw salarisverwerker"), at, word_decline_reason(reason), text)
    if status == RequestStatus.ENDED:
        if link is not None and link.ended_at:
            at, reason = link.ended_at, link.end_reason or reason
        text = _(
            "De koppeling is beëindigd: a.s.r. haalt geen salarisgegevens meer op. Een nieuwe "
            "koppeling kan alleen met een nieuwe aanvraag."
        )
        return End(_("Koppeling beëindigd"), at, reason, text)
    return None


def _context(employer_request: EmployerRequest, **extra: Any) -> dict[str, Any]:
    link = _main_link(employer_request)
    steps = [
        Step(_("Aangevraagd"), "done", employer_request.created_at),
        _verified_step(employer_request),
        _registered_step(employer_request, link),
        _active_step(link),
    ]
    live = [each for each in employer_request.links.all() if each.status in REVOCABLE]
    return {
        "employer_request": employer_request,
        "processor_name": employer_request.processor.company_name,
        "numbers": [n.number for n in employer_request.tax_numbers.all()],
        "steps": steps,
        "end": _end(employer_request, link),
        "contact_masked": mask_email(
            employer_request.verified_email or employer_request.register_email
        ),
        "can_withdraw": employer_request.status in WITHDRAWABLE,
        "can_revoke": employer_request.status == RequestStatus.LINKED and bool(live),
        "revoke_anchor": REVOKE_ANCHOR,
        "revoke_form": RevokeForm(),
        **extra,
    }


# --- views ----------------------------------------------------------------------------------


@never_cache
@require_safe
def status(request: HttpRequest, token: str) -> HttpResponse:
    try:
        employer_request = request_for_status_token(token)
    except StatusNotFound:
        return _not_found(request)
    return render(request, "employers/status.html", _context(employer_request))


def _back(token: str, anchor: str = "") -> HttpResponse:
    url = reverse("employers:status", args=[token])
    return redirect(f"{url}#{anchor}" if anchor else url)


@never_cache
@require_POST
def status_withdraw(request: HttpRequest, token: str) -> HttpResponse:
    """Before activation: the confirm step, then the withdrawal."""
    try:
        employer_request = request_for_status_token(token)
    except StatusNotFound:
        return _not_found(request)
    if request.POST.get("confirm") != "yes":
        if employer_request.status not in WITHDRAWABLE:
            return _back(token)
        return render(
            request,
            "employers/status_confirm.html",
            {**_context(employer_request), "action": "withdraw"},
        )
    try:
        services.request_withdraw(request_id=employer_request.pk, actor_label=EMPLOYER_ACTOR)
    except ValidationError as error:
        messages.warning(request, " ".join(error.messages))
    else:
        messages.success(request, _("Uw aanvraag is ingetrokken."))
    return _back(token)


@never_cache
@require_POST
def status_revoke(request: HttpRequest, token: str) -> HttpResponse:
    """Once active: the reason, the confirm step, then the end of the link (all of the
    request's live links: the consent is the request's)."""
    try:
        employer_request = request_for_status_token(token)
    except StatusNotFound:
        return _not_found(request)
    live = list(
        employer_request.links.filter(status__in=REVOCABLE)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if employer_request.status != RequestStatus.LINKED or not live:
        if employer_request.status == RequestStatus.ENDED:
            messages.info(request, _("Deze koppeling was al beëindigd; er is niets veranderd."))
        return _back(token)
    form = RevokeForm(request.POST)
    if not form.is_valid():
        return render(
            request,
            "employers/status.html",
            _context(employer_request, revoke_form=form),
            status=400,
        )
    if request.POST.get("confirm") != "yes":
        return render(
            request,
            "employers/status_confirm.html",
            {**_context(employer_request, revoke_form=form), "action": "revoke"},
        )
    try:
        services.link_revoke(
            link_id=live[0],
            reason=form.cleaned_data["reason"],
            actor=None,
            actor_label=EMPLOYER_ACTOR,
        )
    except ValidationError as error:
        messages.warning(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("De koppeling is beëindigd. Uw salarisverwerker en a.s.r. krijgen hierover bericht."),
        )
    return _back(token)
