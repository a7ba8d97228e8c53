"""Daily re-checks: every confirmed processor's credentials and every active link, spread out
under the Loket.nl call budget."""

from __future__ import annotations

import math

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from common.dispatch import enqueue
from employers import task_names
from employers.loket_snapshot import snapshot, snapshot_problem
from employers.models import EmployerEvent, EmployerLink, LinkStatus, RequestTaxNumber
from employers.services.digests import processor_digest_schedule
from employers.services.events import event
from employers.services.linking import employer_problems_due, number_problem
from locket_client.errors import LoketError
from locket_client.problems import NUMBER_CODES, ProblemCode
from onboarding import task_names as onboarding_task_names
from onboarding.limits import loket_calls_per_minute_internal
from onboarding.models import CONFIRMED_STATES, PayrollProcessor

VISIBLE_NOTE = "werkgever zichtbaar in Loket.nl"
"""The note of a re-check that found the link's employer visible (a problem's note is its code)."""

CALLS_PER_PROCESSOR = 4
"""Loket.nl calls a processor's daily re-check costs (credentials twice, links twice)."""


def recheck_everything_schedule(*, after_pk: int = 0) -> int:
    """Enqueue the daily re-check of every confirmed processor: its credentials, then its links.

    The calls go out as separate tasks with increasing countdowns so that the run stays under
    the portal's own part of ``LOKET_CALLS_PER_MINUTE`` (less ``LOKET_CALLS_PER_MINUTE_PUBLIC``;
    the limiter enforces it too: an over-budget check just retries).
    No countdown reaches ``CELERY_MAX_RETRY_DELAY`` (Redis would hand a task waiting longer than
    its visibility timeout out twice): the processors that do not fit in that window are left to
    a continuation of this schedule, enqueued to start when the window ends, from the processor
    after the last one scheduled (``after_pk``). Returns how many processors were scheduled.
    """
    per_second = max(loket_calls_per_minute_internal() / 60 / CALLS_PER_PROCESSOR, 0.01)
    window = max(settings.CELERY_MAX_RETRY_DELAY - 1, 1)
    fits = max(math.ceil(window * per_second), 1)  # positions whose countdown < window
    ids = list(
        PayrollProcessor.objects.filter(status__in=CONFIRMED_STATES, pk__gt=after_pk)
        .order_by("pk")
        .values_list("pk", flat=True)[: fits + 1]
    )
    for position, processor_id in enumerate(ids[:fits]):
        countdown = min(int(position / per_second), window - 1)
        enqueue(onboarding_task_names.RECHECK_PROCESSOR, processor_id, countdown=countdown)
        enqueue(task_names.RECHECK_LINKS, processor_id, countdown=countdown + 1)
    if len(ids) > fits:
        enqueue(task_names.RECHECK_EVERYTHING, ids[fits - 1], countdown=window)
    return min(len(ids), fits)


def links_recheck(*, processor: PayrollProcessor, trigger: str) -> int | None:
    """Daily: every active link must still be visible, and its request must still name exactly
    the employer's loonheffingennummers in Loket.nl (they may have changed there), else it needs
    attention (flagged with the precise problem, never deleted); a flagged link that is fine
    again is active again. The processor hears of a new problem in its digest, the employer's
    verified contact of a number problem by mail. Returns how many changed, or ``None`` when
    Loket.nl could not be asked (then nothing is marked, and nothing recorded: no check happened).

    Every link checked gets an :class:`~employers.models.EmployerEvent` with the outcome, also
    when nothing changed (``from_status == to_status``): the evidence per employer lists every
    Loket.nl check. A few statements per processor, not per link (bulk update and insert)."""
    try:
        current = snapshot(processor, refresh=True)
    except LoketError:
        return None  # down, or the processor's login fails: the processor re-check flags that
    problem = snapshot_problem(current)
    visible = current.by_id()
    changed = 0
    with transaction.atomic():
        links = list(
            EmployerLink.objects.select_for_update(skip_locked=True)
            .filter(
                processor=processor,
                status__in=(LinkStatus.ACTIVE, LinkStatus.NEEDS_ATTENTION),
            )
            .only(
                "pk", "status", "loket_employer_id", "request_id", "problem_code", "problem_detail"
            )
        )
        numbers_of: dict[int, set[str]] = {}
        for request_id, number in RequestTaxNumber.objects.filter(
            request_id__in={link.request_id for link in links if link.request_id}
        ).values_list("request_id", "number"):
            numbers_of.setdefault(request_id, set()).add(number)
        now = timezone.now()
        events = []
        flips: dict[tuple[str, str, str], list[int]] = {}
        unchanged: list[int] = []
        employer_told: list[int] = []
        for link in links:
            if problem is not None:
                code, detail = problem[0], problem[1][:300]
            elif link.loket_employer_id not in visible:
                code, detail = ProblemCode.NIET_ZICHTBAAR, ""
            else:
                employer = visible[link.loket_employer_id]
                code, detail = number_problem(
                    numbers_of.get(link.request_id, ()), employer.payroll_tax_numbers
                ) or ("", "")
            target = LinkStatus.NEEDS_ATTENTION if code else LinkStatus.ACTIVE
            # Every check is evidence, also when nothing changed.
            events.append(
                event(
                    link=link,
                    from_status=link.status,
                    to_status=target,
                    actor_label=trigger,
                    note=(
                        (f"{code}: {detail}" if detail and code in NUMBER_CODES else code)
                        or VISIBLE_NOTE
                    ),
                )
            )
            same = (link.status, link.problem_code, link.problem_detail) == (target, code, detail)
            if same or link.status == target == LinkStatus.ACTIVE:
                unchanged.append(link.pk)  # (active, with a problem code of old: nothing to tell)
                continue
            flips.setdefault((target, code, detail), []).append(link.pk)
            if code in NUMBER_CODES:
                employer_told.append(link.pk)
        if unchanged:
            EmployerLink.objects.filter(pk__in=unchanged).update(checked_at=now)
        for (target, code, detail), ids in flips.items():
            active = target == LinkStatus.ACTIVE
            EmployerLink.objects.filter(pk__in=ids).update(
                status=target,
                problem_code=code,
                problem_detail=detail,
                checked_at=now,
                # A new problem goes into the processor's next digest.
                **({} if active else {"processor_notified_at": None}),
            )
            changed += len(ids)
        for row in events:
            row.at = now
        EmployerEvent.objects.bulk_create(events, batch_size=2000)
        employer_problems_due(employer_told)
        if flips and any(target != LinkStatus.ACTIVE for target, _c, _d in flips):
            processor_digest_schedule(processor.pk)
    return changed
