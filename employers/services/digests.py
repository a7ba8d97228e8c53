"""The processor's digest: ONE mail about its links' new outcomes (active, or a problem).

A bulk registration of 10,000 employers must not send the processor 10,000 (or 50) mails. Each
link records whether the processor was told (``processor_notified_at``); the beat asks every
minute which processors have outcomes they were not told yet and sends each one digest
(:func:`employers.services.sweeps.due_digests_enqueue`), which is what gathers a bulk of
outcomes into one mail.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from common.dispatch import enqueue_on_commit, runs_in_process
from employers import task_names
from employers.models import EmployerLink, LinkStatus


def processor_digest_schedule(processor_id: int) -> None:
    """With a broker the beat sends the digest within the minute (no countdown tasks: a worker
    holding ETA tasks can stall). The embedded default runs no beat, so there the digest is sent
    at once, after commit."""
    if runs_in_process():
        enqueue_on_commit(task_names.SEND_PROCESSOR_DIGEST, processor_id)


def processor_digest_claim(*, processor_id: int) -> tuple[list[EmployerLink], list[EmployerLink]]:
    """The links whose outcome the processor has not been told yet (active, problem), marked as
    told in the same transaction: a digest task delivered twice sends the second time nothing.
    Rows another transaction holds are left for the next digest (never lost)."""
    with transaction.atomic():
        links = list(
            EmployerLink.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(
                processor_id=processor_id,
                processor_notified_at__isnull=True,
                status__in=(LinkStatus.ACTIVE, LinkStatus.PROBLEM, LinkStatus.NEEDS_ATTENTION),
            )
            .order_by("employer_name", "pk")
        )
        EmployerLink.objects.filter(pk__in=[link.pk for link in links]).update(
            processor_notified_at=timezone.now()
        )
    active = [link for link in links if link.status == LinkStatus.ACTIVE]
    problem = [link for link in links if link.status != LinkStatus.ACTIVE]
    return active, problem
