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
from employers.models import EmployerEvent, EmployerLink, LinkStatus
from employers.services.events import event
from locket_client.errors import LoketError
from locket_client.problems import ProblemCode
from onboarding import task_names as onboarding_task_names
from onboarding.models import CONFIRMED_STATES, PayrollProcessor

CALLS_PER_PROCESSOR = 4
"""Loket.nl calls a processor's daily re-check costs (credentials twice, links twice)."""


def recheck_everything_schedule(*, after_pk: int = 0) -> int:
    """Enqueue the daily re-check of every confirmed processor: its credentials, then its links.

    The calls go out as separate tasks with increasing countdowns so that the run stays under
    ``LOKET_CALLS_PER_MINUTE`` (the limiter enforces it too: an over-budget check just retries).
    No countdown reaches ``CELERY_MAX_RETRY_DELAY`` (Redis would hand a task waiting longer than
    its visibility timeout out twice): the processors that do not fit in that window are left to
    a continuation of this schedule, enqueued to start when the window ends, from the processor
    after the last one scheduled (``after_pk``). Returns how many processors were scheduled.
    """
    per_second = max(settings.LOKET_CALLS_PER_MINUTE / 60 / CALLS_PER_PROCESSOR, 0.01)
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


VISIBLE_NOTE = "werkgever zichtbaar in Loket.nl"
"""The note of a re-check that found the link's employer visible (a problem's note is its code)."""


def links_recheck(*, processor: PayrollProcessor, trigger: str) -> int | None:
    """Daily: every active link must still be visible, else it needs attention (flagged, never
    deleted); a flagged link that is visible again is active again. Returns how many changed,
    or ``None`` when Loket.nl could not be asked (then nothing is marked, and nothing recorded:
    no check happened).

    Every link checked gets an :class:`~employers.models.EmployerEvent` with the outcome, also
    when nothing changed (``from_status == to_status``): the evidence per employer lists every
    Loket.nl check. A few statements per processor, not per link (bulk update and insert)."""
    try:
        current = snapshot(processor, refresh=True)
    except LoketError:
        return None  # down, or the processor's login fails: the processor re-check flags that
    problem = snapshot_problem(current)
    code, detail = problem or (ProblemCode.NIET_ZICHTBAAR, "")
    visible = current.employer_ids
    changed = 0
    with transaction.atomic():
        links = list(
            EmployerLink.objects.select_for_update(skip_locked=True)
            .filter(
                processor=processor,
                status__in=(LinkStatus.ACTIVE, LinkStatus.NEEDS_ATTENTION),
            )
            .only("pk", "status", "loket_employer_id")
        )
        now = timezone.now()
        events = []
        outcome: dict[str, list[int]] = {LinkStatus.ACTIVE: [], LinkStatus.NEEDS_ATTENTION: []}
        for link in links:
            ok = problem is None and link.loket_employer_id in visible
            target = LinkStatus.ACTIVE if ok else LinkStatus.NEEDS_ATTENTION
            outcome[target].append(link.pk)
            changed += link.status != target
            events.append(
                event(
                    link=link,
                    from_status=link.status,
                    to_status=target,
                    actor_label=trigger,
                    note=VISIBLE_NOTE if ok else code,
                )
            )
        for target, ids in outcome.items():
            if ids:
                active = target == LinkStatus.ACTIVE
                EmployerLink.objects.filter(pk__in=ids).update(
                    status=target,
                    problem_code="" if active else code,
                    problem_detail="" if active else detail[:300],
                    checked_at=now,
                )
        for row in events:
            row.at = now
        EmployerEvent.objects.bulk_create(events, batch_size=2000)
    return changed
