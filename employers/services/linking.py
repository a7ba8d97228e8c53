"""The linking worker's service: check pending links against Loket.nl and activate them, or
record the precise problem with the manual step that fixes it.

A link becomes *pending* when both the employer's request and the processor's registration are
there (whichever came second, see :mod:`~employers.services.requests` and
:mod:`~employers.services.registrations`); :func:`enqueue_links` hands it to the linking task
after commit, and ``link_requested_at`` lets the sweep hand it out again if that was lost.

Each chunk of one processor's links is decided in ONE transaction whose rows are claimed with
``SELECT ... FOR UPDATE SKIP LOCKED`` and acted on only while pending: a task delivered twice, or
run on two workers at once, activates a link once; a worker killed mid-chunk rolls back and the
redelivered task decides the chunk again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.dispatch import enqueue_on_commit
from employers import task_names
from employers.loket_snapshot import Problem, snapshot, snapshot_forget, snapshot_problem
from employers.models import (
    EmployerEvent,
    EmployerLink,
    EmployerRequest,
    LinkStatus,
    RequestStatus,
    RequestTaxNumber,
)
from employers.services.digests import processor_digest_schedule
from employers.services.events import event
from locket_client.errors import LoketError
from locket_client.problems import NUMBER_CODES, ProblemCode
from locket_client.types import Employer
from onboarding.models import PayrollProcessor

TASK_CHUNK = 200
"""Links per linking task: one Loket.nl snapshot serves a whole chunk."""


def link_lease() -> dt.timedelta:
    """How long a linking task owns the pending links it works on: two Loket.nl calls at their
    timeout. A worker killed mid-chunk leaves a lease that expires this soon, and the sweep
    (every 20 s) hands the chunk to another worker: recovery within a minute, whatever Redis's
    visibility timeout. A task still alive past it only loses a race it would have won anyway:
    the rows are claimed with SKIP LOCKED and acted on once."""
    return dt.timedelta(seconds=min(2 * settings.LOKET_TIMEOUT, settings.CELERY_TASK_TIME_LIMIT))


def enqueue_links(link_ids: Sequence[int]) -> None:
    """After commit, one linking task per :data:`TASK_CHUNK` links (the sweep covers a loss)."""
    ids = list(link_ids)
    for start in range(0, len(ids), TASK_CHUNK):
        enqueue_on_commit(task_names.LINK_EMPLOYERS, ids[start : start + TASK_CHUNK])


@dataclass(frozen=True, slots=True)
class LinkRunResult:
    activated: list[int]
    problems: int
    skipped: int
    retry: bool = False
    lease: dt.datetime | None = None  # this run's lease on the links it left pending


def links_activate(*, link_ids: Sequence[int], trigger: str) -> LinkRunResult:
    """Check pending links against Loket.nl and activate them, or record the precise problem.

    Idempotent per link (row claimed with SKIP LOCKED, acted on only while pending). Temporary
    trouble at Loket.nl changes nothing and asks for a retry.
    """
    # The lease first (committed at once): a worker killed from here on leaves links the sweep
    # takes over when it expires. Its end time is this run's token: only this run releases it.
    lease = timezone.now() + link_lease()
    EmployerLink.objects.filter(pk__in=link_ids, status=LinkStatus.PENDING).update(
        link_claimed_until=lease
    )
    pending = list(
        EmployerLink.objects.filter(pk__in=link_ids, status=LinkStatus.PENDING)
        .order_by()  # the model's ordering would leak into DISTINCT and repeat processors
        .values_list("processor_id", flat=True)
        .distinct()
    )
    activated: list[int] = []
    problems = skipped = 0
    retry = False
    notify: set[int] = set()
    for processor_id in pending:
        processor = PayrollProcessor.objects.get(pk=processor_id)
        try:
            current = snapshot(processor)
        except LoketError as error:
            if error.retryable:
                retry = True  # this processor's links stay pending; the others go on
                continue
            problem: Problem | None = (ProblemCode.INLOG_MISLUKT, error.code)
            visible: dict[str, Employer] = {}
        else:
            problem = snapshot_problem(current)
            visible = current.by_id()
        ids = list(
            EmployerLink.objects.filter(
                pk__in=link_ids, processor_id=processor_id, status=LinkStatus.PENDING
            ).values_list("pk", flat=True)
        )
        done, failed, missed = _activate_chunk(ids, visible, problem, trigger)
        activated += done
        problems += failed
        skipped += missed
        if done or failed:
            notify.add(processor_id)
    if activated:
        enqueue_on_commit(task_names.SEND_LINK_ACTIVE_MAILS, activated)
    for processor_id in notify:
        processor_digest_schedule(processor_id)
    return LinkRunResult(
        activated=activated, problems=problems, skipped=skipped, retry=retry, lease=lease
    )


def number_problem(requested: Iterable[str], on_employer: Iterable[str]) -> Problem | None:
    """Whether a request's loonheffingennummers fit the employer's in Loket.nl: ``None`` when
    the two sets are equal (the only case a link may be active in), else the precise problem:
    no number in common (the request was paired on the KvK number alone), a requested number
    the employer does not have, or numbers of the employer the request does not name."""
    asked, has = set(requested), set(on_employer)
    if asked == has:
        return None
    if not asked & has:
        return ProblemCode.ALLEEN_KVK, ", ".join(sorted(asked))[:300]
    if asked - has:
        return ProblemCode.NUMMER_ONTBREEKT, ", ".join(sorted(asked - has))[:300]
    return ProblemCode.NUMMER_EXTRA, ", ".join(sorted(has - asked))[:300]


_LINKABLE_REQUEST = (RequestStatus.OPEN, RequestStatus.LINKED)
_NO_REQUEST = "__no_request__"


def _activate_chunk(
    link_ids: list[int],
    visible: dict[str, Employer],
    problem: Problem | None,
    trigger: str,
) -> tuple[list[int], int, int]:
    """Decide a chunk of one processor's pending links in ONE transaction, a few statements per
    chunk, not per link. Returns (activated ids, number of problems, number skipped).

    A link is active only when its request is still verified and open, Loket.nl shows the
    employer, and the request names exactly the employer's loonheffingennummers
    (:func:`number_problem`). A link whose request was declined, withdrawn or ended meanwhile
    waits for a new request again."""
    with transaction.atomic():
        links = list(
            EmployerLink.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk__in=link_ids, status=LinkStatus.PENDING)
            .only(
                "pk",
                "status",
                "loket_employer_id",
                "request_id",
                "processor_id",
                "problem_code",
                "problem_detail",
            )
        )
        if not links:
            return [], 0, len(link_ids)
        request_ids = {link.request_id for link in links if link.request_id}
        request_status = dict(
            EmployerRequest.objects.filter(pk__in=request_ids).values_list("pk", "status")
        )
        numbers_of: dict[int, set[str]] = {}
        for request_id, number in RequestTaxNumber.objects.filter(
            request_id__in=request_ids
        ).values_list("request_id", "number"):
            numbers_of.setdefault(request_id, set()).add(number)
        now = timezone.now()
        outcome: dict[tuple[str, str, str], list[EmployerLink]] = {}
        for link in links:
            if request_status.get(link.request_id) not in _LINKABLE_REQUEST:
                key = (LinkStatus.AWAITING_REQUEST, _NO_REQUEST, "")
            elif problem is not None:
                key = (LinkStatus.PROBLEM, problem[0], problem[1][:300])
            elif link.loket_employer_id not in visible:
                key = (LinkStatus.PROBLEM, ProblemCode.NIET_ZICHTBAAR, "")
            else:
                employer = visible[link.loket_employer_id]
                mismatch = number_problem(
                    numbers_of.get(link.request_id, ()), employer.payroll_tax_numbers
                )
                if mismatch is None:
                    key = (LinkStatus.ACTIVE, "", "")
                else:
                    key = (LinkStatus.PROBLEM, mismatch[0], mismatch[1])
            outcome.setdefault(key, []).append(link)
        events = []
        active: list[EmployerLink] = []
        employer_told: list[int] = []
        released = 0
        for (status, code, detail), group in outcome.items():
            ids = [link.pk for link in group]
            if code == _NO_REQUEST:
                EmployerLink.objects.filter(pk__in=ids).update(
                    status=status,
                    request=None,
                    problem_code="",
                    problem_detail="",
                    link_requested_at=None,
                    link_claimed_until=None,
                )
                events += [
                    event(
                        link=link,
                        from_status=link.status,
                        to_status=status,
                        actor_label=trigger,
                        note="aanvraag niet meer open",
                    )
                    for link in group
                ]
                released += len(group)
                continue
            is_active = status == LinkStatus.ACTIVE
            EmployerLink.objects.filter(pk__in=ids).update(
                status=status,
                problem_code=code,
                problem_detail=detail,
                checked_at=now,
                link_requested_at=None,
                link_claimed_until=None,
                activated_at=now if is_active else None,
                **({"employer_notified_at": None} if is_active else {}),
            )
            events += [
                event(
                    link=link,
                    from_status=link.status,
                    to_status=status,
                    actor_label=trigger,
                    note=f"{code}: {detail}" if detail and code in NUMBER_CODES else code,
                )
                for link in group
            ]
            if is_active:
                active += group
            elif code in NUMBER_CODES:
                # The employer is told once per problem: not again when a re-check finds the
                # same difference.
                employer_told += [
                    link.pk
                    for link in group
                    if (link.problem_code, link.problem_detail) != (code, detail)
                ]
        if active:
            events += _link_requests(active, trigger)
        EmployerEvent.objects.bulk_create(events, batch_size=1000)
        employer_problems_due(employer_told)
    activated = [link.pk for link in active]
    return activated, len(links) - len(activated) - released, len(link_ids) - len(links)


def employer_problems_due(link_ids: Sequence[int]) -> None:
    """The links' number problems are to be mailed to the employer's verified contact (the
    outbox: ``employer_problem_mailed_at`` empty; the task after commit, the sweep if lost)."""
    if not link_ids:
        return
    EmployerLink.objects.filter(pk__in=list(link_ids)).update(employer_problem_mailed_at=None)
    for link_id in link_ids:
        enqueue_on_commit(task_names.SEND_LINK_EMPLOYER_PROBLEM_MAIL, link_id)


def _link_requests(active: list[EmployerLink], trigger: str) -> list[EmployerEvent]:
    """Mark linked: the requests of the activated links. (No other request is swept along: a link
    is active only when its own verified request names exactly the employer's numbers, and a
    number is open in one verified request at a time, so no other request can name them; each
    request keeps its own link, which its employer can revoke.)"""
    request_ids = list(
        EmployerRequest.objects.filter(
            status=RequestStatus.OPEN, pk__in=[link.request_id for link in active]
        ).values_list("pk", flat=True)
    )
    if not request_ids:
        return []
    EmployerRequest.objects.filter(pk__in=request_ids).update(status=RequestStatus.LINKED)
    RequestTaxNumber.objects.filter(request_id__in=request_ids).update(is_open=False)
    return [
        event(
            employer_request=EmployerRequest(pk=request_id),
            from_status=RequestStatus.OPEN,
            to_status=RequestStatus.LINKED,
            actor_label=trigger,
        )
        for request_id in request_ids
    ]


def links_defer(*, link_ids: Sequence[int], seconds: int, lease: dt.datetime | None) -> None:
    """The linking task retries in ``seconds`` (Loket.nl was down): its lease ends and the links
    are next due then, in one statement (no moment in which the sweep would see them free and
    due). Only links still under this run's ``lease`` (none other took them over)."""
    EmployerLink.objects.filter(
        pk__in=list(link_ids), status=LinkStatus.PENDING, link_claimed_until=lease
    ).update(
        link_requested_at=timezone.now() + dt.timedelta(seconds=seconds), link_claimed_until=None
    )


