"""What a registration on the Werkgevers page did, said on the page after its redirect.

:func:`remember` keeps the counts and the registration's time in the session; :func:`message`
words them when the next page renders, reading what became of the new links by then
(:func:`employers.selectors.registration_outcome`), so the message says what the table says.
"""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from employers import selectors, services
from employers.models import LinkStatus
from onboarding.models import PayrollProcessor

SESSION_KEY = "werkgevers_aangemeld"


def take(request: HttpRequest) -> dict | None:
    """What :func:`remember` kept, once (the session forgets it)."""
    return request.session.pop(SESSION_KEY, None)


def _count(n: int) -> str:
    """A count as people read it in the page's language: "10.000" in Dutch, "10,000" in English."""
    return number_format(n, force_grouping=True)


def remember(
    request: HttpRequest, result: services.RegisterResult, *, skipped: dict[str, int] | None = None
) -> None:
    """Keep what the registration did for the page after the redirect, which says what became of
    the new links when it renders (:func:`message`): by then the linking task may
    have run, and the message must not say "wordt gekoppeld" beside a row that says "Gekoppeld"."""
    request.session[SESSION_KEY] = {
        "at": result.registered_at.isoformat() if result.registered_at else "",
        "created": result.created,
        "already": result.already,
        "unknown": result.unknown,
        "skipped": dict(skipped or {}),
    }


def _outcome_parts(created: int, outcome: dict[str, int]) -> list[str]:
    """What became of the ``created`` links, by their status now."""
    parts = []
    linked = outcome.get(LinkStatus.ACTIVE, 0)
    pending = outcome.get(LinkStatus.PENDING, 0)
    problems = outcome.get(LinkStatus.PROBLEM, 0) + outcome.get(LinkStatus.NEEDS_ATTENTION, 0)
    waiting = outcome.get(LinkStatus.AWAITING_REQUEST, 0)
    if linked == created:
        parts.append(ngettext("De werkgever is gekoppeld.", "Ze zijn alle gekoppeld.", linked))
    elif linked:
        parts.append(
            ngettext("%(count)s daarvan is gekoppeld.", "%(count)s daarvan zijn gekoppeld.", linked)
            % {"count": _count(linked)}
        )
    if pending:
        parts.append(
            ngettext(
                "%(count)s daarvan heeft de koppeling al aangevraagd en wordt nu gekoppeld.",
                "%(count)s daarvan hebben de koppeling al aangevraagd en worden nu gekoppeld.",
                pending,
            )
            % {"count": _count(pending)}
        )
    if problems:
        parts.append(
            ngettext(
                "Bij %(count)s daarvan is een probleem; wat u kunt doen staat in de tabel.",
                "Bij %(count)s daarvan is een probleem; wat u kunt doen staat in de tabel.",
                problems,
            )
            % {"count": _count(problems)}
        )
    if waiting == created:
        parts.append(
            ngettext(
                "De werkgever heeft de koppeling nog niet aangevraagd; wij koppelen zodra de "
                "aanvraag er is.",
                "Deze werkgevers hebben de koppeling nog niet aangevraagd; wij koppelen elk "
                "zodra de aanvraag er is.",
                waiting,
            )
        )
    elif waiting:
        parts.append(
            ngettext(
                "%(count)s daarvan heeft de koppeling nog niet aangevraagd; wij koppelen zodra "
                "de aanvraag er is.",
                "%(count)s daarvan hebben de koppeling nog niet aangevraagd; wij koppelen elk "
                "zodra de aanvraag er is.",
                waiting,
            )
            % {"count": _count(waiting)}
        )
    return parts


def message(processor: PayrollProcessor, remembered: dict) -> str:
    """The result of a registration, as it stands when the page renders."""
    created = int(remembered.get("created") or 0)
    if created:
        outcome = (
            selectors.registration_outcome(processor, datetime.fromisoformat(remembered["at"]))
            if remembered.get("at")
            else {}
        )
        parts = [
            ngettext("%(count)s werkgever aangemeld.", "%(count)s werkgevers aangemeld.", created)
            % {"count": _count(created)},
            *_outcome_parts(created, outcome),
        ]
    else:
        parts = [_("Er is geen werkgever nieuw aangemeld.")]
    already = int(remembered.get("already") or 0)
    if already:
        parts.append(
            ngettext(
                "%(count)s werkgever was al aangemeld.",
                "%(count)s werkgevers waren al aangemeld.",
                already,
            )
            % {"count": _count(already)}
        )
    unknown = int(remembered.get("unknown") or 0)
    if unknown:
        parts.append(
            ngettext(
                "%(count)s werkgever staat niet (meer) in Loket.nl en is niet aangemeld.",
                "%(count)s werkgevers staan niet (meer) in Loket.nl en zijn niet aangemeld.",
                unknown,
            )
            % {"count": _count(unknown)}
        )
    skipped = remembered.get("skipped")
    parts += skipped_parts(skipped if isinstance(skipped, dict) else {})
    return " ".join(parts)


def skipped_parts(skipped: dict[str, int], *, done: bool = True) -> list[str]:
    """What "Alles aanmelden" skipped (``done``) or will skip, per reason
    (:class:`employers.selectors.SkipReason`), and that each can still be registered alone."""
    parts = []
    for reason, label in selectors.SkipReason.choices:
        count = int(skipped.get(reason) or 0)
        if not count:
            continue
        if done:
            text = ngettext(
                "%(count)s werkgever is niet aangemeld: %(reason)s.",
                "%(count)s werkgevers zijn niet aangemeld: %(reason)s.",
                count,
            )
        else:
            text = ngettext(
                "%(count)s werkgever slaan we over: %(reason)s.",
                "%(count)s werkgevers slaan we over: %(reason)s.",
                count,
            )
        parts.append(text % {"count": _count(count), "reason": label})
    if parts:
        parts.append(_("U kunt zo'n werkgever wel los aanmelden: selecteer hem in de tabel."))
    return parts
