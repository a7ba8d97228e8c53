"""Claim, send, mark: every mail about a registration goes out exactly once from here, and the
sweep that hands lost mails to Celery again (broker down or emptied, a task out of retries, a
mail server that refused).

There is no queue of our own: each mail is a column on the processor's row, due since the time
it holds (set in the transaction of the change the mail is about):

- ``received_mail_due_at``: the processor's "aanmelding ontvangen" with its status link;
- ``asr_notice_due_at``: a.s.r.'s notice of a new registration;
- ``status_mail_due_at``: the mail of the current status (confirmation with the activation link,
  rejection, needs attention), also when staff send it again. Which mail is decided when it is
  sent, so a mail that no longer fits (a confirmation after the account was activated) is not.

Each mail is sent inside a transaction that holds the row (:func:`common.outbox.hold`) and empties
its column: a task delivered twice, or the sweep's copy of one still on its way, sends nothing the
second time; a send that fails rolls back and the mail stays due. A row another transaction holds
raises :class:`~common.outbox.RowsHeld` and the task tries again a few seconds later.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from common.dispatch import enqueue
from common.outbox import RowsHeld, hold
from onboarding import emails, task_names
from onboarding.models import PayrollProcessor, Status

GRACE = dt.timedelta(seconds=30)
"""How long a mail may be due (its task on its way) before the sweep hands it out again."""

_STATUS_MAILS: dict[str, Callable[..., None]] = {
    Status.CONFIRMED: emails.send_confirmation,
    Status.REJECTED: emails.send_rejection,
    Status.NEEDS_ATTENTION: emails.send_needs_attention,
}
_STATUS_TASKS = {
    Status.CONFIRMED: task_names.SEND_CONFIRMATION_MAIL,
    Status.REJECTED: task_names.SEND_REJECTION_MAIL,
    Status.NEEDS_ATTENTION: task_names.SEND_NEEDS_ATTENTION_MAIL,
}


def status_mail_task(status: str) -> str | None:
    """The task that sends the mail of ``status`` (``None``: that status has no mail)."""
    return _STATUS_TASKS.get(status)


def _send_once(processor_id: int, column: str, send: Callable[[PayrollProcessor], None]) -> bool:
    due = PayrollProcessor.objects.filter(pk=processor_id, **{f"{column}__isnull": False})
    with transaction.atomic():
        mine, others = hold(due)
        if others:
            raise RowsHeld(others)
        if not mine:
            return False
        processor = PayrollProcessor.objects.select_related("user").get(pk=processor_id)
        send(processor)
        PayrollProcessor.objects.filter(pk=processor_id).update(**{column: None})
    return True


def received_mail_send(*, processor_id: int) -> bool:
    """The processor's receipt with the link to its status page, once."""
    return _send_once(
        processor_id,
        "received_mail_due_at",
        lambda processor: emails.send_received(processor_id=processor.pk),
    )


def asr_notice_send(*, processor_id: int) -> bool:
    """a.s.r.'s notice of the new registration, once."""
    return _send_once(
        processor_id,
        "asr_notice_due_at",
        lambda processor: emails.send_asr_notification(processor_id=processor.pk),
    )


def status_mail_send(*, processor_id: int) -> bool:
    """The mail of the registration's current status, once per time it was asked for. A status
    without a mail (or a mail that no longer fits it) sends nothing and is marked done."""

    def send(processor: PayrollProcessor) -> None:
        sender = _STATUS_MAILS.get(processor.status)
        if sender is not None:
            sender(processor_id=processor.pk)

    return _send_once(processor_id, "status_mail_due_at", send)


def unsent_mails_enqueue(*, older_than: dt.timedelta = GRACE) -> dict[str, int]:
    """The beat's sweep: every mail still due a while after its moment, handed to Celery again.
    A copy of a task still on its way finds nothing due and sends nothing. A broker error
    raises, so the beat run fails visibly and the next one catches up."""
    before = timezone.now() - older_than
    due = PayrollProcessor.objects.order_by("pk")
    received = list(due.filter(received_mail_due_at__lt=before).values_list("pk", flat=True))
    notices = list(due.filter(asr_notice_due_at__lt=before).values_list("pk", flat=True))
    status = list(due.filter(status_mail_due_at__lt=before).values_list("pk", "status").iterator())
    for processor_id in received:
        enqueue(task_names.SEND_RECEIVED_MAIL, processor_id)
    for processor_id in notices:
        enqueue(task_names.NOTIFY_ASR_NEW_REGISTRATION, processor_id)
    for processor_id, current in status:
        # A status without a mail still empties its column through the task.
        enqueue(status_mail_task(current) or task_names.SEND_CONFIRMATION_MAIL, processor_id)
    return {"received": len(received), "asr_notices": len(notices), "status_mails": len(status)}