def links_release(*, link_ids: Sequence[int], lease: dt.datetime | None) -> None:
    """The linking task gave up (out of retries): the links under its ``lease`` are free for the
    sweep at once."""
    EmployerLink.objects.filter(
        pk__in=list(link_ids), status=LinkStatus.PENDING, link_claimed_until=lease
    ).update(link_claimed_until=None)


def link_recheck_request(
    *, link: EmployerLink, actor: AbstractBaseUser | None, actor_label: str
) -> None:
    """Try a link with a problem again (after the processor fixed Loket.nl)."""
    with transaction.atomic():
        locked = EmployerLink.objects.select_for_update().get(pk=link.pk)
        if locked.request_id is None or locked.status not in (
            LinkStatus.PROBLEM,
            LinkStatus.NEEDS_ATTENTION,
        ):
            raise ValidationError(_("Deze koppeling kan nu niet opnieuw worden gecontroleerd."))
        EmployerEvent.objects.create(
            link=locked,
            from_status=locked.status,
            to_status=LinkStatus.PENDING,
            actor=actor,
            actor_label=actor_label,
        )
        locked.status = LinkStatus.PENDING
        locked.link_requested_at = timezone.now()
        locked.link_claimed_until = None
        locked.processor_notified_at = None
        locked.save(
            update_fields=[
                "status",
                "link_requested_at",
                "link_claimed_until",
                "processor_notified_at",
            ]
        )
        # The processor asks again because it fixed something in Loket.nl: ask Loket.nl afresh.
        snapshot_forget(locked.processor)
        enqueue_links([locked.pk])
